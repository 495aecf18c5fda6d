"""CSV export neutralises formula cells; the import undoes it, so the round trip is lossless."""

from __future__ import annotations

import csv
import io

from questions import formats

from .helpers import mc


def _formula_question() -> dict:
    question = mc(explanation='=HYPERLINK("http://evil.test","Click")', tags=["@risk"])
    question["options"][0]["text"] = "=1+1"
    question["options"][1]["text"] = "+1+1"
    question["options"][2]["text"] = "-2+3"
    question["options"][3]["text"] = "@SUM(A1:A2)"
    question["options"][0]["rationale"] = "'=already quoted"
    return question


def test_formula_cells_are_written_with_a_leading_quote():
    body = formats.export("csv", [_formula_question()])
    header, row = list(csv.reader(io.StringIO(body)))
    cells = dict(zip(header, row, strict=True))
    assert cells["option_1"] == "'=1+1"
    assert cells["option_2"] == "'+1+1"
    assert cells["option_3"] == "'-2+3"
    assert cells["option_4"] == "'@SUM(A1:A2)"
    assert cells["rationale_1"] == "''=already quoted"
    assert cells["explanation"].startswith("'=HYPERLINK")
    assert cells["tags"] == "'@risk"
    # No cell at all starts with a character a spreadsheet runs as a formula.
    assert not [c for c in row if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_round_trip_of_formula_cells_is_lossless():
    question = _formula_question()
    result = formats.parse("csv", formats.export("csv", [question]))
    assert result.errors == []
    assert result.data == [formats.held_by_format("csv", question)]


def test_a_quoted_formula_cell_typed_in_a_spreadsheet_imports_without_the_quote():
    text = (
        "stem,option_1,option_2,option_3,option_4,correct\r\n"
        "Which one is the queue?,'=SQS,SNS,S3,STS,1\r\n"
    )
    result = formats.parse("csv", text)
    assert result.errors == []
    assert result.data[0]["options"][0]["text"] == "=SQS"
