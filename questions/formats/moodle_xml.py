"""Moodle XML: <quiz> with multichoice and true/false questions; other types are skipped.

What maps where: <idnumber> is the key; <questiontext> the stem; <generalfeedback> the
explanation; each <answer> an option, its <feedback> the rationale; <tags> the tags; a
<question type="category"> whose path ends in a domain name (e.g. $course$/DVA-C01/Security)
sets the DVA-C01 domain (or the DVA-C02 one when the path has a DVA-C02 part) of the
questions after it. With <single>true</single> only full-credit answers are correct; with
false every answer with a positive fraction is. A true/false question becomes a
multiple-choice question with the options True and False (each answer's feedback its
rationale), which breaks the four-option rule and so imports as a draft that needs review.
HTML text is turned into Markdown; the
exporter writes Markdown (format="markdown"), so its files read back unchanged. References,
difficulty and the DVA-C02 domain have no place in Moodle XML and are not exported.

Files that declare a DOCTYPE or entities are refused: entity expansion can blow a small file
up into gigabytes ("billion laughs"), and Moodle's own exports never need them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from xml.parsers import expat

from .base import (
    TRUE_FALSE_NOTE,
    Collector,
    ParseResult,
    category_for,
    correct_weights,
    domains_from_category,
    format_weight,
    key_from_title,
    normalise_question,
    weight_to_correct,
)
from .html_text import html_to_markdown, looks_like_html

_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_REFUSED = (
    "the file declares a DOCTYPE or entities, which are refused because they can expand "
    "into a huge document; export the quiz from Moodle again, or remove the declaration"
)
_TYPE_NAMES = {
    "shortanswer": "short answer",
    "essay": "essay",
    "matching": "matching",
    "numerical": "numerical",
    "multianswer": "embedded answers (Cloze)",
    "description": "description",
    "calculated": "calculated",
    "calculatedsimple": "simple calculated",
    "calculatedmulti": "calculated multichoice",
    "ddwtos": "drag and drop into text",
    "ddimageortext": "drag and drop onto image",
    "ddmarker": "drag and drop markers",
    "gapselect": "select missing words",
    "randomsamatch": "random short-answer matching",
    "ordering": "ordering",
}


class _Refused(Exception):
    pass


def _tree(text: str) -> tuple[ET.Element, dict[ET.Element, int]]:
    """Parse XML into ElementTree elements, with the line each element starts on.

    Expat is driven directly (ElementTree keeps no line numbers) and refuses any DOCTYPE or
    entity declaration before it could be expanded.
    """
    builder = ET.TreeBuilder()
    lines: dict[ET.Element, int] = {}
    parser = expat.ParserCreate()

    def start(tag: str, attrs: dict[str, str]) -> None:
        lines[builder.start(tag, attrs)] = parser.CurrentLineNumber

    def refuse(*_args: object) -> None:
        raise _Refused

    parser.StartElementHandler = start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.Parse(text, True)
    return builder.close(), lines


def _text(
    element: ET.Element | None, default_format: str = "moodle_auto_format"
) -> tuple[str, list[str]]:
    """Return the Markdown of a Moodle text element (<questiontext>, <answer>, ...) and notes."""
    if element is None:
        return "", []
    raw = element.findtext("text") or ""
    fmt = (element.get("format") or default_format).strip().lower()
    notes = ["embedded files are not imported"] if element.find("file") is not None else []
    if fmt == "html" or (fmt == "moodle_auto_format" and looks_like_html(raw)):
        text, more = html_to_markdown(raw)
        return text, notes + more
    return raw.strip(), notes


def _flag(element: ET.Element, name: str, default: bool) -> bool:
    value = (element.findtext(name) or "").strip().lower()
    return default if not value else value in ("true", "1", "yes")


def _stem_and_explanation(element: ET.Element) -> tuple[str, str, list[str]]:
    """Return a question's stem, its general feedback (the explanation) and their notes."""
    stem, notes = _text(element.find("questiontext"))
    explanation, more = _text(element.find("generalfeedback"))
    return stem, explanation, notes + more


