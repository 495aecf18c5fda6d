"""A student sits exams in Chromium, found by roles and names as a person would."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from exams.models import Attempt, AttemptItem, Blueprint
from exams.scoring import scaled_score
from questions.bank import load_seed_bank
from tests.browser.conftest import assert_accessible, log_in, screenshot
from tests.factories.accounts import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def timer_seconds(page) -> int:
    parts = [int(p) for p in page.get_by_role("timer").inner_text().split(":")]
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds


def current_item(attempt_id: int, page) -> AttemptItem:
    position = int(re.search(r"/q/(\d+)/", page.url).group(1))
    return AttemptItem.objects.select_related("version").get(
        attempt_id=attempt_id, position=position
    )


def answer(page, item: AttemptItem, *, correct: bool):
    options = {o.pk: o for o in item.version.options.all()}
    keyed = [i for i in item.option_order if options[i].is_correct]
    wrong = [i for i in item.option_order if not options[i].is_correct]
    chosen = keyed if correct else wrong[: item.version.select_count]
    for option_id in chosen:
        # The options are native inputs labelled by their text; the text is Markdown, so the
        # test finds the input its label points at.
        box = page.locator(f"#opt-{option_id}")
        expect(page.locator(f"label[for=opt-{option_id}]")).to_be_visible()
        box.check()
    expect(page.locator("#save-status")).to_have_text("All answers saved")
    return chosen


def test_full_65_question_exam_with_flags_reload_resume_and_results(page, browser, live_server):
    load_seed_bank()
    student = UserFactory(role="Student")
    log_in(page, student)
    page.get_by_role("link", name="Exams", exact=True).click()
    page.get_by_role("button", name="Start DVA-C01 full mock exam").click()
    expect(page.get_by_role("heading", name="Question 1")).to_be_visible()
    attempt = Attempt.objects.get(user=student)
    assert 130 * 60 - 5 <= timer_seconds(page) <= 130 * 60

    correct_answers = 0
    for n in range(1, 66):
        expect(page.get_by_role("heading", name=f"Question {n}", exact=True)).to_be_visible()
        item = current_item(attempt.pk, page)
        if n % 10 != 0:  # leave every tenth unanswered
            good = n % 3 != 0
            answer(page, item, correct=good)
            correct_answers += good
        if n in (7, 21, 44):
            flag = page.get_by_role("button", name="Flag for review")
            flag.click()
            expect(flag).to_have_attribute("aria-pressed", "true")
            expect(page.locator("#save-status")).to_have_text("All answers saved")
        if n == 33:
            before = timer_seconds(page)
            page.reload()
            expect(page.get_by_role("heading", name="Question 33", exact=True)).to_be_visible()
            assert abs(timer_seconds(page) - before) <= 3
            assert (
                page.get_by_role("checkbox", checked=True).count()
                + page.get_by_role("radio", checked=True).count()
                >= 1
            )
        if n == 40:
            # Close the browser and come back in a new one: same question, answers, time.
            before = timer_seconds(page)
            page.context.close()
            context = browser.new_context(base_url=live_server.url)
            page = context.new_page()
            log_in(page, student)
            page.goto("/exams/")
            page.get_by_role("button", name="Resume DVA-C01 full mock exam").click()
            expect(page.get_by_role("heading", name="Question 40", exact=True)).to_be_visible()
            assert abs(timer_seconds(page) - before) <= 5
        if n < 65:
            page.get_by_role("button", name="Next").click()

    page.get_by_role("button", name="Review answers").click()
    expect(page.get_by_text("6 unanswered · 3 flagged · 65 questions")).to_be_visible()
    page.get_by_role("link", name="Flagged").click()
    expect(page.locator(".review-list li")).to_have_count(3)
    page.get_by_role("link", name="Question 21").click()
    expect(page.get_by_role("button", name="Flag for review")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.get_by_role("button", name="Submit exam").click()
    expect(page.get_by_text("6 unanswered questions")).to_be_visible()
    page.get_by_role("button", name="Submit exam").click()

    # The submit lands on the light page: score, domains, time; the full review is a click away.
    expect(page.get_by_role("heading", name="Submitted — your score")).to_be_visible()
    expected = scaled_score(correct_answers, 65)
    expect(page.locator("#scaled-score")).to_have_text(str(expected))
    expect(page.get_by_role("row", name=re.compile("^Security"))).to_be_visible()
    expect(page.locator("#auto-submitted")).to_have_count(0)
    assert_accessible(page)
    screenshot(page, "submitted")
    page.get_by_role("link", name="See the full review").click()
    expect(page.get_by_role("heading", name=re.compile("results"))).to_be_visible()
    expect(page.locator("#scaled-score")).to_have_text(str(expected))
    expect(page.get_by_role("heading", name="Results by domain")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("^Security"))).to_be_visible()
    screenshot(page, "results")
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.SUBMITTED
    assert attempt.correct_count == correct_answers
    assert attempt.items.filter(flagged=True).count() == 3


def test_the_open_page_submits_itself_at_the_deadline(page):
    load_seed_bank()
    student = UserFactory(role="Student")
    log_in(page, student)
    page.goto("/exams/")
    page.get_by_role("button", name="Start DVA-C01 full mock exam").click()
    expect(page.get_by_role("heading", name="Question 1")).to_be_visible()
    attempt = Attempt.objects.get(user=student)
    item = current_item(attempt.pk, page)
    answer(page, item, correct=True)
    # Shorten the server's deadline to a few seconds from now, then reload the page.
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(seconds=4))
    page.reload()
    expect(page.get_by_role("heading", name="Submitted — your score")).to_be_visible(timeout=20_000)
    expect(page.locator("#auto-submitted")).to_be_visible()
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.EXPIRED
    assert attempt.finished_at == attempt.deadline
    assert attempt.correct_count == 1


def test_a_short_exam_is_completed_with_the_keyboard_alone(page):
    load_seed_bank()
    Blueprint.objects.filter(slug="quick-practice").update(
        question_count=3,
        mode="exam",
        feedback="after_submit",
        duration_minutes=10,
        title="Three question check",
    )
    student = UserFactory(role="Student")
    log_in(page, student)
    page.goto("/exams/")
    start = page.get_by_role("button", name="Start Three question check")
    start.focus()
    page.keyboard.press("Enter")
    for n in (1, 2, 3):
        expect(page.get_by_role("heading", name=f"Question {n}", exact=True)).to_be_visible()
        first_option = page.locator("input[name=option]").first
        first_option.focus()
        page.keyboard.press("Space")
        expect(page.locator("#save-status")).to_have_text("All answers saved")
        target = "Next" if n < 3 else "Submit exam"
        for _ in range(30):
            page.keyboard.press("Tab")
            focused = page.evaluate("document.activeElement.textContent.trim()")
            if focused == target:
                break
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Submit your exam?")).to_be_visible()
    page.get_by_role("button", name="Submit exam").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Submitted — your score")).to_be_visible()
    # The full review is reachable from the keyboard too.
    review = page.get_by_role("link", name="See the full review")
    review.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("results"))).to_be_visible()
    attempt = Attempt.objects.get(user=student)
    assert attempt.items.filter(selections__isnull=False).distinct().count() == 3
