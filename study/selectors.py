"""Reads for study, scoped to the student: the deck, due counts, forecast, predicted recall."""

from __future__ import annotations

from collections import Counter
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


def due_recall(*, user, now: datetime | None = None) -> float | None:
    """Mean predicted recall of the cards due now; a card in (re)learning counts as forgotten.

    A card just missed has a high FSRS retrievability (no whole day has passed) but is due
    because the student got it wrong: for the plan's gain it is at risk, recall 0.
    """
    now = now or timezone.now()
    scheduler = fsrs.Scheduler()
    values = [
        scheduler.get_card_retrievability(
            fsrs.Card(stability=s, last_review=last, state=fsrs.State.Review), now
        )
        if state == ReviewCard.State.REVIEW and s is not None and last is not None
        else 0.0
        for state, s, last in deck(user=user)
        .filter(due__lte=now)
        .values_list("state", "stability", "last_review")
    ]
    return sum(values) / len(values) if values else None


@dataclass
class DeckOverview:
    counts: DeckCounts
    forecast: list[dict]
    predicted_recall: float | None
    due_recall: float | None = None
    from_summary: bool = False
    chart: dict = field(default_factory=dict)

    @property
    def later_today(self) -> int:
        return self.counts.due_today - self.counts.due_now


def deck_overview(*, user, now: datetime | None = None) -> DeckOverview:
    """Live counts; the forecast and recall from the nightly summary while it is current.

    The summary is current when computed today and after the student's last review; otherwise
    both are computed live. At most five queries whatever the deck's size.
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
        counts=counts,
        forecast=days,
        predicted_recall=recall,
        due_recall=due_recall(user=user, now=now) if counts.due_now else None,
        from_summary=fresh,
        chart=chart,
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


# ---- The study plan (study/plan.py ranks; this reads its inputs) -----------------------------

# A weakest area needs this many answers before a drill is proposed for it.
PLAN_MIN_ANSWERS = 3


@dataclass
class PlannedAction:
    kind: str
    gain: float
    why: str
    label: str
    url: str  # a POST target, one click away


def _weakest(*, user, guide_code: str):
    """The weakest task statement (guides that have them) or domain, with its drill."""
    from analytics.models import StudentDomainStanding
    from exams.models import Attempt, AttemptItem, Blueprint
    from questions.models import Domain, TaskStatement

    from .plan import Weakest

    domains = {d.pk: d for d in Domain.objects.filter(guide__code=guide_code)}
    total_weight = float(sum(d.weight for d in domains.values())) or 100.0
    statements = {
        t.pk: t for t in TaskStatement.objects.filter(guide__code=guide_code).order_by("position")
    }
    if statements:
        per_domain = Counter(t.domain_id for t in statements.values())
        rows = (
            AttemptItem.objects.filter(
                attempt__user=user,
                attempt__state__in=[Attempt.State.SUBMITTED, Attempt.State.EXPIRED],
                scored=True,
                question__domain_links__guide__code=guide_code,
                question__domain_links__task_statement__isnull=False,
            )
            .values("question__domain_links__task_statement")
            .annotate(n=Count("pk"), right=Count("pk", filter=Q(is_correct=True)))
        )
        scored = [
            (
                100 * r["right"] / r["n"],
                r["n"],
                statements[r["question__domain_links__task_statement"]],
            )
            for r in rows
            if r["n"] >= PLAN_MIN_ANSWERS
        ]
        if not scored:
            return None, None
        percent, n, statement = min(scored, key=lambda s: (s[0], s[2].position))
        domain = domains[statement.domain_id]
        share = float(domain.weight) / total_weight / per_domain[domain.pk]
        drill = (
            Blueprint.objects.active()
            .filter(mode=Blueprint.Mode.DRILL, drill_task_statement=statement)
            .order_by("position")
            .first()
        )
        label = f"Task statement {statement.code} ({statement.title})"
        return Weakest(label, percent, share, n), drill
    standings = [
        s
        for s in StudentDomainStanding.objects.filter(user=user, domain__in=domains)
        if s.items >= PLAN_MIN_ANSWERS
    ]
    if not standings:
        return None, None
    weakest = min(standings, key=lambda s: (s.percent, domains[s.domain_id].position))
    domain = domains[weakest.domain_id]
    drill = (
        Blueprint.objects.active()
        .filter(mode=Blueprint.Mode.DRILL, drill_domain=domain, drill_task_statement=None)
        .order_by("position")
        .first()
    )
    return (
        Weakest(domain.name, weakest.percent, float(domain.weight) / total_weight, weakest.items),
        drill,
    )


def study_plan(
    *, user, guide_code: str, overview: DeckOverview, now: datetime | None = None
) -> list[PlannedAction]:
    """The next three actions on the dashboard, ranked by study.plan (a fixed number of queries)."""
    from django.urls import reverse

    from exams.models import Attempt, Blueprint

    from . import plan

    now = now or timezone.now()
    weakest, drill = _weakest(user=user, guide_code=guide_code)
    if drill is None:
        weakest = None  # nothing to click: no drill is proposed
    last_mock = (
        Attempt.objects.finished()
        .filter(user=user, mode=Blueprint.Mode.EXAM, blueprint__guide__code=guide_code)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    mock = (
        Blueprint.objects.active()
        .filter(guide__code=guide_code, mode=Blueprint.Mode.EXAM)
        .order_by("position")
        .first()
    )
    days = (now - last_mock).days if last_mock else None
    ranked = plan.rank(
        due=overview.counts.due_now,
        recall=overview.due_recall,
        weakest=weakest,
        days_since_mock=days,
        mock_every_days=settings.STUDY_MOCK_EVERY_DAYS,
    )
    actions = []
    for action in ranked:
        if action.kind == "review":
            label = f"Start today's review ({overview.counts.due_now})"
            url = reverse("study:review_start")
        elif action.kind == "drill":
            label = f"Start the drill: {drill.title}"
            url = reverse("exams:start", args=[drill.slug])
        elif mock is not None:
            label = f"Start {mock.title}"
            url = reverse("exams:start", args=[mock.slug])
        else:
            continue
        actions.append(PlannedAction(action.kind, action.gain, action.why, label, url))
    return actions