class _Reader:
    def __init__(self) -> None:
        self.collector = Collector()
        self.domains: dict[str, str] = {}
        self.number = 0

    def question(self, element: ET.Element, line: int | None) -> None:
        kind = (element.get("type") or "").strip().lower()
        if kind == "category":
            path = element.findtext("category/text") or element.findtext("category") or ""
            self.domains = domains_from_category(path)
            return
        self.number += 1
        if kind == "truefalse":
            self.true_false(self.number, line, element)
            return
        if kind != "multichoice":
            name = _TYPE_NAMES.get(kind, f'"{kind}"' if kind else "untyped")
            self.collector.skip(
                self.number, line, f'{name} questions (type="{kind}") are not supported'
            )
            return
        self.multichoice(self.number, line, element)

    def true_false(self, number: int, line: int | None, element: ET.Element) -> None:
        """Read a true/false question as multiple choice with the options True and False.

        Moodle writes two answers whose text is "true" and "false", the right one with
        fraction 100; each answer's feedback is shown to whoever picks it, so it is that
        option's rationale.
        """
        stem, explanation, notes = _stem_and_explanation(element)
        answers: dict[str, tuple[bool, str]] = {}
        for answer in element.findall("answer"):
            value = (answer.findtext("text") or "").strip().lower()
            try:
                correct = float((answer.get("fraction") or "0").strip()) > 0
            except ValueError:
                correct = False
            rationale, more = _text(answer.find("feedback"))
            notes += more
            answers[value] = (correct, rationale)
        if set(answers) != {"true", "false"} or sum(c for c, _r in answers.values()) != 1:
            self.collector.error(
                number,
                line,
                'a true/false question needs one answer "true" and one "false", '
                "exactly one of them with a positive fraction",
            )
            return
        self.collector.warn(number, line, TRUE_FALSE_NOTE)
        options = [
            {"text": label, "correct": answers[value][0], "rationale": answers[value][1]}
            for value, label in (("true", "True"), ("false", "False"))
        ]
        self.add(number, line, element, "multiple_choice", stem, options, explanation, notes)

    def multichoice(self, number: int, line: int | None, element: ET.Element) -> None:
        collector = self.collector
        stem, explanation, notes = _stem_and_explanation(element)
        single = _flag(element, "single", default=True)
        options = []
        problems = []
        for position, answer in enumerate(element.findall("answer"), start=1):
            raw_fraction = (answer.get("fraction") or "0").strip()
            try:
                fraction = float(raw_fraction)
            except ValueError:
                problems.append(f"answer {position} has fraction {raw_fraction!r}, not a number")
                continue
            text, more = _text(answer)
            rationale, more_feedback = _text(answer.find("feedback"))
            notes += more + more_feedback
            correct, warning = weight_to_correct(fraction, single=single, full=99.99)
            if warning:
                collector.warn(number, line, f"answer {position} {warning}")
            options.append({"text": text, "correct": correct, "rationale": rationale})
        if problems:
            collector.error(number, line, "; ".join(problems))
            return
        # The kind is worked out from the correct options.
        self.add(number, line, element, None, stem, options, explanation, notes)

    def add(
        self,
        number: int,
        line: int | None,
        element: ET.Element,
        kind: str | None,
        stem: str,
        options: list[dict],
        explanation: str,
        notes: list[str],
    ) -> None:
        """Collect one read question with its notes, its idnumber as the key and its tags."""
        collector = self.collector
        for note in dict.fromkeys(notes):
            collector.warn(number, line, note)
        key = (element.findtext("idnumber") or "").strip()
        tags = [(t.findtext("text") or "").strip() for t in element.findall("tags/tag")]
        collector.add(
            number,
            line,
            {
                "key": key_from_title(key) if key else None,
                "kind": kind,
                "stem": stem,
                "options": options,
                "explanation": explanation,
                "domains": dict(self.domains),
                "tags": [t for t in tags if t],
            },
        )
        if key and not key_from_title(key):
            collector.warn(number, line, f"the idnumber {key!r} is not a slug, so it is not kept")


def parse(text: str) -> ParseResult:
    """Read a Moodle XML file; unsupported question types are reported in `skipped`."""
    reader = _Reader()
    collector = reader.collector
    text = text.lstrip("\ufeff")
    if match := _DECLARATION.search(text):
        collector.error(None, text.count("\n", 0, match.start()) + 1, _REFUSED)
        return collector.result
    try:
        root, lines = _tree(text)
    except _Refused:
        collector.error(None, None, _REFUSED)
        return collector.result
    except expat.ExpatError as exc:
        message = expat.errors.messages.get(exc.code, str(exc))
        collector.error(
            None,
            exc.lineno,
            f"the file is not well-formed XML: {message} (column {exc.offset + 1})",
        )
        return collector.result
    if root.tag != "quiz":
        collector.error(None, lines.get(root), f"the root element must be <quiz>, not <{root.tag}>")
        return collector.result
    for element in root:
        if element.tag == "question":
            reader.question(element, lines.get(element))
    if reader.number == 0 and not collector.result.errors:
        collector.error(None, None, "the file holds no questions")
    return collector.result


def _text_element(parent: ET.Element, tag: str, text: str, fmt: str | None = "markdown") -> None:
    element = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(element, "text").text = text


def _name(q: dict) -> str:
    first_line = next((line for line in q["stem"].splitlines() if line.strip()), "")
    return q["key"] or (first_line[:60] + ("…" if len(first_line) > 60 else ""))


def export(questions: list[dict]) -> str:
    """Write questions as Moodle XML in Markdown, with categories for the DVA-C01 domains."""
    quiz = ET.Element("quiz")
    category = None
    for q in map(normalise_question, questions):
        wanted = category_for(q)
        if wanted != category and (category is not None or q["domains"].get("DVA-C01")):
            element = ET.SubElement(quiz, "question", {"type": "category"})
            _text_element(element, "category", wanted, fmt=None)
            category = wanted
        element = ET.SubElement(quiz, "question", {"type": "multichoice"})
        _text_element(element, "name", _name(q), fmt=None)
        _text_element(element, "questiontext", q["stem"])
        _text_element(element, "generalfeedback", q["explanation"])
        ET.SubElement(element, "defaultgrade").text = "1"
        ET.SubElement(element, "penalty").text = "0"
        ET.SubElement(element, "hidden").text = "0"
        ET.SubElement(element, "idnumber").text = q["key"] or ""
        single = q["kind"] != "multiple_response"
        ET.SubElement(element, "single").text = "true" if single else "false"
        ET.SubElement(element, "shuffleanswers").text = "true"
        ET.SubElement(element, "answernumbering").text = "abc"
        for option, weight in zip(q["options"], correct_weights(q["options"]), strict=True):
            answer = ET.SubElement(
                element, "answer", {"fraction": format_weight(weight), "format": "markdown"}
            )
            ET.SubElement(answer, "text").text = option["text"]
            _text_element(answer, "feedback", option["rationale"])
        if q["tags"]:
            tags = ET.SubElement(element, "tags")
            for tag in q["tags"]:
                _text_element(tags, "tag", tag, fmt=None)
    ET.indent(quiz, space="  ")
    body = ET.tostring(quiz, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
