"""Moodle GIFT: multiple-choice, multiple-answer and true/false questions; others are skipped.

Read as Moodle reads it: questions are separated by blank lines, `//` lines are comments,
`$CATEGORY:` starts a category, `::title::` names a question, `{...}` holds the answers,
`=` marks the right answer and `~` a wrong one (or `~%50%` a weighted one), `#` gives an
answer's feedback and `####` the general feedback; `\\ \\~ \\= \\# \\{ \\} \\: \\n` escape.

What maps where: the title becomes the key when it already is a slug; a category whose last
part is a domain name sets the DVA-C01 domain (or the DVA-C02 one when the path has a DVA-C02
part) of the questions after it; answer feedback becomes the rationale and general feedback
the explanation. In a single-answer question (one with `=`) only full-credit answers are
correct; in a multiple-answer one every answer with a positive weight is. A true/false
question ({T}, {FALSE#feedback if wrong#feedback if right}) becomes a multiple-choice question
with the options True and False, which breaks the four-option rule and so imports as a draft
that needs review. Short answer, numerical, matching, missing-word and essay questions are
reported and skipped. References, tags, difficulty and the DVA-C02 domain have no place in
GIFT and are not exported.
"""

from __future__ import annotations

import re

from . import base
from .base import Collector, ParseResult
from .html_text import html_to_markdown, looks_like_html

# Escaped characters stand in as private-use characters while the structure is parsed.
_ESCAPED = {
    "\\": "\ue000",
    ":": "\ue001",
    "#": "\ue002",
    "=": "\ue003",
    "{": "\ue004",
    "}": "\ue005",
    "~": "\ue006",
    "n": "\ue007",
}
_RESTORE = {v: ("\n" if k == "n" else k) for k, v in _ESCAPED.items()}
_ESCAPE = re.compile(r"\\([\\:#={}~n])")
_FORMAT = re.compile(r"^\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d*)?)%")
_TRUE_FALSE = {"T", "TRUE", "F", "FALSE"}
_WRITE_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        "~": "\\~",
        "=": "\\=",
        "#": "\\#",
        "{": "\\{",
        "}": "\\}",
        ":": "\\:",
        "\n": "\\n",
        "\r": "",
    }
)


def _protect(text: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPED[m.group(1)], text)


def _restore(text: str) -> str:
    return "".join(_RESTORE.get(ch, ch) for ch in text)


def _text(raw: str, default_format: str) -> tuple[str, str, list[str]]:
    """Return (text as Markdown, its format, notes) for protected GIFT text."""
    raw = raw.strip()
    fmt = default_format
    if match := _FORMAT.match(raw):
        fmt = match.group(1).lower()
        raw = raw[match.end() :]
    text = _restore(raw).strip()
    notes: list[str] = []
    # Moodle's own format lets HTML through, so convert it when there is any.
    if fmt == "html" or (fmt == "moodle" and looks_like_html(text)):
        text, notes = html_to_markdown(text)
    return text, fmt, notes


def _blocks(text: str):
    """Yield (first line number, lines without comments) for each blank-line separated block."""
    block: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            block.append((number, line))
            continue
        if block:
            yield block
            block = []
    if block:
        yield block


def _unsupported(answer: str) -> str | None:
    """Return the name of the question type for an answer block that is not multiple choice."""
    if not answer.strip():
        return "essay"
    if answer.lstrip().startswith("#"):
        return "numerical"
    if "~" in answer:
        return None
    if "=" in answer and "->" in answer:
        return "matching"
    if answer.split("#", 1)[0].strip() in _TRUE_FALSE:
        return "true/false"
    return "short answer"


