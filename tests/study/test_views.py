"""The review page, its Start and retention forms, and the dashboard panel's queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from exams.models import Attempt
from questions.models import Question
from study.models import ReviewCard, StudyPreference
from study.services import due_summaries_recompute
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db


def _cards(user, n, *, due_in=timedelta(0), **fields):
    questions = Question.objects.published().filter(is_pretest=False).order_by("pk")[:n]
    return [
        ReviewCard.objects.create(user=user, question=q, due=timezone.now() + due_in, **fields)
        for q in questions
    ]


def test_review_page_shows_due_forecast_and_retention(student_client, student):
    make_bank(per_domain=2)
    _cards(student, 3, due_in=-timedelta(hours=1))
    body = student_client.get(reverse("study:review")).content.decode()
    assert "Start today&#x27;s review (3)" in body or "Start today's review (3)" in body
    assert 'id="review-forecast-data"' in body
    assert 'value="0.90"' in body


def test_empty_deck_explains_where_cards_come_from(student_client):
    body = student_client.get(reverse("study:review")).content.decode()
    assert "Your deck is empty" in body
    assert "Start today" not in body


def test_start_opens_a_practice_of_the_due_cards(student_client, student):
    make_bank(per_domain=2)
    cards = _cards(student, 3, due_in=-timedelta(minutes=5))
    ReviewCard.objects.filter(pk=cards[2].pk).update(due=timezone.now() + timedelta(days=3))
    response = student_client.post(reverse("study:review_start"))
    attempt = Attempt.objects.get(user=student)
    assert response.status_code == 302
    assert response["Location"] == reverse("exams:question", args=[attempt.pk, 1])
    assert attempt.blueprint.slug == "spaced-review"
    assert attempt.feedback == "after_each" and attempt.deadline is None
    assert attempt.ask_confidence
    assert set(attempt.items.values_list("question_id", flat=True)) == {
        cards[0].question_id,
        cards[1].question_id,
    }
    # Pressing Start again resumes the same session.
    student_client.post(reverse("study:review_start"))
    assert Attempt.objects.filter(user=student).count() == 1


def test_start_with_nothing_due_says_so(student_client, student):
    response = student_client.post(reverse("study:review_start"), follow=True)
    assert "Nothing is due for review now" in response.content.decode()
    assert not Attempt.objects.filter(user=student).exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0.5", "Choose at least 0.70"),
        ("0.99", "Choose at most 0.97"),
        ("90", "Choose at most 0.97"),
        ("abc", "Enter a number such as 0.90."),
        ("", "Enter a retention such as 0.90."),
        ("0.855", "at most two decimals"),
        ("²", "Enter a number"),
    ],
)
def test_retention_form_errors_are_clear(student_client, student, value, message):
    response = student_client.post(reverse("study:retention"), {"desired_retention": value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not StudyPreference.objects.exists()


def test_retention_is_saved_and_used(student_client, student):
    response = student_client.post(reverse("study:retention"), {"desired_retention": "0.85"})
    assert response.status_code == 302
    assert StudyPreference.objects.get(user=student).desired_retention == Decimal("0.85")
    assert 'value="0.85"' in student_client.get(reverse("study:review")).content.decode()


@pytest.mark.parametrize("deck", [2, 12])
@pytest.mark.parametrize("summarised", [False, True])
def test_dashboard_panel_queries_do_not_grow_with_the_deck(
    student_client, student, deck, summarised
):
    make_bank(per_domain=3)
    _cards(student, deck, due_in=-timedelta(hours=1), stability=3.0, difficulty=5.0)
    ReviewCard.objects.filter(user=student).update(last_review=timezone.now() - timedelta(days=2))
    if summarised:
        due_summaries_recompute()
    url = reverse("analytics:dashboard")
    student_client.get(url)
    with CaptureQueriesContext(connection) as queries:
        body = student_client.get(url).content.decode()
    study = [q for q in queries.captured_queries if "study_" in q["sql"]]
    assert len(study) == (3 if summarised else 5), [q["sql"] for q in study]
    assert 'id="review-panel"' in body
    assert f'<strong id="panel-due-today">{deck}</strong>' in body
    assert reverse("study:review") in body


def test_dashboard_queries_are_the_same_for_a_small_and_a_large_deck(student_client, student):
    make_bank(per_domain=3)
    url = reverse("analytics:dashboard")
    totals = []
    for n in (2, 14):
        ReviewCard.objects.filter(user=student).delete()
        _cards(student, n, due_in=-timedelta(hours=1), stability=3.0, difficulty=5.0)
        ReviewCard.objects.filter(user=student).update(
            last_review=timezone.now() - timedelta(days=2)
        )
        student_client.get(url)
        with CaptureQueriesContext(connection) as queries:
            student_client.get(url)
        totals.append(len(queries.captured_queries))
    assert totals[0] == totals[1]


def test_the_plan_ranks_reviews_the_weakest_task_statement_drill_and_a_mock(
    student_client, student, django_capture_on_commit_callbacks, settings
):
    from exams.models import Blueprint
    from tests.factories.exams import short_blueprint
    from tests.factories.study import WRONG, sit_and_submit

    settings.STUDY_MOCK_EVERY_DAYS = 7
    make_bank(per_domain=4, guide="DVA-C02")
    practice = short_blueprint(
        slug="c02-practice", guide="DVA-C02", question_count=12, mode="practice"
    )
    # Everything wrong: 12 cards due within minutes, every task statement at 0 %.
    with django_capture_on_commit_callbacks(execute=True):
        sit_and_submit(student, practice, dict.fromkeys(range(1, 13), (WRONG, "")))
    ReviewCard.objects.update(due=timezone.now() - timedelta(minutes=1))
    body = student_client.get(reverse("analytics:dashboard") + "?guide=DVA-C02").content.decode()
    assert 'id="study-plan"' in body
    plan = body[body.index('id="study-plan"') : body.index('id="review-panel"')]
    # No C02 mock yet: a mock is proposed (gain 3); 12 due cards never reviewed (gain 6);
    # the weakest task statement at 0 % (its share of 65 questions × 0.72).
    assert "Start today&#x27;s review (12)" in plan
    assert "You have not sat a full mock of this guide yet" in plan
    assert "Start DVA-C02 full mock exam" in plan
    drill = Blueprint.objects.filter(drill_task_statement__code="1.1").first()
    assert f"Start the drill: {drill.title}" in plan
    # Reviews 12 × 1 = 12 > drill (0.72 × 65 × 0.32 / 3 ≈ 5.0) > mock 3.
    assert plan.index("review (12)") < plan.index("Start the drill") < plan.index("full mock")
    assert reverse("exams:start", args=["dva-c02-full-mock"]) in plan
