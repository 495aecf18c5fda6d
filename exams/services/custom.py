"""Custom quizzes: a student picks the guide, domains or task statements, a count, a source,
timing and feedback; the form is drawn with the assembly rules every form follows.

The rules kept from `draw_form` / `form_from_questions`: published questions only, never pretest
items, never two enemies on one form, and the questions of an open exam held out
(`seen_and_held`). With several domains the count is split by the guide's weights (largest
remainder); a domain the source cannot fill gives what it has and the rest goes to the others,
again by weight.

The attempt is one of the guide's hidden blueprint (`custom-quiz-<guide>`, mode "custom",
inactive so no list shows it); its frozen feedback and deadline come from the quiz's choices,
and the choices are recorded on the START event (`detail["custom"]`), which the results page
reads for its header. One custom quiz per guide is open at a time (the blueprint's
one-open-attempt index).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction

from core.errors import ApplicationError
from questions.allocation import allocate_by_largest_remainder
from questions.models import Domain, ExamGuide, QuestionDomain, TaskStatement

from ..models import Attempt, AttemptEvent, AttemptItem, Blueprint
from ..pool import PoolDomain, blueprint_pool
from ..reference import custom_quiz_defaults, custom_quiz_slug
from .assembly import (
    DrawnItem,
    enemies_among,
    keep_without_enemies,
    pick_without_enemies,
    with_shuffled_options,
)
from .attempts import attempt_open_for, attempt_start, seen_and_held

MAX_QUESTIONS = 65


class Source:
    UNSEEN = "unseen"
    MISSED = "missed"
    FLAGGED = "flagged"
    ALL = "all"

    CHOICES = (
        (UNSEEN, "Unseen: never in any of my attempts"),
        (MISSED, "Missed: wrong or unanswered the last time I answered them"),
        (FLAGGED, "Flagged: questions I flagged in finished attempts"),
        (ALL, "All questions"),
    )
    WORDS = {UNSEEN: "unseen ", MISSED: "missed ", FLAGGED: "flagged ", ALL: ""}


class NotEnoughQuestions(ApplicationError):
    """Fewer questions match the choices than were asked for; `available` says how many do."""

    def __init__(self, *, requested: int, available: int):
        self.requested = requested
        self.available = available
        if available:
            message = (
                f"Only {available} question{'s' if available != 1 else ''} match these choices, "
                f"not {requested}. The count is now {available}: build the quiz with "
                f"{'them' if available != 1 else 'it'}, or choose other domains or another source."
            )
        else:
            message = (
                "No questions match these choices. Choose other domains or task statements, "
                "or another source."
            )
        super().__init__(message, extra={"available": available})


@dataclass(frozen=True)
class QuizChoices:
    """What the student chose on the quiz form (validated by `CustomQuizForm`)."""

    guide: ExamGuide
    count: int
    source: str = Source.ALL
    domains: tuple[Domain, ...] = ()
    task_statements: tuple[TaskStatement, ...] = ()
    minutes: int | None = None  # None: untimed
    feedback: str = Blueprint.Feedback.AFTER_EACH

    def scope_text(self) -> str:
        if self.task_statements:
            codes = ", ".join(s.code for s in self.task_statements)
            word = "task statement" if len(self.task_statements) == 1 else "task statements"
            return f"{word} {codes}"
        if not self.domains:
            return "all domains"
        names = [d.name for d in self.domains]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    def summary(self, items: int) -> str:
        """ "Custom quiz: 20 questions from Security, missed; untimed, feedback after each"."""
        source = Source.WORDS[self.source]
        timing = f"timed, {self.minutes} minutes" if self.minutes else "untimed"
        feedback = (
            "feedback after each answer"
            if self.feedback == Blueprint.Feedback.AFTER_EACH
            else "feedback after submitting"
        )
        noun = "question" if items == 1 else "questions"
        return (
            f"Custom quiz ({self.guide.code}): {items} {source}{noun} from {self.scope_text()}; "
            f"{timing}, {feedback}"
        )

    def as_detail(self, items: int) -> dict:
        return {
            "guide": self.guide.code,
            "domains": [d.name for d in self.domains],
            "task_statements": [s.code for s in self.task_statements],
            "count": self.count,
            "source": self.source,
            "minutes": self.minutes,
            "feedback": self.feedback,
            "summary": self.summary(items),
        }


def custom_quiz_blueprint(*, guide: ExamGuide) -> Blueprint:
    """The guide's hidden custom-quiz blueprint (created by migration; made here if missing)."""
    blueprint, _created = Blueprint.objects.get_or_create(
        slug=custom_quiz_slug(guide.code), defaults=custom_quiz_defaults(guide)
    )
    if blueprint.mode != Blueprint.Mode.CUSTOM or blueprint.guide_id != guide.pk:
        raise ApplicationError("Custom quizzes are not available for this guide.")
    return blueprint


