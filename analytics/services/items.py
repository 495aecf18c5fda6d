"""Item analysis per blueprint with the definitions of Moodle's quiz statistics report."""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from analytics import statistics as st
from exams.models import Attempt, Blueprint, ItemSelection

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
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for option_id, question_id, n in (
        ItemSelection.objects.filter(item__attempt__in=finished, item__scored=True)
        .values("option_id")
        .annotate(n=Count("id"))
        .values_list("option_id", "option__version__question_id", "n")
    ):
        counts[question_id][str(option_id)] = n

    now = timezone.now()
    # Reads above run outside a transaction so progress is visible; the write is all or nothing.
    with transaction.atomic():
        return _store(blueprint, finished, attempt_ids, items, counts, test, rel, now, report)


_FINISHED = Attempt.State.IN_PROGRESS.value

# One row per finished attempt of the blueprint: its scored answers in position order, as the
# question ids (8-byte big-endian integers) and the marks ('1'/'0'), so numpy reads 6.5 M
# answers from 100,000 rows without a Python loop per answer.
_ANSWERS = """
    SELECT i.attempt_id,
           string_agg(int8send(i.question_id), ''::bytea ORDER BY i.position),
           string_agg(CASE WHEN i.is_correct THEN '1' ELSE '0' END, '' ORDER BY i.position)
    FROM exams_attemptitem i
    JOIN exams_attempt a ON a.id = i.attempt_id
    WHERE a.blueprint_id = %s AND a.state <> %s AND i.scored
    GROUP BY i.attempt_id
    ORDER BY i.attempt_id
"""

# The versions the blueprint's finished attempts were given, with their number of options
# (the latest version of each question wins).
_VERSIONS = """
    SELECT DISTINCT ON (v.question_id) v.question_id, v.select_count,
           (SELECT COUNT(*) FROM questions_option o WHERE o.version_id = v.id)
    FROM questions_questionversion v
    WHERE v.id IN (
        SELECT i.version_id FROM exams_attemptitem i
        JOIN exams_attempt a ON a.id = i.attempt_id
        WHERE a.blueprint_id = %s AND a.state <> %s
    )
    ORDER BY v.question_id, v.number DESC
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


def _answers(blueprint_id: int) -> _Answers:
    with connection.cursor() as cursor:
        cursor.execute(_ANSWERS, [blueprint_id, _FINISHED])
        rows = cursor.fetchall()
    attempt_ids = [r[0] for r in rows]
    questions = np.frombuffer(b"".join(bytes(r[1]) for r in rows), dtype=">i8").astype(np.int64)
    text = "".join(r[2] for r in rows).encode()
    marks = (np.frombuffer(text, dtype=np.uint8) - ord("0")).astype(float)
    lengths = np.fromiter((len(r[2]) for r in rows), dtype=np.int64, count=len(rows))
    return _Answers(attempt_ids, lengths, questions, marks)


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
