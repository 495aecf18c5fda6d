""" "How sure are you?" in Chromium: chosen with the keyboard alone, kept over a reload, read-only
after feedback, and the results' calibration table with the sure-but-wrong list first."""

from __future__ import annotations

import random
import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from exams.models import AttemptItem
from exams.services import answer_save, attempt_start, attempt_submit
from tests.browser import conftest as ui
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, user) -> None:
    """A logged-in session cookie (the log-in form is tested elsewhere)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_confidence_by_keyboard_kept_over_a_reload_and_the_calibration_on_the_results(
    page, live_server
):
    make_bank(per_domain=4)
    blueprint = short_blueprint(
        slug="practice-sure",
        title="Practice with confidence",
        mode="practice",
        feedback="after_each",
        duration_minutes=None,
        question_count=4,
        ask_confidence=True,
    )
    student = UserFactory(role="Student")
    attempt = attempt_start(user=student, blueprint=blueprint, rng=random.Random(4))
    _log_in(page, live_server, student)
    page.goto(f"/attempts/{attempt.pk}/q/1/")

    group = page.get_by_role("group", name=re.compile("How sure are you"))
    expect(group).to_be_visible()
    expect(group.get_by_text("(optional)")).to_be_visible()

    # Keyboard only: an answer with Space, then Tab into the group and an arrow key.
    page.locator("input[name=option]").first.focus()
    page.keyboard.press("Space")
    expect(page.locator("#save-status")).to_have_text("All answers saved")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "confidence":
            break
    assert page.evaluate("document.activeElement.value") == "sure"  # the group's first radio
    page.keyboard.press("ArrowRight")
    unsure = page.get_by_role("radio", name="Unsure")
    expect(unsure).to_be_checked()
    expect(unsure).to_be_focused()
    expect(page.locator("#save-status")).to_have_text("All answers saved")
    item = AttemptItem.objects.get(attempt=attempt, position=1)
    assert item.confidence == "unsure"
    assert item.selections.exists()

    page.reload()
    expect(page.get_by_role("radio", name="Unsure")).to_be_checked()

    def asks():
        expect(group).to_be_visible()
        expect(page.get_by_role("radio", name="Unsure")).to_be_checked()

    ui.check_both_widths(page, "confidence-question", reload=True, check=asks)

    # After "Check answer" the choice stays on the page, read-only.
    page.set_viewport_size(ui.DESKTOP)
    page.get_by_role("button", name="Check answer").click()
    expect(page.locator("#feedback")).to_be_visible()
    expect(page.get_by_role("radio", name="Unsure")).to_be_checked()
    expect(page.get_by_role("radio", name="Unsure")).to_be_disabled()
    ui.screenshot(page, "confidence-question-feedback-desktop")
    ui.assert_accessible(page)

    # The rest answered wrong while sure (service calls), then submitted.
    for other in attempt.items.filter(position__gt=1).select_related("version"):
        wrong = [o.pk for o in other.version.options.all() if not o.is_correct][:1]
        answer_save(
            user=student,
            attempt_id=attempt.pk,
            position=other.position,
            option_ids=wrong,
            seq=1,
            confidence="sure",
        )
    attempt_submit(user=student, attempt_id=attempt.pk)
    page.goto(f"/attempts/{attempt.pk}/results/")

    misconceptions = page.locator("ul.sure-but-wrong")

    def calibration():
        heading = page.get_by_role("heading", name=re.compile("Sure but wrong"))
        expect(heading).to_be_visible()
        expect(misconceptions.get_by_role("link")).to_have_count(3)
        table = page.get_by_role("table", name=re.compile("how sure you said you were"))
        expect(table).to_be_visible()
        sure_row = table.get_by_role("row", name=re.compile("^Sure"))
        expect(sure_row).to_contain_text("3")
        expect(sure_row).to_contain_text("0%")
        for label in ("Unsure", "Guess", "Not given"):
            expect(table.get_by_role("rowheader", name=label, exact=True)).to_be_visible()
        # The misconceptions come before the table.
        assert heading.bounding_box()["y"] < table.bounding_box()["y"]

    ui.check_both_widths(page, "confidence-results", reload=True, check=calibration)

    page.locator("section.calibration").screenshot(
        path=str(ui.SCREENSHOTS / "confidence-results-section-phone.png")
    )
    page.set_viewport_size(ui.DESKTOP)
    link = misconceptions.get_by_role("link").first
    target = link.get_attribute("href")
    link.click()
    expect(page.locator(target)).to_be_in_viewport()

    # The dashboard follows it over time: a table (and a chart) per attempt that asked.
    page.goto("/dashboard/?guide=DVA-C01")

    def trend():
        section = page.get_by_role("region", name="When you were sure")
        expect(section).to_be_visible()
        table = page.get_by_role("table", name="Sure answers per attempt")
        expect(table).to_contain_text("0 of 3 (0%)")

    ui.check_both_widths(page, "confidence-dashboard", reload=True, check=trend)
    page.locator("section.confidence-trend").screenshot(
        path=str(ui.SCREENSHOTS / "confidence-dashboard-section-phone.png")
    )


def test_a_new_blueprint_asks_in_practice_and_drills_until_the_author_decides(page, live_server):
    make_bank(per_domain=2)
    _log_in(page, live_server, UserFactory(role="Instructor"))
    page.goto("/blueprints/new/")
    box = page.get_by_role("checkbox", name="Ask how sure the student is")
    expect(box).not_to_be_checked()  # exam mode by default
    page.get_by_label("Mode").select_option("practice")
    expect(box).to_be_checked()
    page.get_by_label("Mode").select_option("exam")
    expect(box).not_to_be_checked()
    box.check()  # the author's choice stands
    page.get_by_label("Mode").select_option("drill")
    page.get_by_label("Mode").select_option("exam")
    expect(box).to_be_checked()
    ui.assert_accessible(page)