def custom_quiz_open(*, user, guide: ExamGuide) -> Attempt | None:
    """The student's custom quiz in progress for this guide, if any."""
    return (
        Attempt.objects.in_progress()
        .filter(user=user, blueprint__slug=custom_quiz_slug(guide.code), mode="custom")
        .first()
    )


def _source_filter(*, user, source: str) -> set[int] | None:
    """The questions the source allows (None: no restriction but the held-out ones)."""
    if source in (Source.ALL, Source.UNSEEN):
        return None  # unseen is applied as "not in seen" by the caller
    finished = (
        AttemptItem.objects.filter(attempt__user=user)
        .exclude(attempt__state=Attempt.State.IN_PROGRESS)
        .order_by()
    )
    if source == Source.FLAGGED:
        return set(finished.filter(flagged=True).values_list("question_id", flat=True))
    # Missed: the most recent finished answer to each question is wrong or unanswered.
    latest: dict[int, tuple] = {}
    for qid, finished_at, pk, ok in finished.values_list(
        "question_id", "attempt__finished_at", "pk", "is_correct"
    ):
        key = (finished_at, pk)
        if qid not in latest or key > latest[qid][0]:
            latest[qid] = (key, ok)
    return {qid for qid, (_key, ok) in latest.items() if ok is not True}


def split_by_weight(
    count: int, weights: dict[int, float], capacity: dict[int, int]
) -> dict[int, int]:
    """Split `count` over the keys by weight (largest remainder); a key short of its share
    gives its `capacity` and the rest is split again over the others. Assumes the capacities
    add up to at least `count`."""
    result = dict.fromkeys(weights, 0)
    remaining = count
    active = {k: w for k, w in weights.items() if capacity.get(k, 0) > 0 and w > 0}
    if not active:  # zero weights only: split evenly over those with questions
        active = {k: 1.0 for k in weights if capacity.get(k, 0) > 0}
    while remaining > 0 and active:
        quota = allocate_by_largest_remainder(remaining, active)
        short = [k for k in active if quota[k] > capacity[k] - result[k]]
        if not short:
            for k in active:
                result[k] += quota[k]
            return result
        for k in short:
            give = capacity[k] - result[k]
            result[k] += give
            remaining -= give
            del active[k]
    return result


