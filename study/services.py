"""Writes for study: cards from answers, FSRS reviews, the retention setting, review sessions,
the nightly due summaries. Keyword-only; scheduling is the `fsrs` package's."""

from __future__ import annotations

import logging
import random
from datetime import datetime
from decimal import Decimal, InvalidOperation

import fsrs
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import ApplicationError
from exams.models import Attempt, AttemptItem, Blueprint
from exams.services import attempt_start

from . import rating as ratings
from .models import (
    RETENTION_MAX,
    RETENTION_MIN,
    CardReview,
    DueSummary,
    ReviewCard,
    StudyPreference,
)
from .reference import REVIEW_BLUEPRINT_SLUG, review_blueprint_spec
from .selectors import FORECAST_DAYS, day_bounds, desired_retention, due_question_ids

logger = logging.getLogger(__name__)

# At most this many due cards in one review session (the rest wait for the next).
REVIEW_SESSION_MAX = 50


def scheduler_for(*, retention: Decimal | float) -> fsrs.Scheduler:
    """The FSRS scheduler at a desired retention (fuzzing per settings; off in the tests)."""
    return fsrs.Scheduler(
        desired_retention=float(retention), enable_fuzzing=settings.STUDY_FSRS_FUZZING
    )


def _to_fsrs(card: ReviewCard) -> fsrs.Card:
    return fsrs.Card(
        card_id=card.pk or None,
        state=fsrs.State(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
    )


def _from_fsrs(card: ReviewCard, scheduled: fsrs.Card) -> None:
    card.state = int(scheduled.state)
    card.step = scheduled.step
    card.stability = scheduled.stability
    card.difficulty = scheduled.difficulty
    card.due = scheduled.due
    card.last_review = scheduled.last_review


def _review(
    *,
    card: ReviewCard,
    rating: int,
    reviewed_at: datetime,
    seconds: int | None,
    item_id: int | None,
    scheduler: fsrs.Scheduler,
) -> CardReview | None:
    """Apply one rating to a locked (or new, unsaved) card and log it; None when not applied.

    An answer older than the card's last review is not applied (FSRS reviews move forward in
    time; it can happen when a finished-attempt task runs after a later review).
    """
    if card.last_review is not None and reviewed_at < card.last_review:
        return None
    was_review = card.state == ReviewCard.State.REVIEW
    scheduled, _log = scheduler.review_card(
        _to_fsrs(card), fsrs.Rating(rating), review_datetime=reviewed_at, review_duration=seconds
    )
    _from_fsrs(card, scheduled)
    card.reps += 1
    if rating == ratings.AGAIN and was_review:
        card.lapses += 1
    card.save()
    return CardReview.objects.create(
        card=card,
        rating=rating,
        reviewed_at=reviewed_at,
        duration_seconds=seconds,
        attempt_item_id=item_id,
        due_after=card.due,
    )


def _new_card(*, user_id: int, question_id: int, at: datetime) -> ReviewCard:
    fresh = fsrs.Card(due=at)
    card = ReviewCard(user_id=user_id, question_id=question_id, due=at)
    _from_fsrs(card, fresh)
    card.last_review = None
    return card


@transaction.atomic
def cards_from_attempt(*, attempt_id: int) -> dict:
    """Make cards from a finished attempt and rate the cards its items reviewed. Idempotent.

    Every scored question missed (wrong or unanswered) or answered right but marked Unsure or
    Guess becomes a card, first rated by that answer; an item of a question that already has a
    card is a review of it, applied once (the log's unique attempt item). In a review session
    an unanswered item is not a review (the student stopped), so it rates nothing.
    """
    attempt = (
        Attempt.objects.select_related("blueprint")
        .only("user_id", "state", "finished_at", "blueprint__slug")
        .filter(pk=attempt_id)
        .first()
    )
    if attempt is None or attempt.state == Attempt.State.IN_PROGRESS:
        # Nothing to do (a retried task for an attempt that is gone, or not finished): no retry.
        return {"created": 0, "reviewed": 0}
    review_session = attempt.blueprint.slug == REVIEW_BLUEPRINT_SLUG
    items = list(
        AttemptItem.objects.filter(attempt_id=attempt_id, scored=True)
        .values("pk", "question_id", "is_correct", "confidence", "answered_at")
        .order_by("position")
    )
    done = set(
        CardReview.objects.filter(attempt_item_id__in=[i["pk"] for i in items]).values_list(
            "attempt_item_id", flat=True
        )
    )
    items = [i for i in items if i["pk"] not in done]
    if review_session:
        items = [i for i in items if i["answered_at"] is not None]
    if not items:
        return {"created": 0, "reviewed": 0}
    cards = {
        c.question_id: c
        for c in ReviewCard.objects.select_for_update()
        .filter(user_id=attempt.user_id, question_id__in=[i["question_id"] for i in items])
        .order_by("pk")
    }
    # Locked: a concurrent check of the same item may have logged it meanwhile.
    done = set(
        CardReview.objects.filter(attempt_item_id__in=[i["pk"] for i in items]).values_list(
            "attempt_item_id", flat=True
        )
    )
    scheduler = scheduler_for(retention=desired_retention(user=attempt.user_id))
    created = reviewed = 0
    for item in items:
        if item["pk"] in done:
            continue
        card = cards.get(item["question_id"])
        if card is None:
            if not ratings.makes_card(correct=item["is_correct"], confidence=item["confidence"]):
                continue
            card = _new_card(
                user_id=attempt.user_id, question_id=item["question_id"], at=attempt.finished_at
            )
            created += 1
        else:
            reviewed += 1
        _review(
            card=card,
            rating=ratings.rating_for(correct=item["is_correct"], confidence=item["confidence"]),
            reviewed_at=attempt.finished_at,
            seconds=None,
            item_id=item["pk"],
            scheduler=scheduler,
        )
    return {"created": created, "reviewed": reviewed}


def cards_catch_up(*, since: datetime) -> int:
    """Make the cards of attempts finished since `since` whose task never ran (broker down).

    Finds finished attempts with a scored item that should make or rate a card and has no
    review logged; each goes through the idempotent `cards_from_attempt`. Returns how many.
    """
    from django.db.models import Exists, OuterRef

    pending = (
        AttemptItem.objects.filter(attempt=OuterRef("pk"), scored=True)
        .filter(
            Q(is_correct=False)
            | Q(is_correct__isnull=True)
            | Q(confidence__in=[ratings.UNSURE, ratings.GUESS])
        )
        .exclude(attempt__blueprint__slug=REVIEW_BLUEPRINT_SLUG)
        .filter(~Exists(CardReview.objects.filter(attempt_item=OuterRef("pk"))))
    )
    ids = list(
        Attempt.objects.finished()
        .filter(finished_at__gte=since)
        .filter(Exists(pending))
        .order_by("finished_at")
        .values_list("pk", flat=True)
    )
    for attempt_id in ids:
        cards_from_attempt(attempt_id=attempt_id)
    return len(ids)


def seconds_on_item(*, item: AttemptItem, attempt: Attempt) -> int | None:
    """Seconds the student spent on a checked item, from the server's clock, clamped.

    From the later of the attempt's start and the last answer to another checked item (the
    moment the student was done with the previous question) to this item's answer.
    """
    if item.answered_at is None:
        return None
    previous = (
        AttemptItem.objects.filter(
            attempt_id=attempt.pk, checked=True, answered_at__lte=item.answered_at
        )
        .exclude(pk=item.pk)
        .order_by("-answered_at")
        .values_list("answered_at", flat=True)
        .first()
    )
    anchor = max(filter(None, [attempt.started_at, previous]))
    return ratings.clamp_seconds((item.answered_at - anchor).total_seconds())


def item_rate(*, attempt_id: int, item_id: int, now: datetime | None = None) -> CardReview | None:
    """Rate the card of a just-checked practice item, in the check's transaction.

    Only a question that already has a card is rated here (new cards come from the finished
    attempt); the card row is locked, so the finished-attempt task and a second check agree.
    """
    now = now or timezone.now()
    item = AttemptItem.objects.select_related("attempt").get(pk=item_id, attempt_id=attempt_id)
    if not item.scored:
        return None
    card = (
        ReviewCard.objects.select_for_update()
        .filter(user_id=item.attempt.user_id, question_id=item.question_id)
        .first()
    )
    if card is None or CardReview.objects.filter(attempt_item_id=item.pk).exists():
        return None
    seconds = seconds_on_item(item=item, attempt=item.attempt)
    return _review(
        card=card,
        rating=ratings.rating_for(
            correct=item.is_correct, confidence=item.confidence, seconds=seconds
        ),
        reviewed_at=now,
        seconds=seconds,
        item_id=item.pk,
        scheduler=scheduler_for(retention=desired_retention(user=item.attempt.user_id)),
    )


@transaction.atomic
def preference_set(*, user, desired_retention: Decimal | str | float) -> StudyPreference:
    """Set the student's desired retention (0.70 to 0.97); it applies from the next review."""
    try:
        value = Decimal(str(desired_retention)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ApplicationError({"desired_retention": "Enter a number such as 0.90."}) from None
    if not (RETENTION_MIN <= value <= RETENTION_MAX):
        raise ApplicationError(
            {
                "desired_retention": f"Choose a retention between {RETENTION_MIN} and "
                f"{RETENTION_MAX} (you entered {value})."
            }
        )
    preference, _ = StudyPreference.objects.update_or_create(
        user=user, defaults={"desired_retention": value}
    )
    return preference


def review_blueprint() -> Blueprint:
    """The hidden spaced-review blueprint (created by a migration; recreated if missing)."""
    blueprint = Blueprint.objects.filter(slug=REVIEW_BLUEPRINT_SLUG).first()
    if blueprint is None:
        from questions.models import ExamGuide

        guide = ExamGuide.objects.default() or ExamGuide.objects.first()
        blueprint, _ = Blueprint.objects.get_or_create(
            slug=REVIEW_BLUEPRINT_SLUG, defaults=review_blueprint_spec(guide)
        )
    return blueprint


@transaction.atomic
def review_start(
    *, user, ip: str | None = None, now: datetime | None = None, rng: random.Random | None = None
) -> Attempt:
    """Start (or resume) today's review: an untimed practice of the cards due now."""
    blueprint = review_blueprint()
    open_attempt = Attempt.objects.in_progress().filter(user=user, blueprint=blueprint).first()
    if open_attempt is not None:
        return attempt_start(user=user, blueprint=blueprint, ip=ip, question_ids=[])
    question_ids = due_question_ids(user=user, now=now, limit=REVIEW_SESSION_MAX)
    if not question_ids:
        raise ApplicationError("Nothing is due for review now; come back when cards are due.")
    return attempt_start(
        user=user, blueprint=blueprint, ip=ip, question_ids=question_ids, now=now, rng=rng
    )


# One statement: every student with cards gets a summary row (deck, due today, 14-day forecast,
# mean retrievability), upserted; students whose deck emptied get zeros.
_SUMMARY_SQL = """
WITH deck AS (
    SELECT c.user_id, c.due, c.stability, c.last_review,
           (c.due AT TIME ZONE %(tz)s)::date AS due_day
    FROM study_reviewcard c
    JOIN questions_question q ON q.id = c.question_id
    WHERE q.status = 'published' AND NOT q.is_pretest
), per_user AS (
    SELECT u.user_id,
           count(d.user_id) AS size,
           count(d.user_id) FILTER (WHERE d.due < %(end)s) AS due_today,
           avg(power(1 + %(factor)s * floor(extract(epoch FROM (%(now)s - d.last_review))
                 / 86400) / d.stability, %(decay)s))
               FILTER (WHERE d.stability IS NOT NULL AND d.last_review IS NOT NULL) AS recall
    FROM (SELECT DISTINCT user_id FROM study_reviewcard) u
    LEFT JOIN deck d ON d.user_id = u.user_id
    GROUP BY u.user_id
), buckets AS (
    SELECT user_id, greatest(due_day - %(today)s::date, 0) AS i, count(*) AS n
    FROM deck
    WHERE due_day < %(today)s::date + %(days)s
    GROUP BY 1, 2
), days AS (
    SELECT u.user_id, g.i, coalesce(b.n, 0) AS n
    FROM (SELECT DISTINCT user_id FROM study_reviewcard) u
    CROSS JOIN generate_series(0, %(days)s - 1) AS g(i)
    LEFT JOIN buckets b ON b.user_id = u.user_id AND b.i = g.i
)
INSERT INTO study_duesummary (user_id, deck_size, due_today, forecast, predicted_recall,
                              computed_at)
SELECT p.user_id, p.size, p.due_today,
       (SELECT jsonb_agg(n ORDER BY i) FROM days WHERE days.user_id = p.user_id),
       p.recall, %(now)s
FROM per_user p
ON CONFLICT (user_id) DO UPDATE SET
    deck_size = EXCLUDED.deck_size, due_today = EXCLUDED.due_today,
    forecast = EXCLUDED.forecast, predicted_recall = EXCLUDED.predicted_recall,
    computed_at = EXCLUDED.computed_at
"""


@transaction.atomic
def due_summaries_recompute(*, now: datetime | None = None) -> int:
    """Recompute every student's due summary, set-based (one statement on PostgreSQL)."""
    now = now or timezone.now()
    start, end = day_bounds(now)
    scheduler = fsrs.Scheduler()
    if connection.vendor != "postgresql":
        from . import selectors

        users = ReviewCard.objects.values_list("user", flat=True).distinct()
        for user_id in users:
            counts = selectors.deck_counts(user=user_id, now=now)
            DueSummary.objects.update_or_create(
                user_id=user_id,
                defaults={
                    "deck_size": counts.size,
                    "due_today": counts.due_today,
                    "forecast": [d["count"] for d in selectors.forecast(user=user_id, now=now)],
                    "predicted_recall": selectors.predicted_recall(user=user_id, now=now),
                    "computed_at": now,
                },
            )
        return len(users)
    with connection.cursor() as cursor:
        cursor.execute(
            _SUMMARY_SQL,
            {
                "tz": timezone.get_current_timezone_name(),
                "end": end,
                "now": now,
                "today": timezone.localtime(now).date(),
                "days": FORECAST_DAYS,
                "factor": scheduler._FACTOR,
                "decay": scheduler._DECAY,
            },
        )
        return cursor.rowcount
