"""Item analysis per blueprint with the definitions of Moodle's quiz statistics report."""

from __future__ import annotations

import io
from collections import defaultdict
from typing import NamedTuple

import numpy as np
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from analytics import statistics as st
from exams.models import Attempt, Blueprint
from questions.models import Option

from ..models import BlueprintStatistics, ItemStatistic
from .planner import planner_statistics_refresh


def blueprint_statistics_compute(
    *, blueprint_id: int, progress=None, refresh_planner: bool = True
) -> BlueprintStatistics:
    """Recompute a blueprint's test and item statistics from its submitted attempts.

    `progress(percent, message)` is called along the way so a page can show it;
    `refresh_planner=False` skips the ANALYZE when the caller has just run it (the nightly).
    """
    report = progress or (lambda percent, message: None)
    if refresh_planner:
        planner_statistics_refresh()
    blueprint = Blueprint.objects.get(pk=blueprint_id)
    finished = Attempt.objects.finished().filter(blueprint=blueprint)
    report(5, "Reading answers")
    answers = _answers(blueprint_id)
    attempt_ids = answers.attempt_ids
    question_ids = np.unique(answers.questions).tolist()

    report(30, "Test statistics")
    # Random forms share no fixed item, so reliability is taken over answer slots (the n-th
    # scored question of each attempt), as Moodle does for random questions.
    by_slot = answers.by_slot()
    width = by_slot.shape[1]
    totals = by_slot.mean(axis=1) * 100 if width else np.array([])
    test = st.test_statistics(totals)
    rel = st.reliability(by_slot) if width else None

    report(50, "Item statistics")
    by_question = answers.by_question(question_ids)
    versions = _versions(blueprint_id)
    choices = [
        (
            versions[q].n_options
            if versions[q].select_count == 1
            else (versions[q].n_options, versions[q].select_count)
        )
        if q in versions
        else None
        for q in question_ids
    ]
    items = (
        st.item_statistics(by_question, option_choices=choices, item_ids=question_ids)
        if question_ids
        else []
    )

    report(80, "Option choices")
    counts = _option_counts(blueprint_id)

    now = timezone.now()
    # Reads above run outside a transaction so progress is visible; the write is all or nothing.
    with transaction.atomic():
        return _store(blueprint, finished, attempt_ids, items, counts, test, rel, now, report)


_FINISHED = Attempt.State.IN_PROGRESS.value

# The blueprint's scored answers, one row each: (attempt id << 16 | position) as the sort key, the
# question id and the mark. Read with a binary COPY into numpy (fixed-width rows, no parsing
# per answer in Python) and sorted there, so PostgreSQL is free to scan in parallel.
_ANSWERS = """
    SELECT (i.attempt_id::int8 << 16) | i.position::int8, i.question_id::int8,
           (CASE WHEN i.is_correct THEN 1 ELSE 0 END)::int2
    FROM exams_attemptitem i
    JOIN exams_attempt a ON a.id = i.attempt_id
    WHERE a.blueprint_id = %s AND a.state <> %s AND i.scored
"""
_ANSWERS_PORTABLE = """
    SELECT i.attempt_id * 65536 + i.position, i.question_id,
           CASE WHEN i.is_correct THEN 1 ELSE 0 END
    FROM exams_attemptitem i
    JOIN exams_attempt a ON a.id = i.attempt_id
    WHERE a.blueprint_id = %s AND a.state <> %s AND i.scored
"""
_ANSWER_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("key_length", ">i4"),
        ("key", ">i8"),
        ("question_length", ">i4"),
        ("question", ">i8"),
        ("mark_length", ">i4"),
        ("mark", ">i2"),
    ]
)
_COPY_HEADER, _COPY_TRAILER = 19, 2  # PGCOPY signature, flags, extension; the -1 field count

# The options chosen in the blueprint's scored answers, counted per option.
_OPTION_COUNTS = """
    SELECT s.option_id, COUNT(*)
    FROM exams_itemselection s
    JOIN exams_attemptitem i ON i.id = s.item_id
    JOIN exams_attempt a ON a.id = i.attempt_id
    WHERE a.blueprint_id = %s AND a.state <> %s AND i.scored
    GROUP BY s.option_id
"""

# The versions the blueprint's finished attempts were given, with their number of options
# (the latest version of each question wins).
# Every version the blueprint's finished attempts showed, oldest first per question, so the
# dict built from the rows keeps each question's newest (portable SQL: `make run` is SQLite).
_VERSIONS = """
    SELECT v.question_id, v.select_count,
           (SELECT COUNT(*) FROM questions_option o WHERE o.version_id = v.id)
    FROM questions_questionversion v
    WHERE v.id IN (
        SELECT i.version_id FROM exams_attemptitem i
        JOIN exams_attempt a ON a.id = i.attempt_id
        WHERE a.blueprint_id = %s AND a.state <> %s
    )
    ORDER BY v.question_id, v.number
"""


class _Version(NamedTuple):
    select_count: int
    n_options: int