def custom_quiz_draw(
    *, user, choices: QuizChoices, blueprint: Blueprint, rng: random.Random
) -> list[DrawnItem]:
    """Draw the quiz's items; raise NotEnoughQuestions when fewer match than asked for."""
    pool = blueprint_pool(blueprint)
    seen, held = seen_and_held(user=user, mode=Blueprint.Mode.CUSTOM)
    allowed = _source_filter(user=user, source=choices.source)
    in_statements = None
    if choices.task_statements:
        in_statements = set(
            QuestionDomain.objects.filter(
                guide=choices.guide, task_statement__in=[s.pk for s in choices.task_statements]
            ).values_list("question_id", flat=True)
        )
        domain_ids = {s.domain_id for s in choices.task_statements}
    elif choices.domains:
        domain_ids = {d.pk for d in choices.domains}
    else:
        domain_ids = {d.pk for d, _w in pool.weights}
    weights = {d.pk: w for d, w in pool.weights if d.pk in domain_ids}
    domains = {d.pk: d for d, _w in pool.weights if d.pk in domain_ids}
    pools: dict[int, list[tuple[int, int]]] = {pk: [] for pk in domains}
    for qid, vid, did in pool.scored:
        if did not in pools or qid in held:
            continue
        if choices.source == Source.UNSEEN and qid in seen:
            continue
        if allowed is not None and qid not in allowed:
            continue
        if in_statements is not None and qid not in in_statements:
            continue
        pools[did].append((qid, vid))
    candidates = {qid for rows in pools.values() for qid, _vid in rows}
    enemies = enemies_among(pool.enemies, candidates)
    rows = [(qid, vid, did) for did, pairs in pools.items() for qid, vid in pairs]
    rng.shuffle(rows)
    available = len(keep_without_enemies(rows, enemies)) if enemies else len(rows)
    if available < choices.count:
        raise NotEnoughQuestions(requested=choices.count, available=available)
    quota = split_by_weight(choices.count, weights, {pk: len(pairs) for pk, pairs in pools.items()})
    counts = {PoolDomain(pk, domains[pk].name): n for pk, n in quota.items() if n > 0}
    chosen, shortfalls = pick_without_enemies(counts, pools, enemies, seen, rng)
    if shortfalls:
        # Enemies spoilt the split: top up from any domain, still never two enemies.
        taken = {qid for qid, _vid, _did in chosen}
        for row in rows:
            if len(chosen) >= choices.count:
                break
            if row[0] not in taken and not enemies.get(row[0], set()) & taken:
                chosen.append(row)
                taken.add(row[0])
        if len(chosen) < choices.count:
            raise NotEnoughQuestions(requested=choices.count, available=len(chosen))
    rng.shuffle(chosen)
    return with_shuffled_options(chosen, rng, unscored=set(), options=pool.options)


@transaction.atomic
def custom_quiz_start(
    *,
    user,
    choices: QuizChoices,
    ip: str | None = None,
    rng: random.Random | None = None,
    now: datetime | None = None,
) -> Attempt:
    """Draw the quiz and start it; refuse while another custom quiz of the guide is open."""
    if not user.has_perm("exams.take_exam"):
        raise ApplicationError("Your role cannot sit exams.", status=403)
    if not 1 <= choices.count <= MAX_QUESTIONS:
        raise ApplicationError(f"Choose between 1 and {MAX_QUESTIONS} questions.")
    blueprint = custom_quiz_blueprint(guide=choices.guide)
    # The same lock attempt_start takes, before reading what is held out (starts take turns).
    get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
    if attempt_open_for(user=user, blueprint=blueprint) is not None:
        raise ApplicationError(
            f"You already have a {choices.guide.code} custom quiz in progress: resume or "
            "finish it before building another."
        )
    rng = rng or random.SystemRandom()
    drawn = custom_quiz_draw(user=user, choices=choices, blueprint=blueprint, rng=rng)
    return attempt_start(
        user=user,
        blueprint=blueprint,
        ip=ip,
        rng=rng,
        now=now,
        drawn=drawn,
        feedback=choices.feedback,
        duration_minutes=choices.minutes,
        detail={"custom": choices.as_detail(len(drawn))},
    )


def custom_quiz_summary(*, attempt: Attempt) -> str:
    """The header line of a custom quiz's results ("" for any other attempt)."""
    if attempt.mode != Blueprint.Mode.CUSTOM:
        return ""
    detail = (
        AttemptEvent.objects.filter(attempt=attempt, kind=AttemptEvent.Kind.START)
        .values_list("detail", flat=True)
        .first()
    )
    return ((detail or {}).get("custom") or {}).get("summary", "")
