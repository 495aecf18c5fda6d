"""Submits that cost little: the light "Submitted — your score" page and the request budgets.

A submit lands on `exams:submitted` (the score, the domains and the time, from the attempt's
row), not on the full review. The submit request is the session, the user, one locked read, one
grading statement, the attempt's update and the audit row; analytics wait for the commit.
"""

import random
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.models import AttemptDomainResult
from exams.models import Attempt, AttemptEvent
from exams.services import answer_save, attempt_start
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db


def _start(student, *, mode="exam", question_count=10, right=3):
    make_bank(per_domain=12)
    blueprint = short_blueprint(
        slug=f"light-{mode}",
        mode=mode,
        question_count=question_count,
        feedback="after_submit",
    )
    attempt = attempt_start(user=student, blueprint=blueprint, rng=random.Random(5))
    items = attempt.items.select_related("version").prefetch_related("version__options")
    for item in list(items.order_by("position"))[:right]:
        keyed = [o.pk for o in item.version.options.all() if o.is_correct]
        answer_save(
            user=student, attempt_id=attempt.pk, position=item.position, option_ids=keyed, seq=1
        )
    return attempt


def test_submit_lands_on_the_light_page_with_score_domains_time_and_a_link_to_the_review(
    student_client, student
):
    attempt = _start(student)
    response = student_client.post(reverse("exams:submit", args=[attempt.pk]))
    assert response.status_code == 302
    assert response.url == reverse("exams:submitted", args=[attempt.pk])

    page = student_client.get(response.url)
    assert page.status_code == 200
    body = page.content.decode()
    attempt.refresh_from_db()
    assert attempt.correct_count == 3
    assert "Submitted — your score" in body
    assert f'id="scaled-score">{attempt.scaled_score}</p>' in body
    assert ("PASS" if attempt.passed else "FAIL") in body
    for domain in attempt.domain_results:
        assert f'<th scope="row">{domain["domain"]}</th>' in body
    assert page.context["time_used"] == attempt.finished_at - attempt.started_at
    assert "By you" in body and 'id="auto-submitted"' not in body
    assert f'href="{reverse("exams:results", args=[attempt.pk])}"' in body
    assert "See the full review" in body
    # Light: no question, key or explanation on it.
    assert "Explanation." not in body and "Key</span>" not in body
    assert "result-question" not in body


def test_practice_lands_on_percent_correct_not_a_scaled_score(student_client, student):
    attempt = _start(student, mode="practice")
    response = student_client.post(reverse("exams:submit", args=[attempt.pk]), follow=True)
    body = response.content.decode()
    attempt.refresh_from_db()
    assert response.redirect_chain[-1][0] == reverse("exams:submitted", args=[attempt.pk])
    assert f'id="percent-correct">{attempt.percent:.0f}%</p>' in body
    assert 'id="scaled-score"' not in body and "PASS" not in body and "FAIL" not in body


def test_the_pages_own_auto_submit_lands_there_and_says_it_was_automatic(student_client, student):
    attempt = _start(student)
    deadline = timezone.now() - timedelta(seconds=1)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=deadline)
    response = student_client.post(reverse("exams:submit", args=[attempt.pk]), {"auto": "1"})
    assert response.url == reverse("exams:submitted", args=[attempt.pk])
    page = student_client.get(response.url)
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.EXPIRED
    assert page.context["auto_submitted"] is True
    assert 'id="auto-submitted"' in page.content.decode()
    assert page.context["time_used"] == deadline - attempt.started_at


def test_an_attempt_in_progress_goes_back_to_its_question_with_a_message(student_client, student):
    attempt = _start(student, right=0)
    Attempt.objects.filter(pk=attempt.pk).update(current_position=4)
    response = student_client.get(reverse("exams:submitted", args=[attempt.pk]), follow=True)
    assert response.redirect_chain[0][0] == reverse("exams:question", args=[attempt.pk, 4])
    assert "Your score appears once the attempt is submitted." in response.content.decode()


