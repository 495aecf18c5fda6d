"""CSV: one question per row, for spreadsheets. Lossless for the bank schema.

Column layout (the header row is required; columns may come in any order, names are
case-insensitive and spaces or hyphens count as underscores):

    key             optional slug; blank gives the question a new key on import
    kind            multiple_choice or multiple_response (also MC / MR); blank: worked out
                    from the number of correct options
    stem            Markdown; line breaks inside a quoted cell are kept
    option_1 ...    option texts; at least option_1 and option_2 columns, option_6 by default
                    and more if needed (option_7, ...). Filled options must come first.
    correct         the correct option numbers, e.g. "2" or "1;3" (";", "," or spaces);
                    letters A, B, ... are read as 1, 2, ...
    rationale_1 ... why each option is right or wrong
    explanation     Markdown
    references      URLs separated by "|" or spaces
    domain_dva_c01  e.g. Security
    domain_dva_c02  e.g. Troubleshooting and Optimization
    tags            separated by "|" (or by "," when there is no "|")
    difficulty      easy, medium or hard
    task_statement_dva_c01, task_statement_dva_c02
                    the task statement code in that guide, e.g. 1.2 (DVA-C01 has none)
    enemies         keys of questions never to share a form with this one, ";"-separated
    reviewed_on     the date a second reader last checked it, e.g. 2026-12-02
    reviews         the reviewers' verdicts as a JSON list of {"reviewer", "verdict",
                    "notes", "date"} objects
    is_pretest      yes for a pretest item (unscored slots only, never scored), no or empty
                    otherwise

The exporter writes every column above with six option columns (more when a question has
more options), "|" between references and tags, and CRLF line ends as RFC 4180 asks. A cell
that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) is written
with a leading single quote, which the reader removes again (core.csv_cells).
Semicolon- and tab-separated files (as some spreadsheets save) are recognised by the header.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter

from core.csv_cells import csv_restore_cell, csv_safe_writer

from .base import Collector, ParseResult, normalise_question

BASE_COLUMNS = ("key", "kind", "stem")
TAIL_COLUMNS = (
    "explanation",
    "references",
    "domain_dva_c01",
    "domain_dva_c02",
    "tags",
    "difficulty",
    "task_statement_dva_c01",
    "task_statement_dva_c02",
    "enemies",
    "reviewed_on",
    "reviews",
    "is_pretest",
)
DEFAULT_OPTION_COLUMNS = 6
# Every column the layout knows fits many times over; a header of 40,000 option columns made
# each row's checks quadratic, so wider files are refused before any row is read.
MAX_COLUMNS = 200
HEADER_HINT = (
    "key, kind, stem, option_1 … option_6, correct, rationale_1 … rationale_6, explanation, "
    "references, domain_dva_c01, domain_dva_c02, tags, difficulty, task_statement_dva_c01, "
    "task_statement_dva_c02, enemies, reviewed_on, reviews, is_pretest"
)
# ASCII digits, at most four: int() refuses some Unicode digits and more than 4,300 digits.
_OPTION = re.compile(r"^option_([0-9]{1,4})$")
_RATIONALE = re.compile(r"^rationale_([0-9]{1,4})$")
_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0"})
_KNOWN = set(BASE_COLUMNS) | set(TAIL_COLUMNS) | {"correct"}
_KINDS = {
    "multiple_choice": "multiple_choice",
    "mc": "multiple_choice",
    "single": "multiple_choice",
    "multiple_response": "multiple_response",
    "mr": "multiple_response",
    "multiple": "multiple_response",
}
_DOMAIN_COLUMNS = {"domain_dva_c01": "DVA-C01", "domain_dva_c02": "DVA-C02"}
_TASK_STATEMENT_COLUMNS = {"task_statement_dva_c01": "DVA-C01", "task_statement_dva_c02": "DVA-C02"}


def header(option_count: int = DEFAULT_OPTION_COLUMNS) -> list[str]:
    """Return the column names the exporter writes for `option_count` options."""
    numbers = range(1, option_count + 1)
    return [
        *BASE_COLUMNS,
        *(f"option_{n}" for n in numbers),
        "correct",
        *(f"rationale_{n}" for n in numbers),
        *TAIL_COLUMNS,
    ]


def _column_name(cell: str) -> str:
    return re.sub(r"[\s-]+", "_", cell.strip().lower())


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _split_list(cell: str, separators: str) -> list[str]:
    return [part.strip() for part in re.split(separators, cell) if part.strip()]


def _split_tags(cell: str) -> list[str]:
    return _split_list(cell, r"\|" if "|" in cell else ",")


def _correct_numbers(cell: str, option_count: int) -> tuple[list[int], str | None]:
    """Return the 1-based correct option numbers, or an error message."""
    tokens = [t for t in re.split(r"[;,\s|]+", cell.strip()) if t]
    if not tokens:
        return [], 'the "correct" cell is empty; list the correct option numbers, e.g. 2 or 1;3'
    numbers = []
    for token in tokens:
        # ASCII only: "²" passes str.isdigit but int() refuses it, and "é" is no option letter.
        # Four digits are plenty for an option number and keep int() away from huge input.
        if token.isascii() and token.isdigit() and len(token) <= 4:
            numbers.append(int(token))
        elif len(token) == 1 and token.isascii() and token.isalpha():
            numbers.append(ord(token.upper()) - ord("A") + 1)
        else:
            return [], f'"correct" must list option numbers such as 2 or 1;3, not {cell.strip()!r}'
    for n in numbers:
        if not 1 <= n <= option_count:
            return [], (
                f'"correct" names option {n}, but the row has {option_count} option'
                f"{'' if option_count == 1 else 's'}"
            )
    if len(set(numbers)) != len(numbers):
        return [], f'"correct" names the same option twice: {cell.strip()!r}'
    return numbers, None


class _Malformed(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _rows(text: str, delimiter: str):
    """Yield (first line, cells) for each record; a record's cells may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _Malformed(start, str(exc)) from exc
        yield start, [csv_restore_cell(cell) for cell in cells]


