"""The spaced-review page in Chromium: due cards, Start, answer with feedback, the count drops."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from exams.models import AttemptItem
from questions.models import Question
from study.models import ReviewCard
from tests.browser import conftest as ui
from tests.browser.test_results_and_dashboard import log_in, sit
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _deck(student):
    """Two cards due (in review, last seen four days ago), one due in three days."""
    make_bank(per_domain=2)
    # A finished mock, so the dashboard has a history (its cards are replaced by the chosen ones).
    sit(student, short_blueprint(slug="review-mock", question_count=4))
    ReviewCard.objects.filter(user=student).delete()
    now = timezone.now()
    questions = list(Question.objects.published().filter(is_pretest=False).order_by("pk")[:3])
    for n, question in enumerate(questions):
        ReviewCard.objects.create(
            user=student,
            question=question,
            state=ReviewCard.State.REVIEW,
            stability=4.0,
            difficulty=5.0,
            last_review=now - timedelta(days=4),
            due=now - timedelta(hours=1) if n < 2 else now + timedelta(days=3),
            reps=2,
        )


def test_review_due_cards_with_feedback_and_the_count_drops(page, live_server):
    student = UserFactory(role="Student")
    _deck(student)
    log_in(page, live_server, student)
    page.goto("/dashboard/")
    panel = page.get_by_role("region", name="Spaced review")
    expect(panel).to_contain_text("2 cards due today")
    expect(
        panel.get_by_role("img", name="Review cards due on each of the next 14 days")
    ).to_be_visible()
    ui.check_both_widths(page, "review-dashboard-panel")
    panel.get_by_role("link", name="Go to review").click()

    expect(page.get_by_role("heading", name="Spaced review", level=1)).to_be_visible()
    expect(page.locator("#due-now")).to_have_text("2")
    expect(
        page.get_by_role("img", name="Review cards due on each of the next 14 days")
    ).to_be_visible()
    page.get_by_text("Show the forecast as a table").click()
    expect(page.get_by_role("table")).to_contain_text("Today")
    ui.check_both_widths(page, "review-page")

    # A retention out of bounds is refused with a clear message on the field.
    page.get_by_label("Desired retention").fill("0.5")
    page.get_by_role("button", name="Save retention").click()
    expect(page.get_by_text("Choose at least 0.70")).to_be_visible()
    ui.assert_accessible(page)
    page.get_by_label("Desired retention").fill("0.85")
    page.get_by_role("button", name="Save retention").click()
    expect(page.get_by_text("Desired retention set to 0.85")).to_be_visible()

    page.get_by_role("button", name="Start today's review (2)").click()
    expect(page.get_by_role("heading", name="Question 1")).to_be_visible()
    item = AttemptItem.objects.get(
        attempt__user=student, attempt__blueprint__slug="spaced-review", position=1
    )
    key = next(o.pk for o in item.version.options.all() if o.is_correct)
    page.locator(f"label[for=opt-{key}]").click()
    expect(page.locator("#save-status")).to_have_text("All answers saved")
    page.get_by_role("button", name="Check answer").click()
    expect(page.get_by_role("heading", name="Correct.")).to_be_visible()
    ui.check_both_widths(page, "review-feedback")

    card = ReviewCard.objects.get(user=student, question=item.question_id)
    assert card.due > timezone.now() + timedelta(days=1)  # rated in the check, pushed out
    page.goto("/review/")
    expect(page.locator("#due-now")).to_have_text("1")
    # The session is resumed, not started twice.
    page.get_by_role("button", name="Start today's review (1)").click()
    expect(page.get_by_role("heading", name="Question 1")).to_be_visible()
