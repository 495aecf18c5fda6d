"""A rate-limited flag toggle: the page retries, keeps the student's last choice, still saves."""

import random

import pytest
from playwright.sync_api import expect

from exams.models import AttemptEvent, AttemptItem
from exams.services import attempt_start
from tests.browser.conftest import log_in
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_flag_refused_with_429_is_retried_and_answers_still_save(page, settings):
    settings.FLAG_RATE_LIMIT = 1  # one toggle per student per ten-second window
    make_bank(per_domain=6)
    student = UserFactory(role="Student")
    attempt = attempt_start(user=student, blueprint=short_blueprint(), rng=random.Random(5))
    log_in(page, student)
    flag_statuses = []
    page.on("response", lambda r: flag_statuses.append(r.status) if "/flag/" in r.url else None)
    page.goto(f"/attempts/{attempt.pk}/q/1/")
    flag = page.get_by_role("button", name="Flag for review")
    status = page.locator("#save-status")

    flag.click()
    expect(status).to_have_text("All answers saved")
    # Two more toggles: whichever window each falls in, at least one of them is refused.
    with page.expect_response(lambda r: "/flag/" in r.url):
        flag.click()
    flag.click()
    expect(flag).to_have_attribute("aria-pressed", "true")
    item = AttemptItem.objects.get(attempt=attempt, position=1)
    page.locator(f"#opt-{item.option_order[0]}").check()
    # A 429 is the server asking to slow down, not a lost connection: the page says which.
    expect(status).to_have_text("Busy — retrying…")

    # The page keeps retrying once the window has passed; nothing the student chose is lost.
    expect(status).to_have_text("All answers saved", timeout=40_000)
    assert 429 in flag_statuses and flag_statuses[-1] == 200
    item.refresh_from_db()
    assert item.flagged
    assert list(item.selections.values_list("option_id", flat=True)) == [item.option_order[0]]
    assert AttemptEvent.objects.filter(attempt=attempt, kind="flag").count() in (1, 3)
    page.reload()
    expect(page.get_by_role("button", name="Flag for review")).to_have_attribute(
        "aria-pressed", "true"
    )
