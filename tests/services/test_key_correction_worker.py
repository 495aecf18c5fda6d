"""A key correction through the real Redis broker and a real Celery worker on PostgreSQL: the
dry-run preview is what the worker's regrade does, attempt by attempt, and analytics follow."""

import pytest
from django.urls import reverse

from analytics.models import AttemptDomainResult
from exams.models import Attempt, AttemptEvent, KeyCorrection
from exams.services.regrade import correction_outcomes, correction_preview
from tests.factories.exams import reported_domain_rows, stored_domain_rows
from tests.factories.regrade import change_key, finished_attempts
from tests.faults.conftest import wait_for

pytestmark = pytest.mark.services("postgresql", "redis")


@pytest.mark.parametrize("policy", ["corrected", "either"])
def test_preview_matches_what_the_worker_does(start_worker, client, instructor, policy):
    worker = start_worker(ANALYTICS_DEBOUNCE_SECONDS=1)
    world = finished_attempts(8)
    ids = [a.pk for a in world.attempts]
    assert wait_for(
        lambda: (
            AttemptDomainResult.objects.filter(attempt_id__in=ids)
            .values("attempt_id")
            .distinct()
            .count()
            == len(ids)
        ),
        timeout=90,
    ), worker.output()
    change_key(world.question, correct="B")

    preview = correction_preview(
        question=world.question, policy=policy, reason="B is right", actor=instructor
    )
    assert preview.changed

    client.force_login(instructor)
    page = client.get(
        reverse("exams:key_correction", args=[world.question.pk]),
        {"policy": policy, "reason": "B is right", "preview": "1"},
    )
    assert page.status_code == 200
    response = client.post(
        reverse("exams:key_correction_apply", args=[world.question.pk]),
        {"policy": policy, "reason": "B is right", "version": world.question.current_version_id},
    )
    assert response.status_code == 302
    correction = KeyCorrection.objects.get()
    assert wait_for(
        lambda: KeyCorrection.objects.get(pk=correction.pk).state == KeyCorrection.State.DONE,
        timeout=90,
    ), worker.output()
    assert "exams.tasks.key_correction_apply" in worker.output()
    correction.refresh_from_db()
    assert correction_outcomes(correction=correction) == preview.outcomes
    assert correction.attempts_done == 8
    assert correction.attempts_changed == len(preview.changed)
    for attempt in Attempt.objects.filter(pk__in=ids):
        assert (
            AttemptEvent.objects.filter(attempt=attempt, kind=AttemptEvent.Kind.REGRADE).count()
            == 1
        )

    # Analytics follow: the stored domain rows match each attempt's new score report.
    def analytics_caught_up():
        return all(
            stored_domain_rows(a) == reported_domain_rows(a)
            for a in Attempt.objects.filter(pk__in=ids)
        )

    assert wait_for(analytics_caught_up, timeout=90), worker.output()
    assert "analytics.tasks.blueprint_statistics" in worker.output()

    # The progress page says it is done.
    body = client.get(reverse("exams:key_correction_detail", args=[correction.pk])).content
    assert b"Done" in body