def test_a_closed_attempts_question_page_goes_to_the_light_page(student_client, student):
    attempt = _start(student, right=0)
    student_client.post(reverse("exams:submit", args=[attempt.pk]))
    response = student_client.get(reverse("exams:question", args=[attempt.pk, 1]))
    assert response.url == reverse("exams:submitted", args=[attempt.pk])


def test_another_students_attempt_is_a_404_on_submit_and_on_the_page(
    client, student, other_student
):
    attempt = _start(student, right=0)
    client.force_login(other_student)
    assert client.post(reverse("exams:submit", args=[attempt.pk])).status_code == 404
    assert client.post(reverse("exams:submit", args=[10**9])).status_code == 404
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.IN_PROGRESS
    client.force_login(student)
    client.post(reverse("exams:submit", args=[attempt.pk]))
    client.force_login(other_student)
    assert client.get(reverse("exams:submitted", args=[attempt.pk])).status_code == 404


def _statements(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries]


def test_the_submit_request_is_one_locked_read_one_grading_statement_an_update_and_a_log(
    student_client, student, django_assert_num_queries, django_capture_on_commit_callbacks
):
    attempt = _start(student, question_count=20, right=7)
    student_client.get(reverse("exams:list"))  # the session and the user, warmed as a page
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        django_assert_num_queries(8) as captured,
    ):
        response = student_client.post(reverse("exams:submit", args=[attempt.pk]))
    assert response.status_code == 302
    session, user, begin, lock, grade, finish, log, commit = _statements(captured)
    assert "django_session" in session and "accounts_user" in user
    assert begin.startswith("SAVEPOINT") and commit.startswith("RELEASE SAVEPOINT")
    assert "FOR UPDATE" in lock and '"exams_attempt"."user_id"' in lock
    assert grade.lstrip().startswith("WITH graded AS MATERIALIZED")
    assert "UPDATE exams_attemptitem SET is_correct" in grade
    assert finish.startswith('UPDATE "exams_attempt"')
    assert log.startswith('INSERT INTO "exams_attemptevent"')
    attempt.refresh_from_db()
    assert attempt.correct_count == 7
    assert AttemptEvent.objects.filter(attempt=attempt, kind="submit").count() == 1
    # Analytics and review cards are not made on the request: one callback each (analytics,
    # study), queued for after the commit, sends them to Celery; nothing derived exists until
    # they run. The third is the LTI grade lookup, which finds no launch for this attempt.
    assert len(callbacks) == 3
    assert not AttemptDomainResult.objects.filter(attempt=attempt).exists()
    for callback in callbacks:
        callback()  # the tests' Celery is eager: the tasks run here, as a worker would
    assert AttemptDomainResult.objects.filter(attempt=attempt).exists()


def test_a_second_submit_is_the_locked_read_alone(
    student_client, student, django_assert_num_queries
):
    attempt = _start(student)
    student_client.post(reverse("exams:submit", args=[attempt.pk]))
    with django_assert_num_queries(5):  # session, user, savepoint, locked read, release
        response = student_client.post(reverse("exams:submit", args=[attempt.pk]))
    assert response.url == reverse("exams:submitted", args=[attempt.pk])
    assert AttemptEvent.objects.filter(attempt=attempt, kind="submit").count() == 1


@pytest.mark.parametrize("question_count", [10, 30])
def test_the_light_page_is_a_handful_of_queries_whatever_the_form_length(
    student_client, student, django_assert_num_queries, question_count
):
    attempt = _start(student, question_count=question_count)
    student_client.post(reverse("exams:submit", args=[attempt.pk]))
    url = reverse("exams:submitted", args=[attempt.pk])
    student_client.get(url)  # process-wide caches (content types) warmed
    # The session, the user, the attempt with its blueprint, the user's groups (the menu);
    # nothing per item or per domain.
    with django_assert_num_queries(4) as captured:
        assert student_client.get(url).status_code == 200
    assert not any("exams_attemptitem" in sql for sql in _statements(captured))
