import math

import pytest
from django.core.management import call_command

from accounts.models import Cohort, User
from analytics.models import (
    AttemptDomainResult,
    AttemptEquating,
    BlueprintStatistics,
    CalibrationRun,
    ItemCalibration,
)
from analytics.services import calibration
from demo.data import DEMO_COHORT, DEMO_PASSWORD, DEMO_PLAN, DEMO_PRETEST_ITEMS, DEMO_STUDENT_PLAN
from exams.models import Attempt, Blueprint
from questions.models import Question

pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS = 30 * len(DEMO_PLAN) + len(DEMO_STUDENT_PLAN)  # 243


def test_seed_demo_loads_accounts_bank_and_a_simulated_cohort_once(capsys):
    call_command("seed_demo")
    counts = (
        User.objects.count(),
        Question.objects.count(),
        Attempt.objects.count(),
        CalibrationRun.objects.count(),
    )
    call_command("seed_demo")
    assert (
        User.objects.count(),
        Question.objects.count(),
        Attempt.objects.count(),
        CalibrationRun.objects.count(),
    ) == counts
    out = capsys.readouterr().out
    for username, role in (
        ("student", "Student"),
        ("instructor", "Instructor"),
        ("admin", "Admin"),
    ):
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.check_password(DEMO_PASSWORD)
        assert f"username: {username}" in out
    cohort = Cohort.objects.get(name=DEMO_COHORT)
    assert cohort.is_demo and cohort.students.count() == 31
    assert cohort.instructors.filter(username="instructor").exists()
    finished = Attempt.objects.finished()
    assert finished.count() == ATTEMPTS and not Attempt.objects.in_progress().exists()
    assert set(finished.values_list("is_demo", flat=True)) == {True}
    scores = list(finished.values_list("scaled_score", flat=True))
    assert min(scores) < 720 < max(scores)  # varied ability: some pass, some fail
    assert AttemptDomainResult.objects.values("attempt").distinct().count() == ATTEMPTS
    assert BlueprintStatistics.objects.get(blueprint__slug="dva-c01-full-mock").attempts == 31
    assert Question.objects.published().count() >= 150


def test_seed_demo_calibrates_the_bank_so_every_irt_screen_has_figures():
    call_command("seed_demo")
    # The first calibration ran on first start, over at least CALIBRATED_MIN_ATTEMPTS attempts.
    run = calibration.latest_run()
    assert run is not None and run.status == CalibrationRun.Status.DONE
    assert run.attempts_used == ATTEMPTS >= calibration.calibrated_min_attempts()
    assert calibration.run_is_calibrated(run)
    # ~28 responses per scored item: Rasch (a fixed at the run's mean); the pretest items,
    # on every DVA-C02 form, have 200+ and a 2PL estimate.
    assert ItemCalibration.objects.filter(run=run, model="rasch").count() >= 300
    assert ItemCalibration.objects.filter(run=run, model="2pl").count() >= DEMO_PRETEST_ITEMS
    # Results: every finished exam attempt has an equated score under the run.
    assert AttemptEquating.objects.filter(run=run).count() == ATTEMPTS
    # Blueprint: θ_cut of both full mocks.
    for slug in ("dva-c01-full-mock", "dva-c02-full-mock"):
        cut = calibration.blueprint_cut(blueprint=Blueprint.objects.get(slug=slug))
        assert cut is not None and math.isfinite(cut.theta_cut)
    # Dashboard: the demo student's chance of passing DVA-C02, and what it rests on.
    student = User.objects.get(username="student")
    readiness = calibration.student_readiness(user=student, guide_code="DVA-C02")
    assert readiness.probability is not None and 0 <= readiness.low <= readiness.high <= 1
    assert readiness.items == 100 and readiness.attempts == 2 and readiness.weakest
    # Cohort readiness: everyone in the demo cohort has a chance of passing, some at risk.
    cohort = calibration.cohort_readiness(
        cohort=Cohort.objects.get(name=DEMO_COHORT), guide_code="DVA-C02"
    )
    assert cohort.calibrated and cohort.no_evidence == 0
    assert all(r.probability is not None for _u, r in cohort.rows)
    assert 0 < len(cohort.at_risk) < 31
    # Pretest: the demo's pretest items are calibrated from their unscored slots, some ready.
    rows = calibration.pretest_rows()
    assert len(rows) == DEMO_PRETEST_ITEMS
    assert all(r.calibration is not None and r.calibration.n >= 200 for r in rows)
    assert any(r.ready for r in rows)
