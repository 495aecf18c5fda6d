"""The native JSON format: lossless on the whole seed bank, precise about broken files."""

from __future__ import annotations

import json

import pytest

from questions import formats
from questions.formats import json_format

from .helpers import issues, mc, read, seed_files


def test_good_file_reads_every_question_with_its_line():
    result = formats.parse("json", read("good.json"))
    assert [(q.number, q.line) for q in result.questions] == [(1, 5), (2, 21), (3, 33)]
    assert result.errors == [] and result.skipped == []
    first, second, third = result.data
    assert first["key"] == "json-s3-presigned"
    assert first["stem"].endswith("ExpiresIn=600)\n```")
    assert first["references"] == [
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/ShareObjectPreSignedURL.html"
    ]
    # Missing fields come back empty; a domain in another case is spelt as in the guide.
    assert second == {
        "key": None,
        "kind": "multiple_response",
        "stem": "Which actions reduce Lambda cold start latency? (Select TWO.)",
        "options": [
            {"text": "Configure provisioned concurrency.", "correct": True, "rationale": ""},
            {"text": "Keep the deployment package small.", "correct": True, "rationale": ""},
            {"text": "Raise the function timeout.", "correct": False, "rationale": ""},
            {"text": "Use a larger reserved concurrency.", "correct": False, "rationale": ""},
            {"text": "Write logs to CloudWatch.", "correct": False, "rationale": ""},
        ],
        "explanation": "",
        "references": [],
        "domains": {"DVA-C01": "Refactoring"},
        "tags": [],
        "difficulty": None,
    }
    assert third["stem"] == (
        "Which services can invoke a Lambda function asynchronously? (Select THREE.)"
    )
    assert issues(result.warnings) == [
        "Question 3 (line 33): ignored unknown field(s): author",
        "Question 3 (line 33): the stem did not say how many to select; added (Select THREE.)",
    ]


def test_wrong_correct_counts_are_errors_with_number_and_line():
    result = formats.parse("json", read("bad_correct_count.json"))
    # A wrong "(Select N.)" is a content rule: that question is read, to import as a draft.
    assert [q.data["key"] for q in result.questions] == ["json-ok", "json-mr-says-three"]
    assert result.questions[1].rules[0] == (
        "two options are marked correct but the stem says (Select THREE.)"
    )
    assert issues(result.errors) == [
        "Question 2 (line 16): a multiple-choice question needs exactly one correct option, "
        "but two options are marked correct",
        "Question 4 (line 39): a multiple-choice question needs exactly one correct option, "
        "but no options are marked correct; option 1: correct must be true or false, "
        "not 'yes'",
    ]


def test_invalid_json_names_the_line():
    result = formats.parse("json", '{\n  "format": "dva-question-bank",\n  "version": 1,\n}')
    assert issues(result.errors) == [
        "Line 4: the file is not valid JSON: Expecting property name enclosed in double quotes "
        "(column 1)"
    ]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"format": "other"},
            'the file is not a question bank: "format" must be "dva-question-bank"',
        ),
        (
            {"format": "dva-question-bank", "version": 2, "questions": []},
            "version 2 of the format is not supported (this version reads 1)",
        ),
        (
            {"format": "dva-question-bank", "version": 1, "questions": {}},
            '"questions" must be a list',
        ),
    ],
)
def test_file_level_problems(document, message):
    result = formats.parse("json", json.dumps(document))
    assert [str(e) for e in result.errors][0].startswith(message)
    assert result.questions == []


def test_field_types_are_errors_and_other_questions_still_read():
    text = json.dumps([mc(tags="S3"), "not a question", mc(stem=["a"]), mc(key="fine")], indent=1)
    result = formats.parse("json", text)
    assert [q.number for q in result.questions] == [4]
    assert issues(result.errors) == [
        "Question 1 (line 2): tags must be a list, not text",
        "Question 2 (line 38): a question must be an object, not text",
        "Question 3 (line 39): stem must be text, not a list",
    ]


def test_repeated_keys_and_stems_in_one_file_are_noted():
    result = formats.parse("json", json.dumps([mc(), mc(stem="Another stem?"), mc(key="k2")]))
    assert len(result.questions) == 3
    assert issues(result.warnings) == [
        "Question 2 (line 1): the key mc-example is also used by question 1",
        "Question 3 (line 1): the same stem as question 1",
    ]


def test_round_trip_is_lossless_on_every_seed_question(seed_questions):
    result = formats.parse("json", formats.export("json", seed_questions))
    assert result.errors == [] and result.warnings == [] and result.skipped == []
    assert result.data == seed_questions
    assert [q.number for q in result.questions] == list(range(1, len(seed_questions) + 1))


@pytest.mark.parametrize("path", seed_files(), ids=lambda p: p.name)
def test_each_seed_file_reads_back_as_stored(path):
    document = json.loads(path.read_text(encoding="utf-8"))
    result = formats.parse("json", path.read_text(encoding="utf-8"))
    assert result.errors == []
    assert result.data == document["questions"]


def test_export_leaves_out_unknown_key_and_difficulty():
    text = json_format.export([mc(key=None, difficulty=None)])
    (question,) = json.loads(text)["questions"]
    assert "key" not in question and "difficulty" not in question
    assert formats.parse("json", text).data[0]["key"] is None