class _Answers:
    """The scored answers of a blueprint's finished attempts, flat in (attempt, position) order."""

    def __init__(self, attempt_ids: list[int], lengths: np.ndarray, questions, marks):
        self.attempt_ids = attempt_ids
        self.lengths = lengths
        self.questions = questions
        self.marks = marks

    def by_slot(self) -> np.ndarray:
        """(attempts, width): the first `width` marks of each attempt, width the fewest."""
        if not self.attempt_ids or not self.lengths.min():
            return np.zeros((0, 0))
        width = int(self.lengths.min())
        if (self.lengths == width).all():
            return self.marks.reshape(len(self.attempt_ids), width)
        starts = np.concatenate(([0], np.cumsum(self.lengths)[:-1]))
        return self.marks[starts[:, None] + np.arange(width)]

    def by_question(self, question_ids: list[int]) -> np.ndarray:
        """(attempts, questions): each attempt's mark per question, NaN where not presented.

        Column-major, so the per-item statistics read each question's column contiguously.
        """
        matrix = np.full((len(self.attempt_ids), len(question_ids)), np.nan, order="F")
        rows = np.repeat(np.arange(len(self.attempt_ids)), self.lengths)
        columns = np.searchsorted(np.asarray(question_ids, dtype=np.int64), self.questions)
        matrix[rows, columns] = self.marks
        return matrix


def _answer_rows(blueprint_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(keys, question ids, marks) of the blueprint's scored answers, in no particular order."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = cursor.mogrify(_ANSWERS, [blueprint_id, _FINISHED])
            sql = sql.decode() if isinstance(sql, bytes) else sql
            buffer = io.BytesIO()
            cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT binary)", buffer)
            raw = buffer.getbuffer()[_COPY_HEADER:-_COPY_TRAILER]
            rows = np.frombuffer(raw, dtype=_ANSWER_ROW)
            return rows["key"].astype(np.int64), rows["question"].astype(np.int64), rows["mark"]
        cursor.execute(_ANSWERS_PORTABLE, [blueprint_id, _FINISHED])
        fetched = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 3)
        return fetched[:, 0], fetched[:, 1], fetched[:, 2]


def _answers(blueprint_id: int) -> _Answers:
    keys, questions, marks = _answer_rows(blueprint_id)
    if keys.size > 1 and not (keys[1:] > keys[:-1]).all():
        order = np.argsort(keys, kind="stable")
        keys, questions, marks = keys[order], questions[order], marks[order]
    attempts, lengths = np.unique(keys >> 16, return_counts=True)
    return _Answers(attempts.tolist(), lengths, questions, marks.astype(float))


def _option_counts(blueprint_id: int) -> dict[int, dict[str, int]]:
    """Per question, how often each of its options was chosen (option id as a string)."""
    with connection.cursor() as cursor:
        cursor.execute(_OPTION_COUNTS, [blueprint_id, _FINISHED])
        chosen = dict(cursor.fetchall())
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for option_id, question_id in Option.objects.filter(pk__in=list(chosen)).values_list(
        "pk", "version__question_id"
    ):
        counts[question_id][str(option_id)] = chosen[option_id]
    return counts


def _versions(blueprint_id: int) -> dict[int, _Version]:
    with connection.cursor() as cursor:
        cursor.execute(_VERSIONS, [blueprint_id, _FINISHED])
        return {q: _Version(select_count, n) for q, select_count, n in cursor.fetchall()}


def _store(blueprint, finished, attempt_ids, items, counts, test, rel, now, report):
    ItemStatistic.objects.filter(blueprint=blueprint).delete()
    ItemStatistic.objects.bulk_create(
        ItemStatistic(
            blueprint=blueprint,
            question_id=item.item,
            attempts=item.attempts,
            facility=st.finite_or_none(item.facility),
            sd=st.finite_or_none(item.sd),
            random_guess=st.finite_or_none(item.random_guess_score),
            intended_weight=st.finite_or_none(item.intended_weight),
            effective_weight=st.finite_or_none(item.effective_weight),
            discrimination=st.finite_or_none(item.discrimination_index),
            efficiency=st.finite_or_none(item.discriminative_efficiency),
            flags=st.review_flags(item),
            option_counts=counts.get(item.item, {}),
            computed_at=now,
        )
        for item in items
    )
    stats, _ = BlueprintStatistics.objects.update_or_create(
        blueprint=blueprint,
        defaults={
            "attempts": len(attempt_ids),
            "last_attempt_id": finished.aggregate(m=Max("pk"))["m"],
            "mean": st.finite_or_none(test.mean),
            "median": st.finite_or_none(test.median),
            "sd": st.finite_or_none(test.sd),
            "skewness": st.finite_or_none(test.skewness),
            "kurtosis": st.finite_or_none(test.kurtosis),
            "alpha": st.finite_or_none(rel.alpha) if rel else None,
            "error_ratio": st.finite_or_none(rel.error_ratio) if rel else None,
            "standard_error": st.finite_or_none(rel.standard_error) if rel else None,
            "items_in_alpha": rel.items_used if rel else 0,
            "computed_at": now,
        },
    )
    report(100, "Done")
    return stats
