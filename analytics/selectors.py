"""Reads for dashboards and reports: a fixed number of queries whatever the data size."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Exists, F, FloatField, IntegerField, OuterRef, Q, Sum
from django.db.models.functions import Cast, TruncWeek

from accounts.models import Cohort, User
from exams.confidence import AttemptCalibrationPoint
from exams.models import Attempt, AttemptItem, Blueprint, Confidence, ItemSelection
from exams.selectors import missed_items_for_user
from questions.models import Domain, ExamGuide, Option

from .models import AnalyticsRun, AttemptDomainResult, BlueprintStatistics, ItemStatistic

FEW_ITEMS = 20  # below this, a domain percentage is a rough signal, and the page says so


# ---- Student dashboard -----------------------------------------------------------------------


@dataclass
class DomainStanding:
    domain: Domain
    correct: int
    items: int
    attempts: int

    @property
    def percent(self) -> float | None:
        return 100 * self.correct / self.items if self.items else None

    @property
    def few_items(self) -> bool:
        return self.items < FEW_ITEMS


@dataclass
class StudentDashboard:
    history: list[Attempt]
    domain_series: dict[str, list[tuple[int, float]]]
    standings: list[DomainStanding]
    weakest: list[DomainStanding]
    drills: dict[int, Blueprint]
    missed: list[AttemptItem]
    pending_analytics: int


def student_latest_guide_code(*, user) -> str | None:
    """Return the exam guide of the user's latest finished attempt (None before the first)."""
    return (
        Attempt.objects.finished()
        .filter(user=user)
        .order_by("-finished_at", "-pk")
        .values_list("blueprint__guide__code", flat=True)
        .first()
    )


def student_dashboard(*, user, guide_code: str | None = None) -> StudentDashboard:
    """Return the student's dashboard for one guide (by code; the default guide without one)."""
    if guide_code is None:
        default = ExamGuide.objects.default()
        guide_code = default.code if default else ""
    finished = Attempt.objects.finished().filter(user=user, blueprint__guide__code=guide_code)
    history = list(finished.select_related("blueprint").order_by("finished_at"))
    rows = (
        AttemptDomainResult.objects.filter(attempt__in=finished)
        .select_related("domain")
        .order_by("attempt__finished_at", "domain__position")
        .values_list("attempt_id", "domain__name", "correct", "total")
    )
    order = {a.pk: i for i, a in enumerate(history)}
    series: dict[str, list[tuple[int, float]]] = defaultdict(list)
    seen_attempts = set()
    for attempt_id, name, correct, total in rows:
        seen_attempts.add(attempt_id)
        if total:
            series[name].append((order[attempt_id], round(100 * correct / total, 1)))
    domains = list(Domain.objects.filter(guide__code=guide_code).order_by("position"))
    totals = {
        r["domain_id"]: r
        for r in AttemptDomainResult.objects.filter(attempt__in=finished)
        .values("domain_id")
        .annotate(c=Sum("correct"), t=Sum("total"), n=Count("attempt", distinct=True))
    }
    standings = [
        DomainStanding(
            domain=d,
            correct=totals[d.pk]["c"],
            items=totals[d.pk]["t"],
            attempts=totals[d.pk]["n"],
        )
        for d in domains
        if d.pk in totals
    ]
    weakest = sorted((s for s in standings if s.percent is not None), key=lambda s: s.percent)[:2]
    drills = {
        b.drill_domain_id: b
        for b in Blueprint.objects.active().filter(
            mode=Blueprint.Mode.DRILL, drill_domain__in=domains, drill_task_statement=None
        )
    }
    missed = missed_items_for_user(user=user)
    return StudentDashboard(
        history=history,
        domain_series=dict(series),
        standings=standings,
        weakest=weakest,
        drills=drills,
        missed=missed,
        pending_analytics=len(history) - len(seen_attempts),
    )


