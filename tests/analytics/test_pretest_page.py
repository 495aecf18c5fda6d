"""The instructor's pretest items page: calibration figures, readiness to promote, promotion."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics.models import CalibrationRun, ItemCalibration
from analytics.services import calibration
from questions.models import Question, QuestionEvent
from tests.factories.accounts import UserFactory
from tests.factories.questions import make_question

pytestmark = pytest.mark.django_db


def pretest_items(n: int) -> list[Question]:
    made = [make_question() for _ in range(n)]
    Question.objects.filter(pk__in=[q.pk for q in made]).update(is_pretest=True)
    for q in made:
        q.refresh_from_db()
    return made


def calibrate(questions, **params) -> CalibrationRun:
    """A done run with fixture parameters inserted directly (no estimator needed)."""
    run = CalibrationRun.objects.create(status=CalibrationRun.Status.DONE, attempts_used=500)
    values = {"a": 1.2, "b": 0.3, "c": 0.25, "se_a": 0.1, "se_b": 0.2, "n": 250, "model": "2pl"}
    values.update(params)
    ItemCalibration.objects.bulk_create(
        ItemCalibration(run=run, version_id=q.current_version_id, **values) for q in questions
    )
    return run


def test_ready_to_promote_follows_the_stated_thresholds():
    ready, few, flat, hard, vague = pretest_items(5)
    calibrate([ready])
    run = CalibrationRun.objects.get()
    for q, change in (
        (few, {"n": 199}),
        (flat, {"a": 0.49}),
        (hard, {"b": -3.2}),
        (vague, {"se_b": 0.31}),
    ):
        values = {"a": 1.2, "b": 0.3, "c": 0.25, "se_a": 0.1, "se_b": 0.2, "n": 250}
        values.update(change)
        ItemCalibration.objects.create(
            run=run, version_id=q.current_version_id, model="2pl", **values
        )
    rows = {r.question.pk: r for r in calibration.pretest_rows()}
    assert rows[ready.pk].ready
    assert not any(rows[q.pk].ready for q in (few, flat, hard, vague))
    # Peak information: a²/4 at c = 0, less with guessing.
    assert calibration.discriminative_efficiency(1.0, 0.0, 0.0) == pytest.approx(0.25)
    assert 0 < rows[ready.pk].efficiency < 1.2**2 / 4


def test_page_lists_items_in_a_fixed_number_of_queries(client):
    client.force_login(UserFactory(role="Instructor"))
    url = reverse("analytics:pretest")
    calibrate(pretest_items(2))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    CalibrationRun.objects.all().delete()
    calibrate([*Question.objects.filter(is_pretest=True), *pretest_items(18)])
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert page.status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
    assert page.content.decode().count("Ready to promote") >= 20


def test_promote_writes_the_audit_event_and_leaves_the_list(client):
    instructor = UserFactory(role="Instructor")
    (item,) = pretest_items(1)
    run = calibrate([item])
    client.force_login(instructor)
    response = client.post(reverse("analytics:pretest_promote", args=[item.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("analytics:pretest")
    item.refresh_from_db()
    assert not item.is_pretest
    event = QuestionEvent.objects.get(question=item)
    assert event.actor == instructor and event.detail["run"] == run.pk and event.detail["n"] == 250
    page = client.get(reverse("analytics:pretest")).content.decode()
    assert reverse("questions:detail", args=[item.pk]) not in page
    # Promoting again changes nothing and says so.
    client.post(reverse("analytics:pretest_promote", args=[item.pk]))
    assert QuestionEvent.objects.filter(question=item).count() == 1


def test_students_cannot_see_or_promote(client):
    (item,) = pretest_items(1)
    client.force_login(UserFactory(role="Student"))
    assert client.get(reverse("analytics:pretest")).status_code == 403
    assert client.post(reverse("analytics:pretest_promote", args=[item.pk])).status_code == 403
    item.refresh_from_db()
    assert item.is_pretest


def test_promoting_a_draft_pretest_item_is_refused_with_a_message(client):
    item = make_question(status=Question.Status.DRAFT)
    Question.objects.filter(pk=item.pk).update(is_pretest=True)
    client.force_login(UserFactory(role="Instructor"))
    response = client.post(reverse("analytics:pretest_promote", args=[item.pk]), follow=True)
    assert response.status_code == 200
    assert "only a published pretest item" in response.content.decode()
    assert not QuestionEvent.objects.exists()


def test_results_page_says_uncalibrated_and_shows_domain_uncertainty(client):
    """No run yet: the linear score is labelled, and each domain has its band."""
    import random

    from exams.services import attempt_start, attempt_submit
    from tests.factories.exams import short_blueprint
    from tests.factories.questions import make_bank

    make_bank(per_domain=3)
    student = UserFactory(role="Student")
    attempt = attempt_start(user=student, blueprint=short_blueprint(), rng=random.Random(1))
    attempt = attempt_submit(user=student, attempt_id=attempt.pk)
    client.force_login(student)
    page = client.get(reverse("exams:results", args=[attempt.pk])).content.decode()
    assert "uncalibrated estimate" in page
    assert "equated-score" not in page
    assert page.count('class="text-body-secondary domain-band"') == len(attempt.domain_results)
    assert "few questions: a rough signal" in page
