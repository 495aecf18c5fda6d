"""Hostile and broken files on the question import page: a clear refusal and no rows at all."""

from __future__ import annotations

import json
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from questions.forms import MAX_UPLOAD_BYTES
from questions.models import Option, Question, QuestionVersion, Tag
from tests.factories.questions import question_data

pytestmark = pytest.mark.django_db

URL = reverse("questions:import")

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<quiz><question type="multichoice"><name><text>&lol9;</text></name>
<questiontext format="html"><text>&lol9;</text></questiontext></question></quiz>
"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<quiz><question type="multichoice"><questiontext><text>&secret;</text></questiontext>
<answer fraction="100"><text>a</text></answer></question></quiz>
"""
XXE_NO_INTERNAL_SUBSET = b"""<?xml version="1.0"?>
<!DOCTYPE quiz SYSTEM "http://evil.example/quiz.dtd"><quiz/>
"""
GIFT_UNCLOSED = b"""::q1:: Which service stores objects durably? {
=Amazon S3
~Amazon EC2 instance store
~AWS Lambda /tmp
~Amazon ElastiCache
"""
VALID_JSON = json.dumps([question_data()]).encode()

DOCTYPE_REFUSED = "declares a DOCTYPE or entities"
NOT_UTF8 = "The file is not UTF-8 text."
NOT_A_BANK = '"questions" must be a list of questions'

MALFORMED = {
    "binary garbage": (
        "upload.json",
        b"\x89PNG\r\n\x1a\n" + random.Random(0).randbytes(4096) + b"\xff",
        NOT_UTF8,
    ),
    "invalid UTF-8 (Latin-1 text)": (
        "bank.gift",
        "::q1:: Où est le café? {=Amazon S3 ~EC2 ~Lambda ~VPC}".encode("latin-1"),
        NOT_UTF8,
    ),
    "invalid UTF-8 (truncated sequence)": ("bank.json", b'[{"stem": "caf\xc3"}]', NOT_UTF8),
    "XML entity bomb": ("quiz.xml", BILLION_LAUGHS, DOCTYPE_REFUSED),
    "XML external entity": ("quiz.xml", XXE, DOCTYPE_REFUSED),
    "XML external DTD": ("quiz.xml", XXE_NO_INTERNAL_SUBSET, DOCTYPE_REFUSED),
    "XML not well-formed": ("quiz.xml", b"<quiz><question>", "not well-formed XML"),
    "JSON number": ("bank.json", b"42", NOT_A_BANK),
    "JSON string": ("bank.json", b'"a question"', NOT_A_BANK),
    "JSON null": ("bank.json", b"null", NOT_A_BANK),
    "JSON true": ("bank.json", b"true", NOT_A_BANK),
    "JSON list of numbers": ("bank.json", b"[1, 2, 3]", "a question must be an object"),
    "JSON list of lists": ("bank.json", b"[[], [1]]", "a question must be an object"),
    "JSON object that is no bank": ("bank.json", b'{"questions": 5}', "not a question bank"),
    "JSON truncated": ("bank.json", VALID_JSON[:-10], "the file is not valid JSON"),
    "GIFT unclosed brace": ("bank.gift", GIFT_UNCLOSED, "is never closed with }"),
}


def _counts() -> tuple[int, int, int, int]:
    return (
        Question.objects.count(),
        QuestionVersion.objects.count(),
        Option.objects.count(),
        Tag.objects.count(),
    )


def _post(client, name: str, body: bytes, **extra):
    data = {"file": SimpleUploadedFile(name, body), "status": "draft", **extra}
    return client.post(URL, data)


@pytest.fixture
def instructor_client(client, instructor):
    client.force_login(instructor)
    return client


def test_an_upload_over_2_mb_is_refused_before_it_is_parsed(instructor_client):
    padding = b" " * (MAX_UPLOAD_BYTES - len(VALID_JSON) + 1)
    body = VALID_JSON[:-1] + padding + b"]"
    assert len(body) > MAX_UPLOAD_BYTES
    before = _counts()
    response = _post(instructor_client, "bank.json", body)
    assert response.status_code == 200
    assert "larger than 2 MB" in response.content.decode()
    assert response.context["result"] is None  # never parsed
    assert _counts() == before
    # The control: the same questions under the limit are imported.
    assert _post(instructor_client, "bank.json", VALID_JSON).status_code == 200
    assert Question.objects.count() == before[0] + 1


def test_a_much_larger_upload_is_refused_too(instructor_client):
    response = _post(instructor_client, "bank.gift", b"a" * (8 * MAX_UPLOAD_BYTES))
    assert response.status_code == 200
    assert "larger than 2 MB" in response.content.decode()
    assert not Question.objects.exists()


@pytest.mark.parametrize("valid_only", [False, True], ids=["all-or-nothing", "valid-only"])
@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_uploads_are_refused_with_a_clear_message(instructor_client, case, valid_only):
    name, body, message = MALFORMED[case]
    before = _counts()
    response = _post(instructor_client, name, body, import_valid_only="on" if valid_only else "")
    assert response.status_code == 200
    html = response.content.decode()
    assert message.replace('"', "&quot;") in html, case
    assert "Imported 1" not in html
    assert _counts() == before
    assert "root:" not in html  # nothing of /etc/passwd


def test_the_entity_bomb_is_refused_quickly(instructor_client):
    import time

    started = time.monotonic()
    _post(instructor_client, "quiz.xml", BILLION_LAUGHS)
    assert time.monotonic() - started < 5


def test_one_bad_question_in_a_file_writes_none_of_the_good_ones(instructor_client):
    bad = question_data()
    # A parse error (two keys in a multiple-choice question); too few options would only make
    # a draft that needs review.
    bad["options"][1]["correct"] = True
    body = json.dumps([question_data(), question_data(), bad]).encode()
    before = _counts()
    response = _post(instructor_client, "bank.json", body)
    html = response.content.decode()
    assert "Nothing was imported" in html and "Question 3" in html
    assert _counts() == before
    _post(instructor_client, "bank.json", body, import_valid_only="on")
    assert Question.objects.count() == before[0] + 2  # the control: the two good ones


def test_a_failure_while_saving_rolls_back_the_questions_saved_before_it(instructor_client):
    """The second question passes the file checks but names an enemy the bank does not have,
    which only saving finds (a question that breaks a publishing rule is now kept as a draft)."""
    unsaveable = {**question_data(), "enemies": ["no-such-question"]}
    body = json.dumps([question_data(), unsaveable]).encode()
    before = _counts()
    response = _post(instructor_client, "bank.json", body, status="published")
    html = response.content.decode()
    assert "Nothing was imported" in html and "no-such-question" in html
    assert _counts() == before
    # The control: without all-or-nothing the questions are kept and the enemy is reported.
    _post(instructor_client, "bank.json", body, status="published", import_valid_only="on")
    assert Question.objects.count() == before[0] + 2


NUL_FILES = {
    "JSON stem with \\u0000": json.dumps([{**question_data(), "stem": "Which\u0000 one?"}]),
    "JSON explanation with \\u0000": json.dumps(
        [question_data(), {**question_data(), "explanation": "Because\u0000."}]
    ),
}


@pytest.mark.parametrize("case", sorted(NUL_FILES))
def test_nul_characters_leave_no_partial_rows(client, instructor, case):
    client.raise_request_exception = False
    client.force_login(instructor)
    before = _counts()
    _post(client, "bank.json", NUL_FILES[case].encode())
    assert _counts() == before


@pytest.mark.parametrize("case", sorted(NUL_FILES))
def test_nul_characters_are_refused_with_a_clear_message(client, instructor, case):
    client.raise_request_exception = False
    client.force_login(instructor)
    response = _post(client, "bank.json", NUL_FILES[case].encode())
    assert response.status_code == 200
    assert "Nothing was imported" in response.content.decode()
    assert not Question.objects.exists()


def test_students_cannot_upload_at_all(client, student):
    client.force_login(student)
    response = _post(client, "bank.json", VALID_JSON)
    assert response.status_code == 403
    assert not Question.objects.exists()
