"""An instructor imports a Moodle GIFT export: the choice questions become drafts that need
review, with the reasons on the import report, the bank list (filter and badge) and the
question's page; publishing one is refused until its rules are met."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from questions.models import Question
from tests.browser import conftest as ui
from tests.factories.accounts import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MOODLE = Path(__file__).resolve().parents[1] / "questions" / "fixtures" / "moodle_export.gift"


def test_instructor_imports_a_moodle_file_and_reviews_the_drafts(page):
    instructor = UserFactory(role="Instructor")
    ui.log_in(page, instructor)
    page.goto("/questions/import/")
    page.get_by_label(re.compile(r"^\s*File")).set_input_files(str(MOODLE))
    page.get_by_label("Import as").select_option(label="Published")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text(re.compile(r"^Imported 7 question\(s\)\. 7 of them"))).to_be_visible()
    report = page.get_by_role("region", name=re.compile("Imported as drafts that need review"))
    expect(report).to_contain_text("not as published")
    expect(report.get_by_role("listitem").filter(has_text="found 3").first).to_be_visible()
    expect(page.get_by_text("short answer questions are not supported")).to_be_visible()
    ui.check_both_widths(page, "import-moodle-drafts")

    page.goto("/questions/")
    page.get_by_label("Content rules").select_option(label="Needs review")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text(re.compile(r"^7 questions$"))).to_be_visible()
    reasons = page.get_by_role("list", name=re.compile("Why .* needs review"))
    expect(reasons.first).to_be_visible()
    expect(page.get_by_text("No domain")).to_be_visible()
    ui.check_both_widths(page, "bank-needs-review")

    key = Question.objects.get(domain_links__isnull=True).key
    page.get_by_role("row").filter(has_text=key).get_by_role("link").first.click()
    expect(
        page.get_by_role("heading", name=re.compile("What breaks the content rules"))
    ).to_be_visible()
    expect(
        page.get_by_text("the domain is missing: choose one in at least one exam guide")
    ).to_be_visible()
    ui.check_both_widths(page, "question-needs-review")
    page.get_by_role("button", name="Publish").click()
    refusal = page.get_by_role("status").filter(has_text=f"{key}: the explanation is missing")
    expect(refusal.first).to_be_visible()
    assert Question.objects.get(key=key).status == "draft"
