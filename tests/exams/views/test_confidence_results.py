"""The results page's calibration table: shown when asked, with a fixed number of queries."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exams.services import answer_save, attempt_start, attempt_submit
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db


def _sit(user, blueprint, *, seed=5, confidences=("sure", "unsure", "guess", "")):
    """Answer every item, the first option (right or wrong), cycling through `confidences`."""
    attempt = attempt_start(user=user, blueprint=blueprint, rng=random.Random(seed))
    asks = attempt.ask_confidence
    for n, item in enumerate(attempt.items.order_by("position")):
        answer_save(
            user=user,
            attempt_id=attempt.pk,
            position=item.position,
            option_ids=[item.option_order[0]],
            seq=1,
            confidence=confidences[n % len(confidences)] if asks else None,
        )
    return attempt_submit(user=user, attempt_id=attempt.pk)


def test_the_results_show_the_sure_but_wrong_list_first_and_the_table(student_client, student):
    make_bank(per_domain=8)
    blueprint = short_blueprint(slug="asks", ask_confidence=True, mode="practice")
    attempt = _sit(student, blueprint)
    html = student_client.get(reverse("exams:results", args=[attempt.pk])).content.decode()
    assert "How sure you were" in html
    wrong_sure = [
        i.position
        for i in attempt.items.order_by("position")
        if i.confidence == "sure" and i.is_correct is False
    ]
    assert wrong_sure, "the seed should give at least one sure-but-wrong answer"
    for position in wrong_sure:
        assert f'href="#q{position}">Question {position}</a>' in html
    assert html.index("Sure but wrong") < html.index("calibration-table")
    for label in ("Sure", "Unsure", "Guess", "Not given"):
        assert f'<th scope="row">{label}</th>' in html
    sure = attempt.items.filter(confidence="sure")
    right = sure.filter(is_correct=True).count()
    assert f"<td>{sure.count()}</td><td>{right}</td>" in html
    # Filtered, the links lead back to the full list, where the anchors are.
    filtered = student_client.get(
        reverse("exams:results", args=[attempt.pk]), {"show": "flagged"}
    ).content.decode()
    url = reverse("exams:results", args=[attempt.pk])
    assert f'href="{url}#q{wrong_sure[0]}"' in filtered


def test_no_table_when_the_attempt_did_not_ask(student_client, student):
    make_bank(per_domain=8)
    attempt = _sit(student, short_blueprint())
    html = student_client.get(reverse("exams:results", args=[attempt.pk])).content.decode()
    assert "How sure you were" not in html


def _results_queries(client, blueprint) -> int:
    student = UserFactory(role="Student")
    client.force_login(student)
    attempt = _sit(student, blueprint)
    url = reverse("exams:results", args=[attempt.pk])
    client.get(url)  # warm the process-wide caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_calibration_adds_one_query_whatever_the_form_length(client):
    make_bank(per_domain=20)
    small = short_blueprint(slug="small", question_count=10, ask_confidence=True)
    large = short_blueprint(slug="large", question_count=40, ask_confidence=True)
    plain = short_blueprint(slug="plain", question_count=40)
    asked_small, asked_large = _results_queries(client, small), _results_queries(client, large)
    not_asked = _results_queries(client, plain)
    assert asked_small == asked_large
    assert asked_large == not_asked + 1
