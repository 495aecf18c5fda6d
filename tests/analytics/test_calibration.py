"""IRT calibration end to end through the real services: runs, linking, equating, readiness."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from django.urls import reverse

from analytics.models import AttemptEquating, CalibrationRun, ItemCalibration
from analytics.services import calibration
from analytics.tasks import calibrate_items
from exams.services import answer_save, attempt_start, attempt_submit
from tests.factories.accounts import CohortFactory, UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db(transaction=True)

N_STUDENTS = 40


def sit_by_ability(user, blueprint, theta: float, rng: random.Random):
    """Sit a form answering each item right with a probability that grows with `theta`."""
    attempt = attempt_start(user=user, blueprint=blueprint, rng=rng)
    for item in attempt.items.select_related("version").prefetch_related("version__options"):
        options = {o.pk: o for o in item.version.options.all()}
        keyed = [o for o in item.option_order if options[o].is_correct]
        wrong = [o for o in item.option_order if not options[o].is_correct][:1]
        # Difficulty by question id parity: half the items harder than the other half.
        b = 0.8 if item.question_id % 2 else -0.8
        p = 1 / (1 + math.exp(-(theta - b)))
        chosen = keyed if rng.random() < p else wrong
        answer_save(
            user=user, attempt_id=attempt.pk, position=item.position, option_ids=chosen, seq=1
        )
    return attempt_submit(user=user, attempt_id=attempt.pk)


@pytest.fixture
def cohort_sat(settings):
    """A 30-item DVA-C01 bank, a 10-question exam and 40 students of known ability."""
    settings.CALIBRATED_MIN_ATTEMPTS = 20
    make_bank(per_domain=6)
    blueprint = short_blueprint(slug="irt-mock")
    rng = random.Random(12)
    students = [UserFactory(role="Student") for _ in range(N_STUDENTS)]
    attempts = [sit_by_ability(s, blueprint, rng.gauss(0, 1), rng) for s in students]
    return blueprint, students, attempts


def run_calibration(user=None) -> CalibrationRun:
    run, created = calibration.calibration_request(user=user, dispatch=calibrate_items.delay)
    assert created
    run.refresh_from_db()
    return run


def test_a_run_calibrates_every_version_and_equates_every_exam_attempt(cohort_sat):
    blueprint, students, attempts = cohort_sat
    run = run_calibration()
    assert run.status == CalibrationRun.Status.DONE, run.error
    assert run.attempts_used == N_STUDENTS and run.responses_used == 10 * N_STUDENTS
    assert run.linked_to is None and (run.link_A, run.link_B) == (1.0, 0.0)
    assert ItemCalibration.objects.filter(run=run).count() == 30
    assert run.items_calibrated >= 20
    rows = AttemptEquating.objects.filter(run=run)
    assert rows.count() == N_STUDENTS
    for row in rows:
        assert 100 <= row.low <= row.equated_score <= row.high <= 1000
        assert row.theta_sd > 0
    # Higher raw percent on the same form never gets a much lower ability.
    by_attempt = {r.attempt_id: r for r in rows}
    best = max(attempts, key=lambda a: a.percent)
    worst = min(attempts, key=lambda a: a.percent)
    assert by_attempt[best.pk].theta > by_attempt[worst.pk].theta
    cut = calibration.blueprint_cut(blueprint=blueprint)
    assert cut is not None and cut.run == run and cut.reference_items >= 20


def test_a_second_run_is_linked_and_adds_rows_without_editing_the_first(cohort_sat):
    run1 = run_calibration()
    before = {
        r.pk: (r.attempt_id, r.theta, r.equated_score, r.low, r.high)
        for r in AttemptEquating.objects.filter(run=run1)
    }
    run2 = run_calibration()
    assert run2.status == CalibrationRun.Status.DONE, run2.error
    assert run2.linked_to_id == run1.pk and run2.link_A > 0
    after = {
        r.pk: (r.attempt_id, r.theta, r.equated_score, r.low, r.high)
        for r in AttemptEquating.objects.filter(run=run1)
    }
    assert after == before  # the score given at submission never changes
    assert AttemptEquating.objects.filter(run=run2).count() == N_STUDENTS
    # Same data, linked scale: the re-estimates stay close to the first ones.
    first = {a: s for a, _t, s, _l, _h in before.values()}
    for r in AttemptEquating.objects.filter(run=run2):
        assert abs(r.equated_score - first[r.attempt_id]) <= 40


def test_the_task_is_idempotent(cohort_sat):
    run = run_calibration()
    items = list(ItemCalibration.objects.filter(run=run).values_list("version_id", "a", "b"))
    rows = AttemptEquating.objects.count()
    calibrate_items(run.pk)  # a redelivered task: the run is done, nothing changes
    calibrate_items.delay(run.pk)
    assert list(ItemCalibration.objects.filter(run=run).values_list("version_id", "a", "b")) == (
        items
    )
    assert AttemptEquating.objects.count() == rows


def test_a_second_request_while_one_is_queued_returns_it(db):
    dispatched = []
    run, created = calibration.calibration_request(user=None, dispatch=dispatched.append)
    again, created_again = calibration.calibration_request(user=None, dispatch=dispatched.append)
    assert created and not created_again and again == run
    assert dispatched == [run.pk]  # on commit (transactional test: committed at once)


def test_an_uncalibrated_run_stores_no_equating(cohort_sat, settings):
    settings.CALIBRATED_MIN_ATTEMPTS = 10_000
    run = run_calibration()
    assert run.status == CalibrationRun.Status.DONE
    assert not AttemptEquating.objects.exists()
    assert calibration.blueprint_cut(blueprint=cohort_sat[0]) is None


def test_a_finished_attempt_is_equated_at_once_with_the_latest_run(cohort_sat):
    blueprint, students, _ = cohort_sat
    run = run_calibration()
    attempt = sit_by_ability(students[0], blueprint, 0.5, random.Random(99))
    row = AttemptEquating.objects.get(attempt=attempt)
    assert row.run == run and row.raw_percent == pytest.approx(float(attempt.percent))


def test_results_page_shows_the_equated_score_and_later_re_estimates(cohort_sat, client):
    blueprint, students, attempts = cohort_sat
    url = reverse("exams:results", args=[attempts[0].pk])
    client.force_login(students[0])
    page = client.get(url).content.decode()
    assert "uncalibrated estimate" in page and "equated-score" not in page
    run1 = run_calibration()
    page = client.get(url).content.decode()
    assert 'id="equated-score"' in page and "uncalibrated estimate" not in page
    first = AttemptEquating.objects.get(attempt=attempts[0], run=run1)
    assert f"likely between {first.low} and {first.high}" in page
    assert f"{first.raw_percent:.1f}%" in page
    run2 = run_calibration()
    page = client.get(url).content.decode()
    assert f"Re-estimated by run {run2.pk} on" in page


def test_blueprint_page_shows_theta_cut(cohort_sat, client):
    blueprint = cohort_sat[0]
    client.force_login(UserFactory(role="Instructor"))
    url = reverse("exams:blueprint_edit", args=[blueprint.pk])
    assert "No θ<sub>cut</sub> yet" in client.get(url).content.decode()
    run_calibration()
    page = client.get(url).content.decode()
    cut = calibration.blueprint_cut(blueprint=blueprint)
    assert f'id="theta-cut">{cut.theta_cut:.2f}' in page
    assert "72.00%" in page


def test_dashboard_and_cohort_report_show_the_chance_of_passing(cohort_sat, client):
    blueprint, students, _ = cohort_sat
    run_calibration()
    client.force_login(students[0])
    page = client.get(reverse("analytics:dashboard") + "?guide=DVA-C01").content.decode()
    readiness = calibration.student_readiness(user=students[0], guide_code="DVA-C01")
    assert readiness.probability is not None
    assert (
        f'Chance of passing DVA-C01 now: <span id="readiness-percent">{readiness.percent} %' in page
    )
    assert f"likely between {readiness.low_percent} and {readiness.high_percent} %" in page
    assert "Based on 10 scored items over 1 attempt" in page
    assert "halves every 30 days" in page

    instructor = UserFactory(role="Instructor")
    cohort = CohortFactory(instructors=[instructor], students=students[:10])
    client.force_login(instructor)
    page = client.get(
        reverse("analytics:cohort", args=[cohort.pk]) + f"?blueprint={blueprint.pk}"
    ).content.decode()
    assert "Readiness: chance of passing DVA-C01 now" in page
    csv = client.get(reverse("analytics:cohort_readiness_csv", args=[cohort.pk]) + "?guide=DVA-C01")
    lines = csv.content.decode().strip().splitlines()
    assert lines[0].startswith("username,name,chance of passing %")
    assert len(lines) == 11


def test_calibrate_now_page_and_button(cohort_sat, client):
    client.force_login(UserFactory(role="Instructor"))
    assert client.get(reverse("analytics:calibration")).status_code == 200
    response = client.post(reverse("analytics:calibrate_now"))
    assert response.status_code == 302
    run = CalibrationRun.objects.get()
    assert run.status == CalibrationRun.Status.DONE  # eager Celery in the tests
    page = client.get(reverse("analytics:calibration")).content.decode()
    assert f"Latest run: {run.pk}" in page and "calibrated" in page
    partial = client.get(reverse("analytics:calibration_run", args=[run.pk]))
    assert f"Calibration {run.pk} finished" in partial.content.decode()


def test_readiness_pages_cost_the_same_queries_for_5_and_40_students(cohort_sat, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    blueprint, students, _ = cohort_sat
    run_calibration()
    instructor = UserFactory(role="Instructor")
    small = CohortFactory(instructors=[instructor], students=students[:5])
    large = CohortFactory(instructors=[instructor], students=students)
    client.force_login(instructor)

    def count(cohort, name, query):
        url = reverse(name, args=[cohort.pk])
        client.get(url, query)  # warm the process-wide caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, query).status_code == 200
        return len(queries)

    for name, query in (
        ("analytics:cohort_readiness_csv", {"guide": "DVA-C01"}),
        ("analytics:cohort", {"blueprint": blueprint.pk}),
    ):
        assert count(small, name, query) == count(large, name, query), name


def test_vectorised_equating_agrees_with_the_per_attempt_functions(cohort_sat):
    """Every stored equating equals irt.eap / true_score_equate / equated_score per attempt."""
    from analytics import irt
    from exams.models import AttemptItem

    blueprint, _students, attempts = cohort_sat
    run = run_calibration()
    params = calibration.run_params(run)
    domains = calibration.reference_domains(blueprint=blueprint, params=params)
    rows = {r.attempt_id: r for r in AttemptEquating.objects.filter(run=run)}
    assert len(rows) == len(attempts)
    for attempt in attempts:
        known = [
            (params.items[v][:3], 1 if ok else 0)
            for v, ok in AttemptItem.objects.filter(attempt=attempt, scored=True).values_list(
                "version_id", "is_correct"
            )
            if params.calibrated(v)
        ]
        a, b, c = (np.array([p[i] for p, _ in known]) for i in range(3))
        x = np.array([ok for _, ok in known])
        theta, sd = irt.eap(a, b, c, x)
        cut = float(attempt.cut_percent)
        score = irt.true_score_equate(int(x.sum()), [p for p, _ in known], domains, cut_percent=cut)
        low = irt.equated_score(theta - sd, domains, cut_percent=cut)
        high = irt.equated_score(theta + sd, domains, cut_percent=cut)
        row = rows[attempt.pk]
        assert row.theta == pytest.approx(theta, abs=1e-9)
        assert row.theta_sd == pytest.approx(sd, abs=1e-9)
        assert (row.equated_score, row.low, row.high) == (score, min(low, score), max(high, score))
