"""Hostile import files: a clear error on the import page, nothing written, never a 500."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from questions.models import Question
from tests.factories.questions import question_data

pytestmark = pytest.mark.django_db


def _import(client, name: str, text: str, **extra):
    upload = SimpleUploadedFile(name, text.encode())
    data = {"file": upload, "status": "draft", "format": "", **extra}
    return client.post(reverse("questions:import"), data)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "bank.csv",
            "stem,option_1,option_2,option_3,option_4,correct,domain_dva_c01\r\n"
            "Which one?,a,b,c,d,²,Security\r\n",
            "&quot;correct&quot; must list option numbers",
        ),
        ("bank.json", "[" * 100_000, "more than 20 deep"),
        ("bank", "[" * 100_000, "Could not tell the format from the file"),
        (
            "bank.txt",
            "Which one?\n"
            + "".join(f"{c}) option {i}\n" for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZA"))
            + "ANSWER: A\n",
            "27th option",
        ),
    ],
    ids=["csv-correct-superscript", "json-deep", "json-deep-detected", "aiken-27-options"],
)
def test_hostile_files_are_reported_and_nothing_is_written(client, instructor, name, text, message):
    client.force_login(instructor)
    response = _import(client, name, text, format="aiken" if name.endswith(".txt") else "")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Question.objects.exists()


@pytest.mark.parametrize(
    "reference", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://x/y"]
)
def test_draft_imports_refuse_references_that_are_not_http_urls(client, instructor, reference):
    question = question_data(domain="Security")
    question["references"] = [reference]
    client.force_login(instructor)
    body = _import(
        client,
        "bank.json",
        json.dumps({"format": "dva-question-bank", "version": 1, "questions": [question]}),
    ).content.decode()
    assert "Nothing was imported" in body
    assert "reference 1 is not an http(s):// URL" in body
    csv_text = (
        "stem,option_1,option_2,option_3,option_4,correct,references,domain_dva_c01\r\n"
        f'Which one?,a,b,c,d,1,"{reference}",Security\r\n'
    )
    body = _import(client, "bank.csv", csv_text).content.decode()
    assert "reference 1 is not an http(s):// URL" in body
    assert not Question.objects.exists()


def test_a_file_with_thousands_of_bad_rows_lists_the_first_hundred_and_counts_the_rest(
    client, instructor
):
    client.force_login(instructor)
    header = "stem,option_1,option_2,option_3,option_4,correct,domain_dva_c01\r\n"
    rows = "".join(f"Which one {n}?,a,b,c,d,9,Security\r\n" for n in range(1, 1201))
    response = _import(client, "bank.csv", header + rows)
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<li>") < 150  # not 1,200 list items
    assert "… and 1100 more." in page
    assert Question.objects.count() == 0