def _read_row(
    cells: dict[str, str], options: list[int], rationales: set[int]
) -> tuple[dict | None, list[str]]:
    """Return the question in a row, or None and what is wrong with the row."""
    problems: list[str] = []
    texts = [cells.get(f"option_{n}", "").strip() for n in options]
    while texts and not texts[-1]:
        texts.pop()
    for position, text in enumerate(texts):
        if not text:
            problems.append(f"option_{options[position]} is empty but a later option is filled")
    position = {n: index for index, n in enumerate(options)}
    for n in rationales:
        if cells.get(f"rationale_{n}", "").strip() and (
            n not in position or position[n] >= len(texts) or not texts[position[n]]
        ):
            problems.append(f"rationale_{n} is filled but option_{n} is empty")
    correct, problem = _correct_numbers(cells.get("correct", ""), len(texts))
    if problem:
        problems.append(problem)
    kind_cell = _column_name(cells.get("kind", ""))
    kind = _KINDS.get(kind_cell) if kind_cell else None
    if kind_cell and kind is None:
        problems.append(
            f"kind must be multiple_choice or multiple_response, not {cells['kind'].strip()!r}"
        )
    reviews: object = []
    reviews_cell = cells.get("reviews", "").strip()
    if reviews_cell:
        try:
            reviews = json.loads(reviews_cell)
        except (ValueError, RecursionError):
            problems.append(
                'reviews must be a JSON list such as [{"reviewer": "...", "verdict": '
                '"accepted", "notes": "...", "date": "2026-12-02"}]'
            )
    pretest = cells.get("is_pretest", "").strip().lower()
    if pretest and pretest not in _YES | _NO:
        problems.append(f"is_pretest must be yes or no, not {pretest[:20]!r}")
    if problems:
        return None, problems
    question = {
        "key": cells.get("key", ""),
        "kind": kind,
        "stem": cells.get("stem", ""),
        "options": [
            {
                "text": text,
                "correct": position + 1 in correct,
                "rationale": cells.get(f"rationale_{options[position]}", ""),
            }
            for position, text in enumerate(texts)
        ],
        "explanation": cells.get("explanation", ""),
        "references": _split_list(cells.get("references", ""), r"[|\s]+"),
        "domains": {code: cells.get(column, "") for column, code in _DOMAIN_COLUMNS.items()},
        "tags": _split_tags(cells.get("tags", "")),
        "difficulty": cells.get("difficulty", "").strip().lower() or None,
        "task_statements": {
            code: cells.get(column, "").strip() for column, code in _TASK_STATEMENT_COLUMNS.items()
        },
        "enemies": _split_list(cells.get("enemies", ""), r"[;,\s]+"),
        "reviewed_on": cells.get("reviewed_on", "").strip() or None,
        "reviews": reviews,
    }
    if pretest:
        question["is_pretest"] = pretest in _YES
    return question, []


