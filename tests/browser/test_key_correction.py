"""The key-correction preview and the student's notice in Chromium, at 1280 and 390 px: the
instructor previews and applies, the student reads the regrade; axe-core finds nothing."""

import pytest
from playwright.sync_api import expect

from exams.models import KeyCorrection
from exams.services.regrade import correction_run
from tests.browser import conftest as ui
from tests.factories.accounts import UserFactory
from tests.factories.regrade import change_key, finished_attempts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_preview_apply_and_the_students_notice(page):
    world = finished_attempts(6)
    change_key(world.question, correct="B")
    instructor = UserFactory(role="Instructor")
    ui.log_in(page, instructor)

    page.goto(f"/questions/{world.question.pk}/")
    page.get_by_role("link", name="Preview and apply a key correction").click()
    page.get_by_label("Accept the old key or the corrected key").check()
    page.get_by_label("Reason (students read it with their new score)").fill(
        "Option B is also right: the service changed."
    )
    page.get_by_role("button", name="Preview the regrade").click()
    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    expect(page.get_by_role("button", name="Apply to 6 attempts")).to_be_visible()
    ui.assert_accessible(page)
    ui.screenshot(page, "key-correction-preview-1280")
    page.set_viewport_size(ui.PHONE)
    ui.assert_no_sideways_scroll(page)
    ui.screenshot(page, "key-correction-preview-390")
    page.set_viewport_size(ui.DESKTOP)

    page.get_by_role("button", name="Apply to 6 attempts").click()
    expect(page.get_by_role("heading", name="Key correction to v2")).to_be_visible()
    correction = KeyCorrection.objects.get()
    correction_run(correction_id=correction.pk)  # the eager task ran already or runs here
    page.reload()
    expect(page.get_by_role("status")).to_contain_text("Done")
    ui.assert_accessible(page)
    ui.screenshot(page, "key-correction-done-1280")

    gainer = world.attempts[1]  # answered B
    page.context.clear_cookies()
    gainer.user.set_password("correct-horse-battery-staple")
    gainer.user.save()
    ui.log_in(page, gainer.user)
    page.goto(f"/attempts/{gainer.pk}/results/")
    notice = page.locator("#regrade-notices")
    expect(notice).to_contain_text("key was corrected: Option B is also right")
    ui.assert_accessible(page)
    page.set_viewport_size(ui.PHONE)
    ui.assert_no_sideways_scroll(page)
    ui.screenshot(page, "key-correction-student-results-390")
