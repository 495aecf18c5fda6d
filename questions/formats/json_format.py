"""The native JSON format: the bank schema itself, lossless.

A file is {"format": "dva-question-bank", "version": 1, "questions": [...]}; a bare list of
questions is read too. Each question is a dict in the bank schema (see content_rules).
"""

from __future__ import annotations

import json
import re
from typing import Any

from .base import FIELDS, Collector, ParseResult, normalise_question

FORMAT_NAME = "dva-question-bank"
VERSION = 1
_OPTION_FIELDS = ("text", "correct", "rationale")
_TYPES: dict[str, tuple[type, ...]] = {
    "key": (str, type(None)),
    "kind": (str,),
    "stem": (str,),
    "options": (list,),
    "explanation": (str, type(None)),
    "references": (list, type(None)),
    "domains": (dict, type(None)),
    "tags": (list, type(None)),
    "difficulty": (str, type(None)),
    "task_statements": (dict, type(None)),
    "enemies": (list, type(None)),
    "reviewed_on": (str, type(None)),
    "reviews": (list, type(None)),
    "is_pretest": (bool, type(None)),
}
_TYPE_NAMES = {
    str: "text",
    list: "a list",
    dict: "an object",
    bool: "true or false",
    int: "a number",
    float: "a number",
    type(None): "null",
}
_SPACE = re.compile(r"\s*")
# The bank schema nests five deep (file, questions, question, options, option); a file nested
# far deeper is not a question bank, and json.loads would exhaust the stack on "[" * 100000.
MAX_DEPTH = 20
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Tell whether JSON text nests arrays and objects more than `limit` deep (one pass)."""
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif token in ("]", "}"):
            depth -= 1
    return False


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _shape_problems(raw: dict) -> tuple[list[str], list[str]]:
    """Return (errors, notes) about the JSON types of a question's fields."""
    errors: list[str] = []
    notes: list[str] = []
    for name, types in _TYPES.items():
        if name in raw and not isinstance(raw[name], types):
            expected = " or ".join(_TYPE_NAMES[t] for t in types if t is not type(None))
            errors.append(f"{name} must be {expected}, not {_type_name(raw[name])}")
    if "stem" not in raw:
        errors.append("the stem is missing")
    if "options" not in raw:
        errors.append("the options are missing")
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        notes.append("ignored unknown field(s): " + ", ".join(unknown))
    if isinstance(raw.get("options"), list):
        for number, option in enumerate(raw["options"], start=1):
            if not isinstance(option, dict):
                continue
            if "text" in option and not isinstance(option["text"], str):
                found = _type_name(option["text"])
                errors.append(f"option {number}: text must be text, not {found}")
            extra = sorted(set(option) - set(_OPTION_FIELDS))
            if extra:
                notes.append(f"option {number}: ignored unknown field(s): " + ", ".join(extra))
    return errors, notes


def _question_lines(text: str) -> list[int]:
    """Return the line on which each question object starts, or [] if that cannot be told.

    json.loads keeps no positions, so the questions array is walked with raw_decode.
    """
    decoder = json.JSONDecoder()
    newlines = [m.start() for m in re.finditer("\n", text)]

    def line_of(index: int) -> int:
        # Binary search over newline offsets keeps this linear-ish on big files.
        lo, hi = 0, len(newlines)
        while lo < hi:
            mid = (lo + hi) // 2
            if newlines[mid] < index:
                lo = mid + 1
            else:
                hi = mid
        return lo + 1

    def skip(index: int) -> int:
        return _SPACE.match(text, index).end()

    def items(index: int) -> list[int]:
        lines = []
        index = skip(index + 1)
        while index < len(text) and text[index] != "]":
            lines.append(line_of(index))
            _value, index = decoder.raw_decode(text, index)
            index = skip(index)
            if text.startswith(",", index):
                index = skip(index + 1)
        return lines

    try:
        index = skip(0)
        if text.startswith("[", index):
            return items(index)
        if not text.startswith("{", index):
            return []
        index = skip(index + 1)
        while index < len(text) and text[index] == '"':
            name, index = json.decoder.scanstring(text, index + 1)
            index = skip(skip(index) + 1)  # past the colon
            if name == "questions" and text.startswith("[", index):
                return items(index)
            _value, index = decoder.raw_decode(text, index)
            index = skip(index)
            if text.startswith(",", index):
                index = skip(index + 1)
    except (ValueError, IndexError):
        pass
    return []


def parse(text: str) -> ParseResult:
    """Read a native JSON file; every question is checked as the bank would check it."""
    collector = Collector()
    text = text.lstrip("\ufeff")
    if too_deep(text):
        collector.error(
            None,
            None,
            f"the file nests lists and objects more than {MAX_DEPTH} deep, so it is not a "
            "question bank",
        )
        return collector.result
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"the file is not valid JSON: {exc.msg} (column {exc.colno})"
        collector.error(None, exc.lineno, message)
        return collector.result
    except (ValueError, RecursionError) as exc:
        # Numbers over Python's 4300-digit limit raise a plain ValueError.
        collector.error(None, None, f"the file is not valid JSON: {str(exc)[:120]}")
        return collector.result
    if isinstance(document, dict):
        if document.get("format") != FORMAT_NAME:
            collector.error(
                None, None, f'the file is not a question bank: "format" must be "{FORMAT_NAME}"'
            )
            return collector.result
        if document.get("version") != VERSION:
            collector.error(
                None,
                None,
                f"version {document.get('version')!r} of the format is not supported "
                f"(this version reads {VERSION})",
            )
            return collector.result
        questions = document.get("questions")
    else:
        questions = document
    if not isinstance(questions, list):
        collector.error(None, None, '"questions" must be a list of questions')
        return collector.result
    lines = _question_lines(text)
    for number, raw in enumerate(questions, start=1):
        line = lines[number - 1] if number <= len(lines) else None
        if not isinstance(raw, dict):
            collector.error(number, line, f"a question must be an object, not {_type_name(raw)}")
            continue
        errors, notes = _shape_problems(raw)
        if errors:
            collector.error(number, line, "; ".join(errors))
            continue
        for note in notes:
            collector.warn(number, line, note)
        collector.add(number, line, raw)
    return collector.result


def export(questions: list[dict]) -> str:
    """Write questions as a native JSON file (fields left out when unknown or empty)."""
    out = []
    for q in questions:
        data = normalise_question(q)
        out.append(
            {
                k: v
                for k, v in data.items()
                if not (k in ("key", "difficulty", "reviewed_on") and v is None)
                and not (k in ("task_statements", "enemies", "reviews", "is_pretest") and not v)
            }
        )
    document = {"format": FORMAT_NAME, "version": VERSION, "questions": out}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
