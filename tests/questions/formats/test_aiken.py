"""Aiken: single-answer questions, errors that name the line, and what cannot be exported."""

from __future__ import annotations

import pytest

from questions import formats

from .helpers import issues, mc, mr, read


def test_good_file():
    result = formats.parse("aiken", read("good_aiken.txt"))
    assert result.errors == [] and result.warnings == []
    assert [(q.number, q.line) for q in result.questions] == [(1, 1), (2, 8), (3, 16)]
    first, second, third = result.data
    assert first == {
        "key": None,
        "kind": "multiple_choice",
        "stem": "Which AWS service is a fully managed message queue?",
        "options": [
            {"text": "Amazon SQS", "correct": True, "rationale": ""},
            {"text": "Amazon SNS", "correct": False, "rationale": ""},
            {"text": "Amazon Kinesis Data Firehose", "correct": False, "rationale": ""},
            {"text": "Amazon MQ Broker Manager", "correct": False, "rationale": ""},
        ],
        "explanation": "",
        "references": [],
        "domains": {},
        "tags": [],
        "difficulty": None,
    }
    # "A." works as well as "A)", and the question text may span lines.
    assert second["stem"] == (
        "A Lambda function needs to read from a DynamoDB table.\n"
        "Which is the most secure way to give it access?"
    )
    assert [o["correct"] for o in second["options"]] == [False, True, False, False]
    # Blank lines and indentation inside the question text are kept (an indented code block).
    assert third["stem"] == (
        "What does this command print?\n\n    aws sts get-caller-identity --query Account"
    )
    assert len(third["options"]) == 5


def test_missing_answer_line_and_answer_letter_without_option():
    result = formats.parse("aiken", read("bad_aiken.txt"))
    assert [(q.number, q.line) for q in result.questions] == [(1, 1), (4, 21)]
    assert issues(result.errors) == [
        "Question 2 (line 8): no ANSWER line after the options (the last option is on line 12)",
        "Question 3 (line 14): ANSWER: E on line 19 names no option (the options are A to D)",
    ]


def test_other_mistakes_name_their_lines():
    text = (
        "Options out of order?\nA. a\nC. b\nD. c\nE. d\nANSWER: A\n\n"
        "Two answers?\nA. a\nB. b\nC. c\nD. d\nANSWER: A, C\n\n"
        "ANSWER: A\n\n"
        "Only three options?\nA. a\nB. b\nC. c\nANSWER: A\n\n"
        "A question with no options at the end of the file\n"
    )
    result = formats.parse("aiken", text)
    # Three options break a content rule, not the format: that question imports as a draft.
    assert [(q.number, q.rules[0]) for q in result.questions] == [
        (
            4,
            "a multiple-choice question needs at least 4 options (one answer and three "
            "distractors), found 3",
        )
    ]
    assert issues(result.errors) == [
        "Question 1 (line 1): option letters must run A, B, C, … in order; line 3 has C "
        "where B was expected",
        "Question 2 (line 8): ANSWER on line 13 must be one letter, not 'A, C' (Aiken holds "
        "single-answer questions only)",
        "Question 3 (line 15): line 15 should be the question text; the ANSWER line on line 15 "
        "comes before any option",
        "Question 5 (line 23): the question has no options and no ANSWER line",
    ]


def test_empty_file():
    assert issues(formats.parse("aiken", "\n \n").errors) == ["the file holds no Aiken questions"]


def test_round_trip_of_every_single_answer_seed_question(seed_questions):
    single = [q for q in seed_questions if q["kind"] == "multiple_choice"]
    assert len(single) >= 275
    result = formats.parse("aiken", formats.export("aiken", single))
    assert result.errors == [] and result.warnings == []
    assert result.data == [formats.held_by_format("aiken", q) for q in single]


def test_multiple_response_cannot_be_exported():
    with pytest.raises(
        ValueError,
        match=r"Aiken holds single-answer questions only, and "
        r"question 2 \(mr-example\) is multiple response",
    ):
        formats.export("aiken", [mc(), mr()])


@pytest.mark.parametrize(
    ("stem", "option", "message"),
    [
        ("Which one?\nA. looks like an option", "x", "would read as Aiken"),
        ("Which one?\nANSWER: here", "x", "would read as Aiken"),
        ("Which one?", "two\nlines", "spans lines"),
    ],
)
def test_questions_aiken_cannot_hold_raise(stem, option, message):
    question = mc(stem)
    question["options"][3]["text"] = option
    with pytest.raises(ValueError, match=message):
        formats.export("aiken", [question])
