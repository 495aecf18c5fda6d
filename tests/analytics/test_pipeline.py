"""The analytics pipeline in-process (eager Celery): rows, idempotency, recompute, drift."""

import random
import re

import pytest
from django.urls import reverse

from analytics.models import (
    AnalyticsRun,
    AttemptDomainResult,
    BlueprintStatistics,
    ItemStatistic,
    StudentDomainStanding,
)
from analytics.services import attempt_results_compute, recompute_everything
from analytics.tasks import recompute_all_analytics
from exams.models import Attempt, AttemptEvent, AttemptItem, Blueprint
from exams.services import answer_save, attempt_start, attempt_submit
from tests.factories.accounts import UserFactory
from tests.factories.exams import reported_domain_rows, short_blueprint, stored_domain_rows
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db(transaction=True)


def sit(user, blueprint, correct_positions, seed=1):
    attempt = attempt_start(user=user, blueprint=blueprint, rng=random.Random(seed))
    for item in attempt.items.select_related("version").prefetch_related("version__options"):
        options = {o.pk: o for o in item.version.options.all()}
        keyed = [o for o in item.option_order if options[o].is_correct]
        wrong = [o for o in item.option_order if not options[o].is_correct][:1]
        chosen = keyed if item.position in correct_positions else wrong
        answer_save(
            user=user, attempt_id=attempt.pk, position=item.position, option_ids=chosen, seq=1
        )
    return attempt_submit(user=user, attempt_id=attempt.pk)


def test_submit_stores_domain_rows_matching_the_score_report():
    make_bank(per_domain=6)
    student = UserFactory(role="Student")
    attempt = sit(student, short_blueprint(), correct_positions={1, 2, 3, 4, 5, 6})
    rows = stored_domain_rows(attempt)
    assert rows == reported_domain_rows(attempt)
    assert sum(c for _, c, _ in rows) == 6
    standings = {
        s.domain.name: (s.correct, s.items)
        for s in StudentDomainStanding.objects.filter(user=student)
    }
    assert standings == {name: (c, t) for name, c, t in rows}
    assert BlueprintStatistics.objects.get(blueprint=attempt.blueprint).attempts == 1


def test_running_the_attempt_task_twice_gives_the_samestored_domain_rows():
    make_bank(per_domain=6)
    attempt = sit(UserFactory(role="Student"), short_blueprint(), correct_positions={2, 4})
    before = stored_domain_rows(attempt)
    attempt_results_compute(attempt_id=attempt.pk)
    attempt_results_compute(attempt_id=attempt.pk)
    assert stored_domain_rows(attempt) == before
    assert AttemptDomainResult.objects.filter(attempt=attempt).count() == len(before)


def test_full_recompute_equals_the_incremental_results():
    make_bank(per_domain=6)
    blueprint = short_blueprint()
    attempts = [
        sit(UserFactory(role="Student"), blueprint, set(range(1, n + 1)), seed=n) for n in (3, 6, 9)
    ]
    incremental = {a.pk: stored_domain_rows(a) for a in attempts}
    standings = sorted(
        StudentDomainStanding.objects.values_list("user_id", "domain_id", "items", "correct")
    )
    recompute_all_analytics.delay().get()
    assert {a.pk: stored_domain_rows(a) for a in attempts} == incremental
    assert (
        sorted(
            StudentDomainStanding.objects.values_list("user_id", "domain_id", "items", "correct")
        )
        == standings
    )


def test_nightly_recompute_repairs_drift_from_the_raw_answers_and_audits_it():
    make_bank(per_domain=6)
    attempt = sit(UserFactory(role="Student"), short_blueprint(), correct_positions={1, 2, 3})
    # Someone (or a bug) flips a stored correctness flag: the raw answers say otherwise.
    AttemptItem.objects.filter(attempt=attempt, position=1).update(is_correct=False)
    summary = recompute_everything()
    assert summary["regraded_attempts"] == 1
    assert AttemptItem.objects.get(attempt=attempt, position=1).is_correct is True
    assert sum(c for _, c, _ in stored_domain_rows(attempt)) == 3
    assert AttemptEvent.objects.filter(attempt=attempt, kind="regrade").count() == 1
    attempt.refresh_from_db()
    assert attempt.correct_count == 3


def test_item_statistics_show_dashes_when_undefined(client):
    make_bank(per_domain=6)
    blueprint = short_blueprint()
    sit(UserFactory(role="Student"), blueprint, correct_positions={1})
    client.force_login(UserFactory(role="Instructor"))
    body = client.get(reverse("analytics:items", args=[blueprint.pk])).content.decode()
    assert "from 1 attempt, 0 since" in body
    assert "—" in body
    stat = ItemStatistic.objects.filter(blueprint=blueprint).first()
    assert stat.discrimination is None and stat.sd is None


def test_recompute_now_reports_progress_until_done(client):
    make_bank(per_domain=6)
    blueprint = short_blueprint()
    for seed in range(3):
        sit(UserFactory(role="Student"), blueprint, set(range(1, seed * 3 + 2)), seed=seed)
    client.force_login(UserFactory(role="Instructor"))
    response = client.post(
        reverse("analytics:recompute", args=[blueprint.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    run = AnalyticsRun.objects.get()
    assert run.status == "done" and run.progress == 100  # eager: ran on commit
    # The fragment polls the run's own status URL; a fragment without one would never update.
    polled = re.findall(r'hx-get="([^"]+)"', response.content.decode())
    assert polled == [reverse("analytics:run", args=[run.pk])]
    status = client.get(polled[0], HTTP_HX_REQUEST="true")
    assert "Recomputed" in status.content.decode()
    stats = BlueprintStatistics.objects.get(blueprint=blueprint)
    assert stats.attempts == 3 and stats.sd is not None


def test_student_dashboard_shows_weak_domains_with_a_drill_and_item_counts(client):
    make_bank(per_domain=12)
    student = UserFactory(role="Student")
    blueprint = Blueprint.objects.get(slug="dva-c01-full-mock")
    Blueprint.objects.filter(pk=blueprint.pk).update(question_count=20)
    blueprint.refresh_from_db()
    sit(student, blueprint, correct_positions=set(range(1, 11)))
    client.force_login(student)
    body = client.get(reverse("analytics:dashboard")).content.decode()
    assert "Your weakest domains" in body
    assert "Drill " in body
    assert "few items" in body  # 20-question forms: every domain rests on few items


def test_rolled_back_submission_leaves_no_analytics():
    from django.db import transaction

    make_bank(per_domain=6)
    student = UserFactory(role="Student")
    attempt = attempt_start(user=student, blueprint=short_blueprint())
    with pytest.raises(RuntimeError), transaction.atomic():
        attempt_submit(user=student, attempt_id=attempt.pk)
        raise RuntimeError("the request failed after submitting")
    assert Attempt.objects.get(pk=attempt.pk).state == "in_progress"
    assert not AttemptDomainResult.objects.exists()


def test_practise_missed_questions_again(client):
    make_bank(per_domain=6)
    student = UserFactory(role="Student")
    first = sit(student, short_blueprint(), correct_positions={1, 2, 3, 4, 5, 6, 7})
    missed = set(first.items.filter(is_correct=False).values_list("question_id", flat=True))
    client.force_login(student)
    response = client.post(reverse("analytics:retry_missed"))
    retry = Attempt.objects.get(user=student, blueprint__slug="retry-missed")
    assert response.url == reverse("exams:question", args=[retry.pk, 1])
    assert set(retry.items.values_list("question_id", flat=True)) == missed
    assert retry.feedback == "after_each"
