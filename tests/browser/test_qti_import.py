"""An instructor brings a QTI 3.0 package from TAO to the import page and downloads the bank as
a QTI package, as they would in a browser."""

import io
import zipfile

import pytest
from playwright.sync_api import expect

from questions.models import Question
from tests.browser import conftest as ui
from tests.factories.accounts import UserFactory
from tests.questions.formats.test_qti import tao_package

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_instructor_imports_a_qti_package_and_exports_the_bank_as_qti(page, tmp_path):
    instructor = UserFactory(role="Instructor")
    ui.log_in(page, instructor)
    package = tmp_path / "tao-export.zip"
    package.write_bytes(tao_package())
    page.goto("/questions/import/")
    expect(page.get_by_text("QTI 3.0 and 2.1: upload an IMS content package")).to_be_visible()
    page.get_by_label("File").set_input_files(str(package))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported 2 question(s).")).to_be_visible()
    skipped = page.get_by_role("heading", name="Skipped (unsupported question types)")
    expect(skipped).to_be_visible()
    expect(page.get_by_text("a text entry interaction is not supported")).to_be_visible()
    ui.check_both_widths(page, "questions-qti-import")
    assert Question.objects.count() == 2

    page.goto("/questions/")
    page.get_by_role("button", name="Export").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="QTI 3.0 package (.zip)").click()
    assert download.value.suggested_filename.endswith(".zip")
    with open(download.value.path(), "rb") as handle:
        names = zipfile.ZipFile(io.BytesIO(handle.read())).namelist()
    assert "imsmanifest.xml" in names and len(names) == 3