def cohort_report_blueprints(*, cohort) -> list[Blueprint]:
    """Exam blueprints in order, each with `cohort_attempts`: the cohort's finished attempts."""
    return list(
        Blueprint.objects.filter(mode=Blueprint.Mode.EXAM)
        .select_related("guide")
        .annotate(
            cohort_attempts=Count(
                "attempts",
                filter=Q(attempts__user__cohorts=cohort)
                & ~Q(attempts__state=Attempt.State.IN_PROGRESS),
            )
        )
        .order_by("position")
    )


# ---- Item analysis ---------------------------------------------------------------------------


@dataclass
class ItemAnalysis:
    blueprint: Blueprint
    stats: BlueprintStatistics | None
    items: list[ItemStatistic]
    attempts_since: int
    run: AnalyticsRun | None
    options: dict = field(default_factory=dict)

    @property
    def flagged(self) -> list[ItemStatistic]:
        return [i for i in self.items if i.flags]


def item_analysis(*, blueprint: Blueprint) -> ItemAnalysis:
    stats = BlueprintStatistics.objects.filter(blueprint=blueprint).first()
    items = list(
        ItemStatistic.objects.filter(blueprint=blueprint)
        .select_related("question", "question__current_version")
        .order_by("discrimination", "question__key")
    )
    finished = Attempt.objects.finished().filter(blueprint=blueprint)
    since = (
        finished.filter(pk__gt=stats.last_attempt_id or 0).count() if stats else finished.count()
    )
    run = AnalyticsRun.objects.filter(blueprint=blueprint).first()
    option_ids = {int(k) for i in items for k in i.option_counts}
    options = {o.pk: o for o in Option.objects.filter(pk__in=option_ids)}
    return ItemAnalysis(
        blueprint=blueprint,
        stats=stats,
        items=items,
        attempts_since=since,
        run=run,
        options=options,
    )


# ---- Cohort reports --------------------------------------------------------------------------


@dataclass
class CohortReport:
    cohort: Cohort
    blueprint: Blueprint
    start: dt.date | None
    end: dt.date | None
    students: int
    attempts: int
    passed: int
    mean_scaled: float | None
    histogram: list[tuple[int, int]]
    domain_means: list[tuple[str, float | None, int]]
    heatmap_domains: list[str]
    heatmap: list[tuple[User, list[float | None]]]
    at_risk: list[tuple[User, float, int]]
    trend: list[tuple[dt.date, float, int]]

    @property
    def pass_rate(self) -> float | None:
        return 100 * self.passed / self.attempts if self.attempts else None


