"""Aiken: single-answer multiple-choice questions as plain text.

    Which service stores objects?
    A) Amazon S3
    B. Amazon EBS
    ANSWER: A

The question text runs until the first option line ("A) text" or "A. text"); it may span lines,
and blank lines inside it are kept as paragraph breaks. Options follow one per line, lettered
A, B, C, ... in order, and "ANSWER: X" ends the question. Aiken holds only the stem, the
option texts and the one correct answer.

Exporting a multiple-response question raises ValueError (rather than leaving it out
silently), and so does a question Aiken cannot hold: an option text over several lines, or a
stem line that would read as an option or an ANSWER line.
"""

from __future__ import annotations

import re
import string

from .base import Collector, ParseResult, normalise_question

_OPTION = re.compile(r"^([A-Z])[.)][ \t]+(.*)$")
_ANSWER = re.compile(r"^ANSWER:(.*)$")


def _letters(count: int) -> str:
    letters = string.ascii_uppercase[:count]
    return f"{letters[0]} to {letters[-1]}" if count > 1 else letters


class _Question:
    def __init__(self, number: int, line: int) -> None:
        self.number = number
        self.line = line
        self.stem: list[str] = []
        self.options: list[str] = []
        self.problems: list[str] = []
        self.last_option_line: int | None = None


def parse(text: str) -> ParseResult:
    """Read an Aiken file; errors give the line of the problem."""
    collector = Collector()
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    current: _Question | None = None
    number = 0

    def finish(question: _Question, answer: str | None, answer_line: int | None) -> None:
        if not question.options:
            question.problems.append(
                f"the ANSWER line on line {answer_line} comes before any option"
                if answer is not None
                else "the question has no options and no ANSWER line"
            )
        elif answer is None:
            question.problems.append(
                f"no ANSWER line after the options (the last option is on line "
                f"{question.last_option_line})"
            )
        if question.problems:
            collector.error(question.number, question.line, "; ".join(question.problems))
            return
        letter = answer.strip()
        if not re.fullmatch(r"[A-Za-z]", letter):
            collector.error(
                question.number,
                question.line,
                f"ANSWER on line {answer_line} must be one letter, not {letter!r} "
                "(Aiken holds single-answer questions only)",
            )
            return
        index = ord(letter.upper()) - ord("A")
        if index >= len(question.options):
            collector.error(
                question.number,
                question.line,
                f"ANSWER: {letter.upper()} on line {answer_line} names no option "
                f"(the options are {_letters(len(question.options))})",
            )
            return
        collector.add(
            question.number,
            question.line,
            {
                "kind": "multiple_choice",
                "stem": "\n".join(question.stem).strip("\n"),
                "options": [
                    {"text": option, "correct": position == index}
                    for position, option in enumerate(question.options)
                ],
            },
        )

    for line_number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        option = _OPTION.match(stripped)
        answer = _ANSWER.match(stripped)
        if current is None:
            if not stripped:
                continue
            number += 1
            current = _Question(number, line_number)
            if answer or option:
                current.problems.append(f"line {line_number} should be the question text")
        if answer:
            finish(current, answer.group(1), line_number)
            current = None
        elif option:
            letter, option_text = option.groups()
            count = len(current.options)
            if count >= len(string.ascii_uppercase):
                problem = f"line {line_number} is a 27th option; Aiken letters run A to Z"
            elif letter != string.ascii_uppercase[count]:
                problem = (
                    f"option letters must run A, B, C, … in order; line {line_number} has "
                    f"{letter} where {string.ascii_uppercase[count]} was expected"
                )
            else:
                problem = None
            if problem and not current.problems:
                current.problems.append(problem)
            current.options.append(option_text.strip())
            current.last_option_line = line_number
        elif not stripped:
            if not current.options:
                current.stem.append("")
        elif current.options:
            # Text after the options: the previous question ended without its ANSWER line.
            finish(current, None, None)
            number += 1
            current = _Question(number, line_number)
            current.stem.append(line.rstrip())
        else:
            current.stem.append(line.rstrip())
    if current is not None:
        finish(current, None, None)
    if number == 0:
        collector.error(None, None, "the file holds no Aiken questions")
    return collector.result


def export(questions: list[dict]) -> str:
    """Write single-answer questions as Aiken; raise ValueError for any it cannot hold."""
    blocks = []
    for number, q in enumerate(map(normalise_question, questions), start=1):
        label = f"question {number}" + (f" ({q['key']})" if q["key"] else "")
        if q["kind"] != "multiple_choice":
            raise ValueError(
                f"Aiken holds single-answer questions only, and {label} is multiple response; "
                "export it as JSON, CSV, GIFT or Moodle XML instead"
            )
        if len(q["options"]) > len(string.ascii_uppercase):
            raise ValueError(f"{label} has more options than Aiken has letters")
        for line in q["stem"].splitlines():
            if _OPTION.match(line.strip()) or _ANSWER.match(line.strip()):
                raise ValueError(f"{label}: the stem line {line.strip()!r} would read as Aiken")
        lines = [line.rstrip() for line in q["stem"].splitlines()]
        for letter, option in zip(string.ascii_uppercase, q["options"], strict=False):
            if "\n" in option["text"]:
                raise ValueError(f"{label}: option {letter} spans lines, which Aiken cannot hold")
            lines.append(f"{letter}. {option['text']}")
        answers = [
            letter
            for letter, option in zip(string.ascii_uppercase, q["options"], strict=False)
            if option["correct"]
        ]
        if len(answers) != 1:
            raise ValueError(f"{label} needs exactly one correct option for Aiken")
        answer = answers[0]
        lines.append(f"ANSWER: {answer}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")
