"""An instructor imports another tool's JSON question set through the mapping step, as they
would: upload, check the proposed mapping and the preview, fix the domain, import; at desktop
and phone width, with axe-core."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from questions.models import ImportMapping, Question
from tests.browser import conftest as ui
from tests.factories.accounts import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIXTURE = Path(__file__).resolve().parents[1] / "questions" / "formats" / "files"


def test_instructor_maps_previews_and_imports_a_foreign_json_set(page, tmp_path):
    instructor = UserFactory(role="Instructor")
    ui.log_in(page, instructor)
    page.goto("/questions/import/")
    expect(page.get_by_role("heading", name="Remembered field mappings")).to_be_visible()
    upload = tmp_path / "acme-aws.json"
    upload.write_text((FIXTURE / "foreign_aws.json").read_text())
    page.get_by_label(re.compile(r"^\s*File")).set_input_files(str(upload))
    page.get_by_role("button", name="Import").click()

    expect(page.get_by_role("heading", name="Map the file's fields")).to_be_visible()
    expect(page.get_by_text("Proposed from the file's field names")).to_be_visible()
    expect(page.get_by_label("Question text (stem)")).to_have_value("question")
    expect(page.get_by_label("Source name")).to_have_value("acme-aws")
    expect(page.get_by_label("One-based: 1 is the first option")).to_be_checked()
    first = page.get_by_role("article", name="Question 1 (acme-aws-101)")
    expect(first.get_by_text("correct", exact=True)).to_be_visible()
    expect(first.get_by_text("Domain: DVA-C02 Development with AWS Services")).to_be_visible()
    # Question 8 names no known domain: a draft to review, not an error.
    expect(page.get_by_text("Every question reads without errors.")).to_be_visible()

    def look():
        expect(page.get_by_role("button", name="Preview")).to_be_visible()

    ui.check_both_widths(page, "import-mapping", check=look)

    # Zero-based makes question 5's [4] out of range: the preview says so before importing.
    page.get_by_label("Zero-based: 0 is the first option").check()
    page.get_by_role("button", name="Preview").click()
    fifth = page.get_by_role("article", name=re.compile("^Question 5"))
    expect(fifth.get_by_text(re.compile("the correct answer 4 is out of range"))).to_be_visible()

    page.get_by_label("One-based: 1 is the first option").check()
    page.get_by_label("Domain for questions without one").select_option(
        "Development with AWS Services"
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("Every question reads without errors.")).to_be_visible()
    page.get_by_role("button", name="Import", exact=True).click()

    expect(
        page.get_by_text(re.compile("Imported 8 question\\(s\\) from “acme-aws”"))
    ).to_be_visible()
    remembered = page.get_by_role("region", name="Remembered field mappings")
    expect(remembered.get_by_role("link", name="Forget the mapping acme-aws")).to_be_visible()
    remembered.get_by_text("What maps where").click()
    expect(remembered.get_by_text("option_explanations")).to_be_visible()
    ui.check_both_widths(page, "import-mapping-done")
    assert Question.objects.filter(key__startswith="acme-aws-", status="draft").count() == 8
    assert ImportMapping.objects.get().default_domain == "Development with AWS Services"

    # The next file from the source: the remembered mapping is filled in.
    page.get_by_label(re.compile(r"^\s*File")).set_input_files(str(upload))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Filled in from the remembered mapping “acme-aws”")).to_be_visible()
    expect(page.get_by_label("Domain for questions without one")).to_have_value(
        "Development with AWS Services"
    )

    # Forgetting it asks first, then the next file gets a fresh proposal.
    page.get_by_role("link", name="Forget the mapping acme-aws").click()
    expect(page.get_by_role("heading", name="Forget the mapping “acme-aws”?")).to_be_visible()
    ui.check_both_widths(page, "import-mapping-forget")
    page.get_by_role("button", name="Forget the mapping").click()
    expect(page.get_by_text("The mapping “acme-aws” is forgotten")).to_be_visible()
    expect(page.get_by_text("None yet.")).to_be_visible()
    assert not ImportMapping.objects.exists()