def cohort_report(
    *,
    cohort: Cohort,
    blueprint: Blueprint,
    start: dt.date | None = None,
    end: dt.date | None = None,
    recent: int = 3,
) -> CohortReport:
    """Every figure of the cohort report, from a fixed number of aggregate queries."""
    attempts = Attempt.objects.finished().filter(blueprint=blueprint, user__cohorts=cohort)
    if start:
        attempts = attempts.filter(finished_at__date__gte=start)
    if end:
        attempts = attempts.filter(finished_at__date__lte=end)
    summary = attempts.aggregate(
        n=Count("pk"),
        passed=Count("pk", filter=Q(passed=True)),
        mean=Avg("scaled_score"),
    )
    students = cohort.student_count
    bucket = Cast(F("scaled_score") / 50, IntegerField()) * 50
    hist = dict(
        attempts.annotate(b=bucket).values_list("b").annotate(n=Count("pk")).values_list("b", "n")
    )
    histogram = [(low, hist.get(low, 0)) for low in range(100, 1001, 50)]
    domains = list(blueprint.guide.domains.order_by("position"))
    domain_rows = AttemptDomainResult.objects.filter(attempt__in=attempts)
    means = {
        r["domain_id"]: r
        for r in domain_rows.values("domain_id").annotate(c=Sum("correct"), t=Sum("total"))
    }
    domain_means = [
        (
            d.name,
            100 * means[d.pk]["c"] / means[d.pk]["t"]
            if d.pk in means and means[d.pk]["t"]
            else None,
            means[d.pk]["t"] if d.pk in means else 0,
        )
        for d in domains
    ]
    cells = defaultdict(dict)
    for user_id, domain_id, c, t in (
        domain_rows.values("attempt__user_id", "domain_id")
        .annotate(c=Sum("correct"), t=Sum("total"))
        .values_list("attempt__user_id", "domain_id", "c", "t")
    ):
        cells[user_id][domain_id] = 100 * c / t if t else None
    people = list(cohort.students.order_by("username"))
    heatmap = [(u, [cells[u.pk].get(d.pk) for d in domains]) for u in people if u.pk in cells]
    recent_scores = defaultdict(list)
    for user_id, scaled in attempts.order_by("user_id", "-finished_at").values_list(
        "user_id", "scaled_score"
    ):
        if len(recent_scores[user_id]) < recent:
            recent_scores[user_id].append(scaled)
    by_id = {u.pk: u for u in people}
    at_risk = sorted(
        (
            (by_id[u], sum(s) / len(s), len(s))
            for u, s in recent_scores.items()
            if u in by_id and sum(s) / len(s) < blueprint.passing_score
        ),
        key=lambda row: row[1],
    )
    trend = [
        (week.date() if hasattr(week, "date") else week, mean, n)
        for week, mean, n in attempts.annotate(week=TruncWeek("finished_at"))
        .values("week")
        .annotate(mean=Avg(Cast("scaled_score", FloatField())), n=Count("pk"))
        .order_by("week")
        .values_list("week", "mean", "n")
    ]
    return CohortReport(
        cohort=cohort,
        blueprint=blueprint,
        start=start,
        end=end,
        students=students,
        attempts=summary["n"],
        passed=summary["passed"],
        mean_scaled=summary["mean"],
        histogram=histogram,
        domain_means=domain_means,
        heatmap_domains=[d.name for d in domains],
        heatmap=heatmap,
        at_risk=at_risk,
        trend=trend,
    )


# ---- Confidence over time (issue 14) ---------------------------------------------------------


@dataclass(frozen=True)
class ConfidencePoint:
    """One finished attempt that asked "How sure are you?": how often "Sure" was right."""

    attempt_id: int
    finished_at: dt.datetime
    title: str
    point: AttemptCalibrationPoint

    @property
    def sure(self) -> int:
        return self.point.sure

    @property
    def sure_wrong(self) -> int:
        return self.point.sure_wrong

    @property
    def sure_percent(self) -> float | None:
        return self.point.sure_percent


@dataclass(frozen=True)
class ConfidenceTrend:
    points: list[ConfidencePoint]

    @property
    def chart(self) -> dict:
        """The line chart's data: percent of Sure answers right per attempt (None: no Sure)."""
        return {
            "labels": [p.finished_at.strftime("%d %b") for p in self.points],
            "sure": [
                None if p.sure_percent is None else round(p.sure_percent, 1) for p in self.points
            ],
        }


def student_confidence_trend(*, user, guide_code: str) -> ConfidenceTrend:
    """Per finished attempt of the guide that asked confidence, oldest first: the answered items
    marked Sure and how many of them were right. One query whatever the number of attempts."""
    answered = Exists(ItemSelection.objects.filter(item=OuterRef("pk")))
    sure = Q(confidence=Confidence.SURE) & answered
    rows = (
        AttemptItem.objects.filter(
            attempt__in=Attempt.objects.finished().filter(
                user=user, ask_confidence=True, blueprint__guide__code=guide_code
            )
        )
        .values("attempt_id", "attempt__finished_at", "attempt__blueprint__title")
        .annotate(
            sure=Count("pk", filter=sure),
            sure_correct=Count("pk", filter=sure & Q(is_correct=True)),
        )
        .order_by("attempt__finished_at", "attempt_id")
    )
    return ConfidenceTrend(
        points=[
            ConfidencePoint(
                attempt_id=r["attempt_id"],
                finished_at=r["attempt__finished_at"],
                title=r["attempt__blueprint__title"],
                point=AttemptCalibrationPoint(sure=r["sure"], sure_correct=r["sure_correct"]),
            )
            for r in rows
        ]
    )
