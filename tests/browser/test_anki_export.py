"""The bank list's "Export as Anki deck" bulk action, on a phone, as an instructor uses it."""

import io
import zipfile

import pytest

from tests.browser import conftest as ui
from tests.factories.accounts import UserFactory
from tests.factories.questions import make_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_instructor_exports_ticked_questions_as_an_anki_deck_on_a_phone(page):
    questions = [make_question(), make_question(kind="multiple_response")]
    instructor = UserFactory(role="Instructor")
    ui.log_in(page, instructor)
    page.set_viewport_size(ui.PHONE)
    page.goto("/questions/")
    page.get_by_role("checkbox", name=f"Select {questions[1].key}").check()
    page.get_by_label("With selected:").select_option(label="Export as Anki deck (.apkg)")
    ui.screenshot(page, "questions-anki-bulk-390")
    ui.assert_no_sideways_scroll(page)
    ui.assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Apply").click()
    assert download.value.suggested_filename == "aws-developer-practice-questions.apkg"
    with open(download.value.path(), "rb") as handle:
        body = handle.read()
    with zipfile.ZipFile(io.BytesIO(body)) as package:
        assert "collection.anki2" in package.namelist()