class _Reader:
    def __init__(self) -> None:
        self.collector = Collector()
        self.domains: dict[str, str] = {}
        self.number = 0

    def block(self, lines: list[tuple[int, str]]) -> None:
        lines = [(n, line) for n, line in lines if not line.strip().startswith("//")]
        if not lines:
            return
        first_line, first = lines[0]
        if first.strip().startswith("$CATEGORY:"):
            self.domains = base.domains_from_category(first.strip()[len("$CATEGORY:") :])
            # Moodle wants a blank line after a category; a question right below it is read too.
            lines = lines[1:]
            if not lines:
                return
            first_line = lines[0][0]
        self.number += 1
        self.question(self.number, first_line, _protect("\n".join(line for _n, line in lines)))

    def question(self, number: int, line: int, text: str) -> None:
        collector = self.collector
        text = text.strip()
        title = None
        if text.startswith("::"):
            end = text.find("::", 2)
            if end < 0:
                collector.error(number, line, "the title opened with :: is not closed with ::")
                return
            title = _restore(text[2:end]).strip()
            text = text[end + 2 :].strip()
        start, finish = text.find("{"), text.find("}")
        if start < 0 and finish < 0:
            collector.skip(number, line, "a description (text with no answers) is not a question")
            return
        if finish < 0:
            collector.error(number, line, "the answer block opened with { is never closed with }")
            return
        if start < 0 or finish < start:
            collector.error(number, line, "a } has no matching { (write \\} for a literal brace)")
            return
        answer = text[start + 1 : finish]
        if "{" in answer:
            collector.error(
                number,
                line,
                "a { inside the answer block: the block is not closed before the next one "
                "(write \\{ for a literal brace)",
            )
            return
        after = text[finish + 1 :].strip()
        if "{" in after or "}" in after:
            collector.error(number, line, "more than one answer block")
            return
        if after:
            collector.skip(
                number, line, "missing-word questions (text after the answers) are not supported"
            )
            return
        kind = _unsupported(answer)
        if kind == "true/false":
            self.true_false(number, line, title, text[:start], answer)
            return
        if kind:
            collector.skip(number, line, f"{kind} questions are not supported")
            return
        self.multiple_choice(number, line, title, text[:start], answer)

    def true_false(
        self, number: int, line: int, title: str | None, stem_raw: str, answer: str
    ) -> None:
        """Read {T}/{TRUE}/{F}/{FALSE} as a multiple-choice question with the options True
        and False. As in Moodle, {TRUE#wrong#right}: the first feedback is for a wrong
        response, the second for a right one; they become the options' rationales."""
        notes: list[str] = []
        stem, fmt, stem_notes = _text(stem_raw, "moodle")
        notes += stem_notes
        explanation = ""
        if (general := answer.find("####")) >= 0:
            explanation, _fmt, more = _text(answer[general + 4 :], fmt)
            notes += more
            answer = answer[:general]
        parts = answer.split("#")
        key = parts[0].strip() in {"T", "TRUE"}
        wrong, _fmt, more_wrong = _text(parts[1] if len(parts) > 1 else "", fmt)
        right, _fmt, more_right = _text("#".join(parts[2:]), fmt)
        notes += more_wrong + more_right
        self.collector.warn(number, line, base.TRUE_FALSE_NOTE)
        for note in dict.fromkeys(notes):
            self.collector.warn(number, line, note)
        self.collector.add(
            number,
            line,
            {
                "key": base.key_from_title(title or ""),
                "kind": "multiple_choice",
                "stem": stem,
                "options": [
                    {"text": "True", "correct": key, "rationale": right if key else wrong},
                    {"text": "False", "correct": not key, "rationale": wrong if key else right},
                ],
                "explanation": explanation,
                "domains": dict(self.domains),
            },
        )

    def multiple_choice(
        self, number: int, line: int, title: str | None, stem_raw: str, answer: str
    ) -> None:
        collector = self.collector
        notes: list[str] = []
        stem, fmt, stem_notes = _text(stem_raw, "moodle")
        notes += stem_notes
        explanation = ""
        if (general := answer.rfind("####")) >= 0:
            explanation, _fmt, more = _text(answer[general + 4 :], fmt)
            notes += more
            answer = answer[:general]
        single = "=" in answer
        pieces = re.split(r"(?=[~=])", answer)
        if pieces[0].strip():
            collector.error(
                number,
                line,
                f"text before the first answer: {_restore(pieces[0]).strip()!r} "
                "(each answer starts with = or ~)",
            )
            return
        options = []
        for position, piece in enumerate(pieces[1:], start=1):
            marker, body = piece[0], piece[1:].strip()
            weight = 100.0 if marker == "=" else 0.0
            # Like Moodle, read a weight only after ~; after = the answer is fully right.
            if marker == "~" and (match := _WEIGHT.match(body)):
                weight = float(match.group(1))
                body = body[match.end() :]
            text_raw, _hash, feedback_raw = body.partition("#")
            text, _fmt, more = _text(text_raw, fmt)
            rationale, _fmt, more_feedback = _text(feedback_raw, fmt)
            notes += more + more_feedback
            correct, warning = base.weight_to_correct(weight, single=single, full=100)
            if warning:
                collector.warn(number, line, f"answer {position} {warning}")
            options.append({"text": text, "correct": correct, "rationale": rationale})
        for note in dict.fromkeys(notes):
            collector.warn(number, line, note)
        collector.add(
            number,
            line,
            {
                "key": base.key_from_title(title or ""),
                "kind": None,  # worked out from the correct options
                "stem": stem,
                "options": options,
                "explanation": explanation,
                "domains": dict(self.domains),
            },
        )


def parse(text: str) -> ParseResult:
    """Read a GIFT file; unsupported question types are reported in `skipped`."""
    reader = _Reader()
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    for block in _blocks(text):
        reader.block(block)
    if reader.number == 0 and not reader.collector.result.errors:
        reader.collector.error(None, None, "the file holds no GIFT questions")
    return reader.collector.result


def _escape(text: str) -> str:
    return text.translate(_WRITE_ESCAPES)


def _answer_text(text: str) -> str:
    escaped = _escape(text)
    # A leading [name] would read as a format marker, so state the format explicitly.
    return f"[markdown]{escaped}" if text.startswith("[") else escaped


def export(questions: list[dict]) -> str:
    """Write questions as GIFT in Markdown format, with categories for the DVA-C01 domains."""
    out = ["// Exported from DVA Mock. Questions are in Markdown ([markdown]).", ""]
    category = None
    for q in map(base.normalise_question, questions):
        wanted = base.category_for(q)
        if wanted != category and (category is not None or q["domains"].get("DVA-C01")):
            out += [f"$CATEGORY: {wanted}", ""]
            category = wanted
        title = f"::{_escape(q['key'])}::" if q["key"] else ""
        lines = [f"{title}[markdown]{_escape(q['stem'])} {{"]
        multiple = q["kind"] == "multiple_response"
        for option, weight in zip(q["options"], base.correct_weights(q["options"]), strict=True):
            if multiple:
                marker = f"~%{base.format_weight(weight)}%"
            elif option["correct"]:
                marker = "="
            else:
                # An answer starting with % would read as a weight unless one is given.
                marker = "~%0%" if option["text"].startswith("%") else "~"
            feedback = f"#{_escape(option['rationale'])}" if option["rationale"] else ""
            lines.append(f"\t{marker}{_answer_text(option['text'])}{feedback}")
        if q["explanation"]:
            lines.append(f"\t####{_escape(q['explanation'])}")
        lines.append("}")
        out += [*lines, ""]
    return "\n".join(out)
