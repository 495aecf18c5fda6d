"""Keep spreadsheet cells from running as formulas (CSV injection), losslessly.

Spreadsheets run a cell that starts with =, +, -, @, a tab or a carriage return as a formula,
so a cohort name such as =HYPERLINK(...) in an export could run when the file is opened. OWASP
advises prefixing such cells with a single quote. To keep the round trip lossless, a value
that already starts with quotes followed by one of those characters gets one more quote, and
reading removes exactly one: what was written comes back unchanged.
"""

from __future__ import annotations

import csv
import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NEUTRALISED = re.compile(r"'*[=+\-@\t\r]")


def csv_safe_cell(value: Any) -> Any:
    """Return a cell value a spreadsheet will not run as a formula; non-text is left alone."""
    if isinstance(value, str) and _NEUTRALISED.match(value):
        return "'" + value
    return value


def csv_restore_cell(value: str) -> str:
    """Undo csv_safe_cell: remove the one quote it put before a formula character."""
    if value.startswith("'") and _NEUTRALISED.match(value, 1):
        return value[1:]
    return value


class SafeWriter:
    """A csv.writer whose rows go through csv_safe_cell, cell by cell."""

    def __init__(self, file, **kwargs) -> None:
        self._writer = csv.writer(file, **kwargs)

    def writerow(self, row) -> Any:
        return self._writer.writerow([csv_safe_cell(cell) for cell in row])


def csv_safe_writer(file, **kwargs) -> SafeWriter:
    """Return a CSV writer for `file` (csv.writer's options) that neutralises formula cells."""
    return SafeWriter(file, **kwargs)
