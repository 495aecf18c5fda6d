"""CSV injection: formula cells are neutralised on export and restored on import."""

import csv
import io

import pytest

from core.csv_cells import csv_restore_cell, csv_safe_cell, csv_safe_writer


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://evil.test")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"],
)
def test_formula_cells_get_a_leading_quote(value):
    assert csv_safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Security", "", "1+1", "a=b", "'quoted", 42, None, 1.5])
def test_other_cells_are_left_alone(value):
    assert csv_safe_cell(value) == value


@pytest.mark.parametrize(
    "value",
    ["=1+1", "'=1+1", "''@x", "'", "''", "'plain", "plain", "-", "'-", "", "\t", "'\r"],
)
def test_round_trip_is_lossless(value):
    assert csv_restore_cell(csv_safe_cell(value)) == value


def test_writer_neutralises_every_cell():
    out = io.StringIO()
    csv_safe_writer(out).writerow(["=cmd|' /C calc'!A0", "ok", 3, "@x"])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == [
        "'=cmd|' /C calc'!A0",
        "ok",
        "3",
        "'@x",
    ]
