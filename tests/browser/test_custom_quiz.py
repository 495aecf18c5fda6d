"""A student builds a quiz, sits it and reads a percent-correct result, in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from exams.models import Attempt
from tests.browser import conftest as ui
from tests.browser.test_results_and_dashboard import log_in
from tests.factories.accounts import UserFactory
from tests.factories.questions import make_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_build_sit_and_read_a_custom_quiz(page, live_server):
    for _ in range(3):
        make_question(domain="Security")
    make_question(domain="Deployment")
    student = UserFactory(role="Student", accommodation_minutes=10)
    log_in(page, live_server, student)

    page.goto("/exams/")
    page.get_by_role("link", name="Build a quiz").click()
    expect(page.get_by_role("heading", name="Build a quiz")).to_be_visible()
    ui.check_both_widths(page, "custom-quiz-form")

    # Asking for more than exist: told how many do, with that number filled in.
    page.get_by_role("checkbox", name=re.compile("^Security")).check()
    page.get_by_label("Number of questions").fill("10")
    page.get_by_role("radio", name=re.compile("^Exam: answers")).check()
    page.get_by_role("button", name="Build quiz").click()
    expect(page.get_by_role("alert").first).to_contain_text("Only 3 questions match")
    expect(page.get_by_label("Number of questions")).to_have_value("3")
    assert not Attempt.objects.filter(user=student).exists()
    ui.check_both_widths(page, "custom-quiz-too-few")

    # Timed without minutes: a clear error on the field.
    page.get_by_role("radio", name="Timed", exact=True).check()
    page.get_by_role("button", name="Build quiz").click()
    expect(page.get_by_text("A timed quiz needs a time limit in minutes.")).to_be_visible()
    page.get_by_label("Minutes (timed only)").fill("15")
    page.get_by_role("button", name="Build quiz").click()

    expect(page.get_by_role("heading", name="Question 1")).to_be_visible()
    attempt = Attempt.objects.get(user=student)
    assert attempt.mode == "custom" and attempt.feedback == "after_submit"
    assert (attempt.deadline - attempt.started_at).total_seconds() == 25 * 60
    expect(page.get_by_role("button", name="Check answer")).to_have_count(0)
    for n in (1, 2, 3):
        expect(page.get_by_role("heading", name=f"Question {n}", exact=True)).to_be_visible()
        page.get_by_role("radio").first.check()
        if n < 3:
            page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Finish quiz").click()
    page.get_by_role("button", name="Submit exam").click()

    expect(page.get_by_role("heading", name="Submitted — your score")).to_be_visible()
    expect(page.locator("#percent-correct")).to_be_visible()
    expect(page.locator("#scaled-score")).to_have_count(0)
    expect(page.locator("#custom-quiz-summary")).to_contain_text(
        "3 questions from Security; timed, 15 minutes"
    )
    page.get_by_role("link", name="See the full review").click()
    expect(page.get_by_role("heading", name=re.compile("results"))).to_be_visible()
    expect(page.locator("#percent-correct")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("^Security"))).to_be_visible()
    ui.check_both_widths(page, "custom-quiz-results")

    page.goto("/exams/attempts/")
    expect(page.get_by_role("cell", name=re.compile("% correct"))).to_be_visible()
