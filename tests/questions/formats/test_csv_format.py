"""CSV: the documented column layout, errors naming the CSV line, lossless round trips."""

from __future__ import annotations

import csv
import io

from questions import formats
from questions.formats import csv_format

from .helpers import issues, mc, mr, read


def test_header_layout():
    """The documented layout, spelled out once here as a user reads it in the README."""
    options = ",".join(f"option_{n}" for n in range(1, 7))
    rationales = ",".join(f"rationale_{n}" for n in range(1, 7))
    assert ",".join(csv_format.header()) == (
        f"key,kind,stem,{options},correct,{rationales},explanation,references,"
        "domain_dva_c01,domain_dva_c02,tags,difficulty,task_statement_dva_c01,"
        "task_statement_dva_c02,enemies,reviewed_on,reviews,is_pretest"
    )


def test_good_file():
    result = formats.parse("csv", read("good.csv"))
    assert result.errors == [] and result.skipped == []
    assert [(q.number, q.line) for q in result.questions] == [(1, 2), (2, 3), (3, 4)]
    first, second, third = result.data
    assert first["kind"] == "multiple_choice" and first["difficulty"] == "easy"
    assert first["domains"] == {
        "DVA-C01": "Development with AWS Services",
        "DVA-C02": "Development with AWS Services",
    }
    assert first["options"][0]["rationale"].startswith("The message becomes visible")
    # A blank kind is worked out from "correct"; a trailing separator is fine.
    assert second["kind"] == "multiple_response"
    assert [o["correct"] for o in second["options"]] == [True, True, False, False, False]
    assert second["tags"] == ["Lambda", "KMS"]
    # A quoted cell keeps its line breaks and doubled quotes: the code block survives.
    assert (
        '```json\n{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}\n```'
        in (third["stem"])
    )
    assert third["stem"].endswith("```\n\n(Select THREE.)")
    assert third["references"] == [
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html",
    ]
    assert third["tags"] == ["IAM", "S3"]
    assert third["key"] is None
    assert issues(result.warnings) == [
        "Question 3 (line 4): the stem did not say how many to select; added (Select THREE.)"
    ]


def test_wrong_correct_column_errors_name_the_row_and_its_line():
    result = formats.parse("csv", read("bad_correct.csv"))
    assert [(q.number, q.line, q.data["key"]) for q in result.questions] == [
        (1, 2, "csv-ok"),
        (3, 5, "csv-letters"),
    ]
    assert result.data[1]["options"][1] == {
        "text": "Amazon SES",
        "correct": True,
        "rationale": "",
    }
    # Row 2 spans lines 3-4, so the rows after it start one line later than their number.
    assert issues(result.errors) == [
        'Question 2 (line 3): "correct" names option 5, but the row has 4 options',
        "Question 4 (line 6): \"correct\" must list option numbers such as 2 or 1;3, not 'first'",
        "Question 5 (line 7): a multiple-choice question needs exactly one correct option, "
        "but two options are marked correct",
        "Question 6 (line 8): option_2 is empty but a later option is filled",
    ]


def test_missing_header_is_one_error_and_nothing_is_read():
    result = formats.parse("csv", read("no_header.csv"))
    assert result.questions == []
    assert len(result.errors) == 1
    assert str(result.errors[0]).startswith(
        "Line 1: the first row must be the header naming the columns (key, kind, stem, "
        "option_1 … option_6, correct,"
    )
    assert str(result.errors[0]).endswith("it has no stem column")


def test_other_row_problems():
    text = (
        "Stem,Option 1,Option 2,Option 3,Option 4,Correct,Kind,Rationale 6,Notes\n"
        '"Which one?",a,b,c,d,1,single,,x\n'
        '"Which two?",a,b,c,d,1;2;2,,,\n'
        '"Which three?",a,b,c,d,1,,why,\n'
        '"Too wide",a,b,c,d,1,,,,extra\n'
        '"Bad kind",a,b,c,d,1,either,,\n'
        '"Empty correct",a,b,c,d,,,,\n'
    )
    result = formats.parse("csv", text)
    assert [q.number for q in result.questions] == [1]
    assert issues(result.warnings) == ["Line 1: ignored unknown column(s): notes"]
    assert issues(result.errors) == [
        "Question 2 (line 3): \"correct\" names the same option twice: '1;2;2'",
        "Question 3 (line 4): rationale_6 is filled but option_6 is empty",
        "Question 4 (line 5): the row has 10 cells but the header names 9 columns (is a comma "
        "in a cell missing its quotes?)",
        "Question 5 (line 6): kind must be multiple_choice or multiple_response, not 'either'",
        'Question 6 (line 7): the "correct" cell is empty; list the correct option numbers, '
        "e.g. 2 or 1;3",
    ]


def test_semicolon_separated_file_with_bom_and_crlf():
    text = "\ufeffstem;option_1;option_2;option_3;option_4;correct\r\nWhich one?;a;b;c;d;2\r\n"
    result = formats.parse("csv", text)
    assert result.errors == []
    assert [o["correct"] for o in result.data[0]["options"]] == [False, True, False, False]


def test_unclosed_quote_is_reported():
    text = 'stem,option_1,option_2,option_3,option_4,correct\nFine?,a,b,c,d,1\n"Which one?,a,1\n'
    result = formats.parse("csv", text)
    assert [q.number for q in result.questions] == [1]
    assert issues(result.errors) == [
        "Line 3: the CSV is malformed: unexpected end of data (is a quote left open?)"
    ]


def test_empty_file():
    assert issues(formats.parse("csv", "\n\n").errors) == [
        "the file is empty: it needs a header row and questions"
    ]


def test_round_trip_is_lossless_on_every_seed_question(seed_questions):
    text = formats.export("csv", seed_questions)
    result = formats.parse("csv", text)
    assert result.errors == [] and result.warnings == []
    assert result.data == seed_questions
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == csv_format.header()
    assert len(rows) == len(seed_questions) + 1


def test_round_trip_of_awkward_values():
    many = mr("Pick the right ones? (Select THREE.)", key=None, difficulty=None)
    many["options"] += [
        {"text": 'Text with "quotes", commas; and semicolons', "correct": True, "rationale": ""},
        {"text": "Line one\nline two", "correct": False, "rationale": "Multi\nline"},
    ]
    one_odd_tag = mc(tags=["Tag, with comma"], domains={"DVA-C02": "Security"}, references=[])
    questions = [many, one_odd_tag, mc(key="mc-two", stem="Second?", tags=["A", "B C"])]
    result = formats.parse("csv", csv_format.export(questions))
    assert result.errors == []
    assert result.data == [formats.normalise_question(q) for q in questions]
    assert len(result.data[0]["options"]) == 7
