"""Reads for study, scoped to the student: the deck, due counts, forecast, predicted recall."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

import fsrs
from django.conf import settings
from django.db.models import Count, Max, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from questions.models import Question

from .models import DueSummary, ReviewCard, StudyPreference

FORECAST_DAYS = 14


def deck(*, user):
    """The student's cards whose question is in the bank now (published, not a pretest item).

    A retired or unpublished question leaves the deck (its card is kept and comes back if the
    question is published again).
    """
    return ReviewCard.objects.filter(
        user=user, question__status=Question.Status.PUBLISHED, question__is_pretest=False
    )


def desired_retention(*, user) -> Decimal:
    stored = (
        StudyPreference.objects.filter(user=user)
        .values_list("desired_retention", flat=True)
        .first()
    )
    if stored is not None:
        return stored
    return Decimal(str(settings.STUDY_DESIRED_RETENTION)).quantize(Decimal("0.01"))


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The start of the local day of `now` and of the next one (settings.TIME_ZONE)."""
    today = timezone.localtime(now).date()
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(today, time.min), tz)
    end = timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min), tz)
    return start, end


@dataclass
class DeckCounts:
    size: int
    due_now: int
    due_today: int
    last_review: datetime | None


def deck_counts(*, user, now: datetime | None = None) -> DeckCounts:
    """Deck size, due now, due before the end of the local day: one aggregate query."""
    now = now or timezone.now()
    _start, end = day_bounds(now)
    row = deck(user=user).aggregate(
        size=Count("pk"),
        due_now=Count("pk", filter=Q(due__lte=now)),
        due_today=Count("pk", filter=Q(due__lt=end)),
        last=Max("last_review"),
    )
    return DeckCounts(row["size"], row["due_now"], row["due_today"], row["last"])


def forecast(*, user, now: datetime | None = None, days: int = FORECAST_DAYS) -> list[dict]:
    """Cards due on each of the next `days` local days (today includes the overdue): one query."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    start, _end = day_bounds(now)
    horizon = start + timedelta(days=days)
    counts = dict(
        deck(user=user)
        .filter(due__lt=horizon)
        .annotate(day=TruncDate("due", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    overdue = sum(n for day, n in counts.items() if day < today)
    return [
        {
            "date": today + timedelta(days=i),
            "count": counts.get(today + timedelta(days=i), 0) + (overdue if i == 0 else 0),
        }
        for i in range(days)
    ]


def predicted_recall(*, user, now: datetime | None = None) -> float | None:
    """Mean FSRS retrievability of the deck's reviewed cards now (None for an empty deck)."""
    now = now or timezone.now()
    scheduler = fsrs.Scheduler()
    values = [
        scheduler.get_card_retrievability(
            fsrs.Card(stability=s, last_review=last, state=fsrs.State.Review), now
        )
        for s, last in deck(user=user)
        .filter(stability__isnull=False, last_review__isnull=False)
        .values_list("stability", "last_review")
    ]
    return sum(values) / len(values) if values else None


@dataclass
class DeckOverview:
    counts: DeckCounts
    forecast: list[dict]
    predicted_recall: float | None
    from_summary: bool = False
    chart: dict = field(default_factory=dict)

    @property
    def later_today(self) -> int:
        return self.counts.due_today - self.counts.due_now


def deck_overview(*, user, now: datetime | None = None) -> DeckOverview:
    """Live counts; the forecast and recall from the nightly summary while it is current.

    The summary is current when computed today and after the student's last review; otherwise
    both are computed live. At most four queries whatever the deck's size.
    """
    now = now or timezone.now()
    counts = deck_counts(user=user, now=now)
    start, _end = day_bounds(now)
    summary = DueSummary.objects.filter(user=user).first()
    fresh = (
        summary is not None
        and summary.computed_at >= start
        and (counts.last_review is None or summary.computed_at >= counts.last_review)
        and len(summary.forecast) == FORECAST_DAYS
    )
    if fresh:
        today = timezone.localtime(now).date()
        days = [
            {"date": today + timedelta(days=i), "count": n} for i, n in enumerate(summary.forecast)
        ]
        recall = summary.predicted_recall
    else:
        days = forecast(user=user, now=now)
        recall = predicted_recall(user=user, now=now)
    chart = {
        "labels": [d["date"].strftime("%a %d") for d in days],
        "counts": [d["count"] for d in days],
    }
    return DeckOverview(
        counts=counts, forecast=days, predicted_recall=recall, from_summary=fresh, chart=chart
    )


def due_question_ids(*, user, now: datetime | None = None, limit: int) -> list[int]:
    """The questions of the cards due now, most overdue first."""
    now = now or timezone.now()
    return list(
        deck(user=user)
        .filter(due__lte=now)
        .order_by("due", "pk")
        .values_list("question_id", flat=True)[:limit]
    )
