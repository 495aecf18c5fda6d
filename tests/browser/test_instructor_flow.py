"""An instructor works with the bank in Chromium, finding things by role and name."""

import re

import pytest
from playwright.sync_api import expect

from questions.bank import load_seed_bank
from questions.models import Question
from tests.browser.conftest import DESKTOP, PHONE, assert_no_sideways_scroll, log_in, screenshot
from tests.factories.accounts import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GIFT = """$CATEGORY: $course$/DVA-C01/Deployment

::cfn-changeset::Before updating a production CloudFormation stack, a developer wants to see
which resources would be replaced. What should the developer use? {
=A change set#It previews the changes, including replacements.
~Stack drift detection#Drift compares the stack with reality, not with a new template.
~A stack policy#It protects resources but shows no preview.
~Termination protection#It only prevents deleting the stack.
####Change sets list what an update would add, modify or replace before it runs.
}
"""

AIKEN_BROKEN = """Which AWS service stores Docker images?
A) Amazon ECR
B) Amazon EBS
C) Amazon EFS
D) Amazon S3 Glacier
"""


def test_instructor_filters_edits_sees_history_imports_and_checks_coverage(page, tmp_path):
    load_seed_bank()
    instructor = UserFactory(role="Instructor")
    log_in(page, instructor)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Question bank").click()
    expect(page.get_by_role("heading", name="Question bank")).to_be_visible()

    page.get_by_label("Domain").select_option(label="Security")
    page.get_by_label("Kind").select_option(label="Multiple response")
    page.get_by_label("Search text").fill("bucket")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("tbody tr")
    expect(rows.first).to_be_visible()
    count = Question.objects.filter(
        kind="multiple_response",
        stem_search__contains="bucket",
        domain_links__domain__name="Security",
        domain_links__guide__code="DVA-C01",
    ).count()
    expect(page.get_by_text(re.compile(rf"^{count} questions?$"))).to_be_visible()

    rows.first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Preview as a student sees it")).to_be_visible()
    page.get_by_role("link", name="Edit").click()
    stem = page.get_by_label(re.compile(r"^\s*Stem"))
    stem.fill(stem.input_value() + " Assume the bucket is in us-east-1.")
    page.get_by_label("Change note").fill("State the Region")
    page.get_by_role("button", name="Save question").click()
    expect(page.get_by_text("Saved as a new version.")).to_be_visible()
    expect(page.get_by_text("State the Region")).to_be_visible()
    page.get_by_role("link", name="Diff v1 → v2").click()
    expect(page.locator("ins", has_text="Assume the bucket is in us-east-1.")).to_be_visible()
    # Word level: the unchanged start of the stem is not marked; long lines wrap on a phone.
    expect(page.locator(".diff-line del")).to_have_count(0)
    page.set_viewport_size(PHONE)
    assert_no_sideways_scroll(page)
    page.set_viewport_size(DESKTOP)

    nav.get_by_role("link", name="Question bank").click()
    page.get_by_role("link", name="Import").click()
    gift = tmp_path / "deploy.gift"
    gift.write_text(GIFT)
    page.get_by_label(re.compile(r"^\s*File")).set_input_files(str(gift))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported 1 question(s).")).to_be_visible()
    assert Question.objects.filter(key="cfn-changeset", status="draft").exists()

    aiken = tmp_path / "broken.txt"
    aiken.write_text(AIKEN_BROKEN)
    page.get_by_label(re.compile(r"^\s*File")).set_input_files(str(aiken))
    page.get_by_label("Format").select_option(label="Aiken (single answer only)")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text(re.compile("Nothing was imported"))).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="ANSWER")).to_be_visible()

    page.goto("/questions/coverage/")
    expect(page.get_by_role("heading", name=re.compile(r"DVA-C01\).*5 full forms"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"DVA-C02\).*5 full forms"))).to_be_visible()
    screenshot(page, "coverage")


def test_a_network_blip_loses_no_answer(page):
    """The student goes offline, answers, comes back: the answer is saved once online."""
    load_seed_bank()
    student = UserFactory(role="Student")
    log_in(page, student)
    page.goto("/exams/")
    page.get_by_role("button", name="Start DVA-C01 full mock exam").click()
    expect(page.get_by_role("heading", name="Question 1", exact=True)).to_be_visible()
    from exams.models import AttemptItem

    item = AttemptItem.objects.get(attempt__user=student, position=1)
    page.context.set_offline(True)
    first = page.locator(f"#opt-{item.option_order[0]}")
    first.check()
    expect(page.locator("#save-status")).to_have_text("Offline — retrying…")
    assert not item.selections.exists()
    page.context.set_offline(False)
    expect(page.locator("#save-status")).to_have_text("All answers saved", timeout=20_000)
    assert list(item.selections.values_list("option_id", flat=True)) == [item.option_order[0]]


def test_failed_publish_shows_one_linked_summary_keeps_the_status_and_delete_asks_first(page):
    instructor = UserFactory(role="Instructor")
    log_in(page, instructor)
    page.goto("/questions/new/")
    expect(page.get_by_text(re.compile("Publishing needs an explanation"))).to_be_visible()
    page.get_by_label(re.compile(r"^\s*Stem")).fill("Which service stores objects durably?")
    page.get_by_label(re.compile(r"^\s*DVA-C01 domain")).select_option("Deployment")
    for n, text in enumerate(["Amazon S3", "Amazon EBS", "Amazon EFS", "AWS Glue"]):
        page.get_by_label("Option text").nth(n).fill(text)
    page.get_by_label("Correct").first.check()
    page.get_by_label("Save as").select_option("published")
    page.get_by_role("button", name="Save question").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(page.get_by_role("heading", name=re.compile("not saved: 6 problems"))).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)  # no second box repeating the list
    expect(page.get_by_label("Save as")).to_have_value("published")
    summary.get_by_role("link", name="The explanation is missing").click()
    expect(page.get_by_label("Explanation")).to_be_focused()
    summary.get_by_role("link", name="Option 3 has no rationale").click()
    expect(page.get_by_label("Why it is right or wrong").nth(2)).to_be_focused()
    assert not Question.objects.exists()

    page.get_by_label("Save as").select_option("draft")
    page.get_by_role("button", name="Save question").click()
    expect(page.get_by_text("Question created.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Which service stores objects durably?"
    )
    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete this question?")).to_be_visible()
    page.get_by_role("link", name="Keep it").click()
    assert Question.objects.count() == 1
    page.get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete question").click()
    expect(page.get_by_text("Question deleted.")).to_be_visible()
    assert not Question.objects.exists()