def parse(text: str) -> ParseResult:
    """Read a CSV file with a header row; errors name the CSV line where the row starts."""
    collector = Collector()
    text = text.lstrip("\ufeff")
    rows = _rows(text, _delimiter(text))
    columns: list[str] | None = None
    options: list[int] = []
    rationales: set[int] = set()
    number = 0
    try:
        for line, cells in rows:
            if not any(c.strip() for c in cells):
                continue
            if columns is None:
                if len(cells) > MAX_COLUMNS:
                    collector.error(
                        None,
                        line,
                        f"the header has {len(cells)} columns; the most is {MAX_COLUMNS} "
                        f"({HEADER_HINT})",
                    )
                    return collector.result
                columns = [_column_name(c) for c in cells]
                if "stem" not in columns or "correct" not in columns:
                    collector.error(
                        None,
                        line,
                        f"the first row must be the header naming the columns ({HEADER_HINT}); "
                        f"it has no {'stem' if 'stem' not in columns else 'correct'} column",
                    )
                    return collector.result
                repeated = sorted(c for c, n in Counter(columns).items() if c and n > 1)
                if repeated:
                    collector.error(None, line, "repeated column(s): " + ", ".join(repeated))
                    return collector.result
                options = sorted(int(m.group(1)) for c in columns if (m := _OPTION.match(c)))
                rationales = {int(m.group(1)) for c in columns if (m := _RATIONALE.match(c))}
                unknown = [
                    c
                    for c in columns
                    if c and c not in _KNOWN and not _OPTION.match(c) and not _RATIONALE.match(c)
                ]
                if unknown:
                    names = ", ".join(c[:40] for c in unknown)
                    collector.warn(None, line, f"ignored unknown column(s): {names}")
                continue
            number += 1
            if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
                collector.error(
                    number,
                    line,
                    f"the row has {len(cells)} cells but the header names {len(columns)} "
                    "columns (is a comma in a cell missing its quotes?)",
                )
                continue
            named = dict(zip(columns, cells, strict=False))
            question, problems = _read_row(named, options, rationales)
            if question is None:
                collector.error(number, line, "; ".join(problems))
            else:
                collector.add(number, line, question)
    except _Malformed as exc:
        hint = " (is a quote left open?)" if "end of data" in exc.message else ""
        collector.error(None, exc.line, f"the CSV is malformed: {exc.message}{hint}")
    if columns is None:
        collector.error(None, None, "the file is empty: it needs a header row and questions")
    return collector.result


def export(questions: list[dict]) -> str:
    """Write questions as CSV with the column layout above."""
    data = [normalise_question(q) for q in questions]
    option_count = max([DEFAULT_OPTION_COLUMNS, *(len(q["options"]) for q in data)])
    out = io.StringIO()
    writer = csv_safe_writer(out, lineterminator="\r\n")
    writer.writerow(header(option_count))
    for q in data:
        if any("|" in t for t in q["tags"]):
            raise ValueError(f"{q['key'] or q['stem'][:40]}: a tag contains '|', which CSV uses")
        padding = [""] * (option_count - len(q["options"]))
        tags = " | ".join(q["tags"])
        if len(q["tags"]) == 1 and "," in tags:
            tags += " |"  # so the reader splits on "|", not on the comma inside the tag
        writer.writerow(
            [
                q["key"] or "",
                q["kind"],
                q["stem"],
                *(o["text"] for o in q["options"]),
                *padding,
                ";".join(str(n) for n, o in enumerate(q["options"], start=1) if o["correct"]),
                *(o["rationale"] for o in q["options"]),
                *padding,
                q["explanation"],
                " | ".join(q["references"]),
                q["domains"].get("DVA-C01", ""),
                q["domains"].get("DVA-C02", ""),
                tags,
                q["difficulty"] or "",
                *(
                    q.get("task_statements", {}).get(code, "")
                    for code in _TASK_STATEMENT_COLUMNS.values()
                ),
                ";".join(q.get("enemies", [])),
                q.get("reviewed_on") or "",
                json.dumps(q["reviews"], ensure_ascii=False) if q.get("reviews") else "",
                "yes" if q.get("is_pretest") else "",
            ]
        )
    return out.getvalue()
