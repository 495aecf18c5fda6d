"""Cohort reports and their query budgets as the data grows."""

import csv
import io
import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from analytics.models import AttemptDomainResult, StudentDomainStanding
from analytics.services import standings_compute
from exams.models import Attempt, Blueprint
from tests.factories.accounts import CohortFactory, UserFactory

pytestmark = pytest.mark.django_db


def populate(cohort, blueprint, students: int, attempts_each: int = 2, seed: int = 1):
    """Bulk-create students with finished attempts and their domain rows (fast, set-based)."""
    rng = random.Random(seed)
    users = User.objects.bulk_create(
        User(username=f"s{seed}-{n}", email=f"s{seed}-{n}@example.test") for n in range(students)
    )
    cohort.students.add(*users)
    domains = list(blueprint.guide.domains.all())
    now = timezone.now()
    attempts = []
    for user in users:
        for _ in range(attempts_each):
            finished = now - timedelta(days=rng.randint(0, 40))
            scaled = rng.randint(400, 950)
            attempts.append(
                Attempt(
                    user=user,
                    blueprint=blueprint,
                    state="submitted",
                    started_at=finished,
                    finished_at=finished,
                    mode="exam",
                    feedback="after_submit",
                    passing_score=720,
                    cut_percent=72,
                    correct_count=40,
                    scored_count=65,
                    percent=61.5,
                    scaled_score=scaled,
                    passed=scaled >= 720,
                )
            )
    attempts = Attempt.objects.bulk_create(attempts)
    AttemptDomainResult.objects.bulk_create(
        AttemptDomainResult(attempt=a, domain=d, total=13, correct=rng.randint(3, 13))
        for a in attempts
        for d in domains
    )
    standings_compute()
    return users, attempts


@pytest.fixture
def setup():
    instructor = UserFactory(role="Instructor")
    cohort = CohortFactory(instructors=[instructor])
    blueprint = Blueprint.objects.get(slug="dva-c01-full-mock")
    return instructor, cohort, blueprint


def test_report_numbers_match_the_csv_export(client, setup):
    instructor, cohort, blueprint = setup
    populate(cohort, blueprint, students=12)
    client.force_login(instructor)
    url = reverse("analytics:cohort", args=[cohort.pk])
    report = client.get(url, {"blueprint": blueprint.pk}).context["r"]
    attempts = Attempt.objects.filter(user__cohorts=cohort)
    assert report.attempts == attempts.count() == 24
    assert report.passed == attempts.filter(passed=True).count()
    assert sum(n for _, n in report.histogram) == 24
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    reverse("analytics:cohort_csv", args=[cohort.pk]), {"blueprint": blueprint.pk}
                ).content.decode()
            )
        )
    )
    summary = {r[1]: r[2] for r in rows if r[0] == "summary"}
    assert summary["attempts"] == "24"
    assert summary["pass rate %"] == f"{report.pass_rate:.1f}"
    assert summary["mean scaled score"] == f"{report.mean_scaled:.0f}"
    domain_rows = {r[1]: r[2] for r in rows if r[0] == "domain mean %"}
    for name, mean, _ in report.domain_means:
        assert domain_rows[name] == f"{mean:.1f}"
    heat = [r for r in rows if r[0].startswith("student ")]
    assert len(heat) == 12 * 5
    at_risk = [r for r in rows if r[0] == "at risk"]
    assert len(at_risk) == len(report.at_risk)


def test_date_range_filters_attempts(client, setup):
    instructor, cohort, blueprint = setup
    populate(cohort, blueprint, students=5)
    client.force_login(instructor)
    today = timezone.now().date()
    report = client.get(
        reverse("analytics:cohort", args=[cohort.pk]),
        {
            "blueprint": blueprint.pk,
            "start": (today - timedelta(days=7)).isoformat(),
        },
    ).context["r"]
    expected = Attempt.objects.filter(
        user__cohorts=cohort, finished_at__date__gte=today - timedelta(days=7)
    ).count()
    assert report.attempts == expected


def test_instructor_cannot_see_another_cohort(client, setup):
    instructor, _, blueprint = setup
    other = CohortFactory(instructors=[UserFactory(role="Instructor")])
    client.force_login(instructor)
    assert client.get(reverse("analytics:cohort", args=[other.pk])).status_code == 404
    assert client.get(reverse("analytics:cohort_csv", args=[other.pk])).status_code == 404
    client.force_login(UserFactory(role="Admin"))
    assert client.get(reverse("analytics:cohort", args=[other.pk])).status_code == 200


def test_students_cannot_see_reports_or_item_analysis(client, setup, student):
    _, cohort, blueprint = setup
    client.force_login(student)
    assert client.get(reverse("analytics:cohort", args=[cohort.pk])).status_code == 403
    assert client.get(reverse("analytics:items", args=[blueprint.pk])).status_code == 403


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert call().status_code == 200
    return len(queries)


def test_report_query_count_is_equal_for_10_and_1000_students(client, setup):
    """Equal, not under a ceiling: one query per student would show as a difference."""
    instructor, cohort, blueprint = setup
    client.force_login(instructor)
    pages = {
        "report": lambda: client.get(
            reverse("analytics:cohort", args=[cohort.pk]), {"blueprint": blueprint.pk}
        ),
        "csv": lambda: client.get(
            reverse("analytics:cohort_csv", args=[cohort.pk]), {"blueprint": blueprint.pk}
        ),
    }
    populate(cohort, blueprint, students=10, seed=1)
    for call in pages.values():
        call()  # warms the process-wide caches (content types, permissions)
    few = {page: _queries(call) for page, call in pages.items()}
    populate(cohort, blueprint, students=990, seed=2)
    many = {page: _queries(call) for page, call in pages.items()}
    assert cohort.students.count() == 1000
    assert pages["csv"]().content.decode().count("\nstudent ") == 1000 * 5
    assert many == few


def test_dashboard_and_item_page_query_counts_are_equal_for_10_and_1000_students(client, setup):
    instructor, cohort, blueprint = setup
    users, _ = populate(cohort, blueprint, students=10, seed=1)
    student = users[0]
    student.groups.add(*UserFactory(role="Student").groups.all())
    dashboard = lambda: client.get(reverse("analytics:dashboard"))  # noqa: E731
    items = lambda: client.get(reverse("analytics:items", args=[blueprint.pk]))  # noqa: E731

    def measure() -> dict[str, int]:
        client.force_login(student)
        dashboard()  # warms the process-wide caches
        counts = {"dashboard": _queries(dashboard)}
        client.force_login(instructor)
        items()
        counts["item analysis"] = _queries(items)
        return counts

    few = measure()
    populate(cohort, blueprint, students=990, seed=2)
    many = measure()
    assert StudentDomainStanding.objects.values("user").distinct().count() == 1000
    assert StudentDomainStanding.objects.filter(user=student).count() == 5
    assert many == few
