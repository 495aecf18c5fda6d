"""POST /attempts/<id>/q/<pos>/report/: only the owner, only once the key is visible to them."""

from __future__ import annotations

import random

import pytest
from django.test import Client
from django.urls import reverse

from exams.models import AttemptItem
from exams.services import answer_save, attempt_start, attempt_submit, item_check
from questions.models import QuestionReport
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db

REPORT = {"category": "key_wrong", "text": "I think B is also right."}


@pytest.fixture
def bank(db):
    return make_bank(per_domain=5)


@pytest.fixture
def exam(student, bank):
    return attempt_start(
        user=student, blueprint=short_blueprint(question_count=5), rng=random.Random(3)
    )


@pytest.fixture
def practice(student, bank):
    blueprint = short_blueprint(
        slug="practice",
        mode="practice",
        feedback="after_each",
        duration_minutes=None,
        question_count=5,
    )
    return attempt_start(user=student, blueprint=blueprint, rng=random.Random(4))


def _url(attempt, position=1):
    return reverse("exams:report_question", args=[attempt.pk, position])


def _item(attempt, position=1):
    return AttemptItem.objects.get(attempt=attempt, position=position)


def test_a_finished_attempt_item_is_reported_with_its_pinned_version(client, student, exam):
    attempt_submit(user=student, attempt_id=exam.pk)
    client.force_login(student)
    response = client.post(_url(exam, 2), REPORT)
    assert response.status_code == 302
    assert response["Location"] == reverse("exams:results", args=[exam.pk]) + "#q2"
    report = QuestionReport.objects.get()
    item = _item(exam, 2)
    assert (report.reporter, report.version_id, report.question_id) == (
        student,
        item.version_id,
        item.question_id,
    )
    page = client.get(response["Location"]).content.decode()
    assert "your report on question 2 is with the instructors" in page
    assert page.count("Report a problem with this question") == 4
    assert page.count("You reported a problem with this question") == 1


def test_an_exam_in_progress_is_refused_and_says_nothing_of_the_key(client, student, exam):
    client.force_login(student)
    response = client.post(_url(exam), REPORT, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "once its answer is shown" in body
    assert "Correct answer" not in body and "Key</span>" not in body
    assert not QuestionReport.objects.exists()


def test_an_unchecked_practice_item_is_refused(client, student, practice):
    client.force_login(student)
    response = client.post(_url(practice), REPORT)
    assert response.status_code == 302
    assert response["Location"] == reverse("exams:question", args=[practice.pk, 1])
    assert not QuestionReport.objects.exists()


def test_a_checked_practice_item_is_reported_and_the_form_is_on_its_page(client, student, practice):
    item = _item(practice)
    answer_save(
        user=student, attempt_id=practice.pk, position=1, option_ids=[item.option_order[0]], seq=1
    )
    client.force_login(student)
    unchecked = client.get(reverse("exams:question", args=[practice.pk, 1])).content.decode()
    assert "Report a problem with this question" not in unchecked
    item_check(user=student, attempt_id=practice.pk, position=1)
    page = client.get(reverse("exams:question", args=[practice.pk, 1])).content.decode()
    assert "Report a problem with this question" in page
    assert _url(practice) in page
    response = client.post(_url(practice), {"category": "typo", "text": ""})
    assert response.status_code == 302
    assert QuestionReport.objects.get().category == "typo"


def test_another_students_attempt_is_a_404_and_writes_nothing(student, other_student, exam):
    attempt_submit(user=student, attempt_id=exam.pk)
    client = Client()
    client.force_login(other_student)
    assert client.post(_url(exam), REPORT).status_code == 404
    assert client.post(_url(exam, 99), REPORT).status_code == 404
    assert not QuestionReport.objects.exists()


def test_get_is_not_allowed_and_anonymous_goes_to_log_in(client, student, exam):
    assert client.post(_url(exam), REPORT).status_code == 302
    client.force_login(student)
    assert client.get(_url(exam)).status_code == 405


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"category": "other", "text": ""},
        {"category": "²"},
        {"category": "typo", "text": "x" * 1001},
    ],
)
def test_bad_reports_go_back_with_a_message(client, student, exam, data):
    attempt_submit(user=student, attempt_id=exam.pk)
    client.force_login(student)
    response = client.post(_url(exam), data, follow=True)
    assert response.status_code == 200
    assert "The report was not sent" in response.content.decode()
    assert not QuestionReport.objects.exists()


def test_a_second_open_report_is_refused_with_a_clear_message(client, student, exam):
    attempt_submit(user=student, attempt_id=exam.pk)
    client.force_login(student)
    client.post(_url(exam), REPORT)
    response = client.post(_url(exam), {"category": "typo"}, follow=True)
    assert "already have an open report" in response.content.decode()
    assert QuestionReport.objects.count() == 1


def test_reports_are_rate_limited(client, student, exam, settings):
    # One a minute: of three posts at least one is refused, even across a minute boundary.
    settings.REPORT_RATE_LIMIT = 1
    attempt_submit(user=student, attempt_id=exam.pk)
    client.force_login(student)
    bodies = [
        client.post(_url(exam, position), REPORT, follow=True).content.decode()
        for position in (1, 2, 3)
    ]
    assert any("Too many reports" in body for body in bodies)
    assert QuestionReport.objects.count() <= 2


def test_the_results_page_offers_the_form_per_question(client, student, exam):
    attempt_submit(user=student, attempt_id=exam.pk)
    client.force_login(student)
    page = client.get(reverse("exams:results", args=[exam.pk])).content.decode()
    assert page.count("Report a problem with this question") == 5
    assert 'id="report-3-key_wrong"' in page
