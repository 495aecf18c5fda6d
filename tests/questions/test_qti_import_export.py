"""QTI through the bank: the import page and command take packages, the export page and command
write them, and a package exported here imports back identically."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from lxml import etree

from questions import formats
from questions.bank import seed_bank_questions
from questions.models import Question
from questions.services import bank_import, question_delete
from tests.factories.questions import bank_as_data, make_question
from tests.questions import qti_schemas
from tests.questions.formats.test_qti import tao_package

pytestmark = pytest.mark.django_db


def test_import_page_takes_a_qti_package(client, instructor):
    client.force_login(instructor)
    upload = SimpleUploadedFile("tao-export.zip", tao_package(), content_type="application/zip")
    response = client.post(
        reverse("questions:import"), {"file": upload, "status": "draft", "format": ""}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Imported 2 question(s)" in page
    assert "a text entry interaction is not supported" in page
    bank = bank_as_data()
    assert sorted(bank) == ["i-ddb-gsi", "tao-lambda-reserved-concurrency-cap"]
    lam = bank["tao-lambda-reserved-concurrency-cap"]
    assert lam["domains"] == {"DVA-C02": "Development with AWS Services"}
    assert lam["task_statements"] == {"DVA-C02": "1.2"}
    assert lam["options"][1]["rationale"].startswith("Reserved concurrency is both")
    assert Question.objects.get(key="i-ddb-gsi").kind == "multiple_response"


def test_import_page_refuses_a_zip_in_another_format(client, instructor):
    client.force_login(instructor)
    upload = SimpleUploadedFile("tao-export.zip", tao_package())
    response = client.post(
        reverse("questions:import"), {"file": upload, "status": "draft", "format": "json"}
    )
    assert "a zip file can only be a QTI package" in response.content.decode()
    assert not Question.objects.exists()


def test_import_command_takes_a_package(tmp_path):
    path = tmp_path / "package.zip"
    path.write_bytes(tao_package())
    out = io.StringIO()
    call_command("import_questions", str(path), stdout=out)
    assert "Imported 2 question(s)" in out.getvalue()
    assert "Skipped: Question 3: items/i-apigw-429.xml" in out.getvalue()
    assert Question.objects.count() == 2


def test_export_page_downloads_a_valid_package(client, instructor):
    make_question(domain="Security")
    make_question(domain="Deployment", kind="multiple_response")
    client.force_login(instructor)
    response = client.get(reverse("questions:export"), {"format": "qti"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].endswith('.zip"')
    files = qti_schemas.package_members(response.content)
    assert qti_schemas.errors(qti_schemas.qti3_manifest(), files.pop("imsmanifest.xml")) == []
    assert len(files) == 2
    for name, body in files.items():
        assert name.startswith("items/") and name.endswith(".xml")
        assert qti_schemas.errors(qti_schemas.qti3_item(), body) == [], name
    assert "QTI 3.0 package (.zip)" in client.get(reverse("questions:list")).content.decode()


def test_export_command_writes_a_zip_and_refuses_stdout(tmp_path):
    make_question(domain="Security")
    with pytest.raises(CommandError, match="pass --output FILE.zip"):
        call_command("export_questions", "--format", "qti", stdout=io.StringIO())
    path = tmp_path / "bank.zip"
    call_command("export_questions", "--format", "qti", "--output", str(path))
    assert "imsmanifest.xml" in qti_schemas.package_members(path.read_bytes())


def _manifest_resources(manifest: bytes) -> dict[str, bytes]:
    """The manifest's resources by identifier (the export lists them in the bank's order)."""
    root = etree.fromstring(manifest)
    return {
        r.get("identifier"): etree.tostring(r, with_tail=False)
        for r in root.iter("{http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1}resource")
    }


def test_seed_bank_round_trips_through_qti_into_a_clean_bank(tmp_path):
    """Export (a fifth of) the seed bank, import it into an empty bank, export again: the same
    items and metadata, and the bank holds again every field QTI holds."""
    sample = [{**q, "enemies": []} for q in seed_bank_questions()[::5]]
    report = bank_import(questions=list(enumerate(sample, 1)), user=None, status="published")
    assert report.errors == [] and len(report.created) == len(sample)
    before = bank_as_data()
    first = tmp_path / "first.zip"
    call_command("export_questions", "--format", "qti", "--output", str(first))
    for question in Question.objects.all():
        question_delete(question=question)
    assert not Question.objects.exists()
    call_command("import_questions", str(first), stdout=io.StringIO())
    after = bank_as_data()
    assert sorted(after) == sorted(before)
    for key, question in before.items():
        assert formats.held_by_format("qti", after[key]) == formats.held_by_format(
            "qti", question
        ), key
    second = tmp_path / "second.zip"
    call_command("export_questions", "--format", "qti", "--output", str(second))
    first_files = qti_schemas.package_members(first.read_bytes())
    second_files = qti_schemas.package_members(second.read_bytes())
    assert sorted(second_files) == sorted(first_files)
    assert _manifest_resources(second_files.pop("imsmanifest.xml")) == _manifest_resources(
        first_files.pop("imsmanifest.xml")
    )
    for name, body in first_files.items():
        assert second_files[name] == body, name


def test_qti21_export_from_the_page_imports_back(client, instructor):
    make_question(domain="Security")
    client.force_login(instructor)
    response = client.get(reverse("questions:export"), {"format": "qti21"})
    assert response["Content-Type"] == "application/zip"
    files = qti_schemas.package_members(response.content)
    assert qti_schemas.errors(qti_schemas.cp11_manifest(), files["imsmanifest.xml"]) == []
    before = bank_as_data()
    for question in Question.objects.all():
        question_delete(question=question)
    upload = SimpleUploadedFile("qti21.zip", response.content)
    client.post(reverse("questions:import"), {"file": upload, "status": "draft", "format": ""})
    after = bank_as_data()
    assert [formats.held_by_format("qti21", q) for q in after.values()] == [
        formats.held_by_format("qti21", q) for q in before.values()
    ]
