"""Code blocks in rendered Markdown scroll inside themselves and take keyboard focus."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from questions.services import question_create
from tests.browser.conftest import PHONE, assert_accessible, assert_no_sideways_scroll, log_in
from tests.factories.accounts import UserFactory
from tests.factories.questions import question_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLICY = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": '
    '["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "Resource": '
    '"arn:aws:s3:::an-example-bucket-with-a-rather-long-name/uploads/*"}]}'
)


def test_a_long_policy_scrolls_in_its_own_focusable_block_on_a_phone(page):
    stem = f"Which statement does this policy allow?\n\n```json\n{POLICY}\n```"
    data = question_data(domain="Security", stem=stem)
    # A short reference: this test is about code blocks, not about wrapping long URLs.
    data["references"] = ["https://docs.aws.amazon.com/"]
    question = question_create(data=data, status="draft")
    instructor = UserFactory(role="Instructor")
    page.set_viewport_size(PHONE)
    log_in(page, instructor)
    page.goto(reverse("questions:detail", args=[question.pk]))
    expect(page.get_by_role("heading", name="Preview as a student sees it")).to_be_visible()

    blocks = page.locator("pre")
    expect(blocks.first).to_have_attribute("tabindex", "0")
    assert blocks.first.evaluate("(el) => el.scrollWidth > el.clientWidth")
    assert_no_sideways_scroll(page)

    # Tab reaches the code block, and the arrow keys then scroll it.
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.tagName") == "PRE":
            break
    else:
        pytest.fail("Tab never reached the code block")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    # Keyboard scrolling may be animated, so wait for it rather than read it at once.
    page.wait_for_function("() => document.activeElement.scrollLeft > 0", timeout=5_000)
    assert_accessible(page)
