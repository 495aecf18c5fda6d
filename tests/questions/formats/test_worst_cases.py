"""Adversarial files at the 2 MB cap: every parser finishes with a clear error, never a crash.

Timings are not asserted here (they belong to `python -m bench.import_worst_cases`, whose
figures are in bench/RESULTS.md); before the fix several of these ran for minutes or hours, or
raised RecursionError / IndexError / ValueError.
"""

from __future__ import annotations

import pytest

from bench.import_worst_cases import MAX_UPLOAD_BYTES, WORST_CASES, _fill
from questions import formats
from questions.content_rules import STEM_MAX_LENGTH, question_problems
from questions.formats import csv_format, json_format
from questions.markdown import MAX_MARKDOWN_LENGTH, render_markdown

from .helpers import issues, mc


@pytest.mark.parametrize("name", list(WORST_CASES))
def test_each_worst_case_at_the_size_cap_finishes_with_errors(name):
    filename, build = WORST_CASES[name]
    text = build(MAX_UPLOAD_BYTES)
    assert MAX_UPLOAD_BYTES * 0.99 <= len(text) <= MAX_UPLOAD_BYTES
    fmt = formats.detect_format(filename, text) or "gift"
    result = formats.parse(fmt, text)
    assert result.questions == []
    assert result.errors or result.skipped


def test_gift_detection_is_not_fooled_by_an_unclosed_brace():
    assert formats.detect_format("upload.txt", "{" + "=" * 100_000) is None
    assert formats.detect_format("upload.txt", "Which one?\n{=a ~b ~c ~d}\n") == "gift"
    assert formats.detect_format("upload.txt", "Q\r\nA. a\r\nB. b\r\nANSWER: A\r\n") == "aiken"


def test_deep_json_is_a_clear_error_not_a_recursion_error():
    assert formats.detect_format("upload", "[" * 100_000) is None
    result = formats.parse("json", "[" * 100_000)
    assert issues(result.errors) == [
        f"the file nests lists and objects more than {json_format.MAX_DEPTH} deep, so it is not "
        "a question bank"
    ]


def test_json_with_a_huge_number_is_a_clear_error():
    result = formats.parse("json", "[" + "1" * 5000 + "]")
    assert len(result.errors) == 1
    assert issues(result.errors)[0].startswith("the file is not valid JSON")


def test_aiken_with_27_options_is_an_error_not_an_index_error():
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZA"
    text = "Which one?\n" + "".join(f"{c}) option {i}\n" for i, c in enumerate(letters))
    result = formats.parse("aiken", text + "ANSWER: A\n")
    assert result.questions == []
    assert "line 28 is a 27th option; Aiken letters run A to Z" in issues(result.errors)[0]


@pytest.mark.parametrize("cell", ["²", "1;²", "٣", "9" * 5000, "é"])
def test_csv_correct_cell_that_is_no_option_number_is_a_row_error(cell):
    text = f"stem,option_1,option_2,option_3,option_4,correct\r\nQ?,a,b,c,d,{cell}\r\n"
    result = formats.parse("csv", text)
    assert result.questions == []
    assert '"correct" must list option numbers' in issues(result.errors)[0]


def test_csv_header_wider_than_the_cap_is_refused_before_any_row():
    columns = ["stem", "correct", *(f"option_{n}" for n in range(1, 40_000))]
    result = formats.parse("csv", ",".join(columns) + "\r\nQ?,1,a\r\n")
    message = issues(result.errors)
    assert len(message) == 1
    assert f"the header has 40001 columns; the most is {csv_format.MAX_COLUMNS}" in message[0]


def test_csv_option_column_with_a_huge_number_is_an_unknown_column():
    text = "stem,correct,option_1,option_" + "9" * 5000 + "\r\nQ?,1,a,b\r\n"
    result = formats.parse("csv", text)
    assert any("ignored unknown column(s): option_999" in w for w in issues(result.warnings))


def test_markdown_over_the_renderer_cap_is_escaped_plain_text():
    html = render_markdown("![" * 950_000)
    assert len("![" * 950_000) > MAX_MARKDOWN_LENGTH
    assert html == "<p>" + "![" * 950_000 + "</p>\n"
    assert render_markdown("<b>x</b>" * 5000) == "<p>" + "&lt;b&gt;x&lt;/b&gt;" * 5000 + "</p>\n"


def test_text_lengths_are_capped_with_clear_messages():
    question = mc(stem=_fill("![", STEM_MAX_LENGTH + 2), explanation="x" * 5001)
    question["options"][0]["text"] = "y" * 1001
    question["options"][1]["rationale"] = "z" * 2001
    problems = question_problems(question)
    assert f"the stem is {STEM_MAX_LENGTH + 2} characters long; the most is 5000" in problems
    assert "option 1 is 1001 characters long; the most is 1000" in problems
    assert "option 2: the rationale is 2001 characters long; the most is 2000" in problems
    assert "the explanation is 5001 characters long; the most is 5000" in problems


def test_too_many_options_is_one_message():
    question = mc()
    question["options"] = [{"text": f"o{n}", "correct": n == 0} for n in range(5000)]
    assert "a question can have at most 10 options, found 5000" in question_problems(question)
