"""What every format shares: the parse result, normalised questions and the final checks."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..content_rules import (
    DEFAULT_GUIDE,
    DOMAINS,
    SELECT_WORDS,
    canonical_domain,
    expected_select_count,
    normalise_text,
    parse_problems,
    rule_problems,
    select_phrase,
)

FIELDS = (
    "key",
    "kind",
    "stem",
    "options",
    "explanation",
    "references",
    "domains",
    "tags",
    "difficulty",
    "task_statements",
    "enemies",
    "reviewed_on",
    "reviews",
    "is_pretest",
)
# What a format can hold, in the names used by Format.holds.
ALL_PARTS = frozenset(
    {
        "key",
        "stem",
        "options.text",
        "options.correct",
        "options.rationale",
        "explanation",
        "references",
        "domains.DVA-C01",
        "domains.DVA-C02",
        "tags",
        "difficulty",
        "task_statements",
        "enemies",
        "reviewed_on",
        "reviews",
        "is_pretest",
    }
)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$", re.IGNORECASE)


@dataclass(frozen=True)
class ImportIssue:
    """One problem found in a file: which question (1-based) and which line, when known."""

    number: int | None
    line: int | None
    message: str

    def __str__(self) -> str:
        if self.number is not None and self.line is not None:
            return f"Question {self.number} (line {self.line}): {self.message}"
        if self.number is not None:
            return f"Question {self.number}: {self.message}"
        if self.line is not None:
            return f"Line {self.line}: {self.message}"
        return self.message


@dataclass
class ParsedQuestion:
    """A question with no parse error, in the bank schema (see normalise_question), and the
    content rules it breaks as read (`rules`; the import keeps it as a draft that needs
    review; a default domain chosen for the import may still settle "the domain is missing")."""

    number: int
    line: int | None
    data: dict
    rules: list[str] = field(default_factory=list)


@dataclass
class ParseResult:
    """What a file holds: valid questions, questions with errors, skipped types and notes."""

    questions: list[ParsedQuestion] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)
    skipped: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)

    @property
    def data(self) -> list[dict]:
        """Return the valid questions' dicts, in file order."""
        return [q.data for q in self.questions]

    @property
    def needing_review(self) -> list[ParsedQuestion]:
        """Return the questions that break a content rule (they import as drafts)."""
        return [q for q in self.questions if q.rules]


@dataclass(frozen=True)
class Format:
    """A file format: how to name, detect, read and write it."""

    name: str
    label: str
    extension: str  # without the dot, used for downloads
    extensions: tuple[str, ...]  # every extension that suggests this format
    content_type: str
    parse: Callable[[str], ParseResult]
    export: Callable[[list[dict]], str]
    holds: frozenset[str]  # parts of a question that survive an export and re-import
    multiple_response: bool = True


def _clean(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def derive_kind(options: list[dict]) -> str:
    """Return multiple_response when more than one option is correct, else multiple_choice."""
    correct = sum(1 for o in options if isinstance(o, dict) and o.get("correct") is True)
    return "multiple_response" if correct > 1 else "multiple_choice"


def normalise_question(q: dict) -> dict:
    """Return the question with every field of the bank schema, in schema order.

    Text is stripped, missing fields get their empty value (key and difficulty None; the review
    fields task_statements, enemies, reviewed_on and reviews are left out when empty), domain
    names are spelt as in the exam guide and empty domains are dropped. Values of the wrong
    type are kept as they are so that question_problems can name them.
    """
    options = q.get("options")
    if options is None:
        options = []
    if isinstance(options, list):
        options = [
            {
                "text": _clean(o.get("text", "")),
                "correct": o.get("correct", False),
                "rationale": _clean(o.get("rationale") or ""),
            }
            if isinstance(o, dict)
            else o
            for o in options
        ]
    domains = q.get("domains") or {}
    if isinstance(domains, dict):
        order = [c for c in DOMAINS if c in domains] + [c for c in domains if c not in DOMAINS]
        domains = {
            code: canonical_domain(code, domains[code]) or _clean(domains[code])
            for code in order
            if domains[code] not in (None, "")
        }
    references = q.get("references") or []
    if isinstance(references, list):
        references = [_clean(r) for r in references if not (isinstance(r, str) and not r.strip())]
    tags = q.get("tags") or []
    if isinstance(tags, list):
        tags = [_clean(t) for t in tags]
    kind = q.get("kind") or (derive_kind(options) if isinstance(options, list) else None)
    task_statements = q.get("task_statements") or {}
    if isinstance(task_statements, dict):
        task_statements = {
            code: _clean(task_statements[code])
            for code in [c for c in DOMAINS if c in task_statements]
            + [c for c in task_statements if c not in DOMAINS]
            if task_statements[code] not in (None, "")
        }
    enemies = q.get("enemies") or []
    if isinstance(enemies, list):
        enemies = list(
            dict.fromkeys(_clean(e) for e in enemies if not (isinstance(e, str) and not e.strip()))
        )
    reviews = q.get("reviews") or []
    if isinstance(reviews, list):
        reviews = [
            {
                "reviewer": _clean(r.get("reviewer") or ""),
                "verdict": _clean(r.get("verdict")),
                "notes": _clean(r.get("notes") or ""),
                "date": _clean(r.get("date")),
            }
            if isinstance(r, dict)
            else r
            for r in reviews
        ]
    normalised = {
        "key": _clean(q.get("key")) or None,
        "kind": kind,
        "stem": _clean(q.get("stem") or ""),
        "options": options,
        "explanation": _clean(q.get("explanation") or ""),
        "references": references,
        "domains": domains,
        "tags": tags,
        "difficulty": _clean(q.get("difficulty")) or None,
    }
    # The review fields are added only when given, so older files read back as they were.
    extra = {
        "task_statements": task_statements,
        "enemies": enemies,
        "reviewed_on": _clean(q.get("reviewed_on")) or None,
        "reviews": reviews,
    }
    normalised.update((k, v) for k, v in extra.items() if v not in (None, "", [], {}))
    # Pretest: kept when the file says so either way (true or false), else left out.
    if q.get("is_pretest") is not None:
        normalised["is_pretest"] = q["is_pretest"]
    return normalised


def held_by(holds: frozenset[str], q: dict) -> dict:
    """Return the normalised question reduced to the parts a format `holds`."""
    q = normalise_question(q)
    return {
        "key": q["key"] if "key" in holds else None,
        "kind": q["kind"],
        "stem": q["stem"],
        "options": [
            {
                "text": o["text"],
                "correct": o["correct"],
                "rationale": o["rationale"] if "options.rationale" in holds else "",
            }
            for o in q["options"]
        ],
        "explanation": q["explanation"] if "explanation" in holds else "",
        "references": q["references"] if "references" in holds else [],
        "domains": {c: n for c, n in q["domains"].items() if f"domains.{c}" in holds},
        "tags": q["tags"] if "tags" in holds else [],
        "difficulty": q["difficulty"] if "difficulty" in holds else None,
        **{
            k: q[k]
            for k in ("task_statements", "enemies", "reviewed_on", "reviews", "is_pretest")
            if k in q and k in holds
        },
    }


def key_from_title(title: str) -> str | None:
    """Return a question title as the key when it already is a slug, else None.

    Free-text titles such as Moodle's default (the first words of the question) are not
    turned into keys: keys identify questions across imports, and made-up keys would collide.
    """
    title = (title or "").strip()
    return title if _SLUG.match(title) and len(title) <= 100 else None


def domains_from_category(path: str) -> dict[str, str]:
    """Return the domain named by a Moodle category path, e.g. $course$/DVA-C01/Security.

    The last part of the path is matched against the DVA-C02 domains when a part of the path is
    DVA-C02, otherwise against the DVA-C01 domains.
    """
    parts = [p.strip() for p in (path or "").split("/") if p.strip()]
    if not parts:
        return {}
    code = "DVA-C02" if any(p.upper() == "DVA-C02" for p in parts[:-1]) else DEFAULT_GUIDE
    name = canonical_domain(code, parts[-1])
    return {code: name} if name else {}


def category_for(q: dict) -> str:
    """Return the Moodle category path for a question's DVA-C01 domain."""
    name = (q.get("domains") or {}).get(DEFAULT_GUIDE)
    # A category without a domain as its last part clears the domain for what follows.
    return f"$course$/{DEFAULT_GUIDE}/{name}" if name else f"$course$/{DEFAULT_GUIDE}"


def correct_weights(options: list[dict]) -> list[float]:
    """Return Moodle answer fractions in percent: correct ones share 100, wrong ones -100."""
    correct = sum(1 for o in options if o["correct"])
    share = round(100 / correct, 5) if correct else 0
    return [share if o["correct"] else (-100.0 if correct > 1 else 0.0) for o in options]


def format_weight(weight: float) -> str:
    """Return a weight as Moodle writes it: 50, 33.33333, -100."""
    return f"{weight:.5f}".rstrip("0").rstrip(".")


def weight_to_correct(weight: float, *, single: bool, full: float) -> tuple[bool, str | None]:
    """Turn an answer's credit weight (percent) into (correct, warning or None).

    The bank has no partial credit. In a multiple-answer question any positive weight marks a
    keyed option. In a single-answer question only a weight of at least `full` does (GIFT writes
    100; Moodle XML may write 99.99 for a rounded full mark), and a partial weight is imported as
    incorrect with a warning to say so.
    """
    if not single:
        return weight > 0, None
    if 0 < weight < full:
        return False, (
            f"gives partial credit ({format_weight(weight)}%) in a single-answer question; "
            "imported as incorrect"
        )
    return weight >= full, None


def append_select_phrase(stem: str, n: int) -> str:
    """Return the stem with "(Select N.)" after its last sentence (or below a code block)."""
    stem = stem.rstrip()
    last_line = stem.splitlines()[-1] if stem else ""
    joiner = "\n\n" if last_line.lstrip().startswith(("```", "~~~", "    ", "\t")) else " "
    return f"{stem}{joiner}{select_phrase(n)}" if stem else select_phrase(n)


# Both Moodle formats' true/false questions become drafts: two options break the four-option rule.
TRUE_FALSE_NOTE = (
    "a true/false question: imported as a two-option multiple-choice question "
    "(True, False), which needs review before it can be published"
)


class Collector:
    """Build a ParseResult, putting each question through the same final checks."""

    def __init__(self) -> None:
        self.result = ParseResult()
        self._keys: dict[str, int] = {}
        self._stems: dict[str, int] = {}

    def error(self, number: int | None, line: int | None, message: str) -> None:
        self.result.errors.append(ImportIssue(number, line, message))

    def skip(self, number: int | None, line: int | None, message: str) -> None:
        self.result.skipped.append(ImportIssue(number, line, message))

    def warn(self, number: int | None, line: int | None, message: str) -> None:
        self.result.warnings.append(ImportIssue(number, line, message))

    def add(self, number: int, line: int | None, data: dict) -> bool:
        """Normalise and check a question; keep it unless it has a parse error, which is
        recorded as one error for it. Rule problems are kept with it (`ParsedQuestion.rules`)."""
        data = normalise_question(data)
        options = data["options"] if isinstance(data["options"], list) else []
        correct = sum(1 for o in options if isinstance(o, dict) and o.get("correct") is True)
        stem = data["stem"] if isinstance(data["stem"], str) else ""
        if (
            data["kind"] == "multiple_response"
            and stem
            and expected_select_count(stem) is None
            and "(select" not in stem.lower()
            and correct in SELECT_WORDS
        ):
            data["stem"] = append_select_phrase(stem, correct)
            added = select_phrase(correct)
        else:
            added = None
        problems = parse_problems(data)
        if problems:
            self.error(number, line, "; ".join(problems))
            return False
        self.result.questions.append(ParsedQuestion(number, line, data, rule_problems(data)))
        if added:
            self.warn(number, line, f"the stem did not say how many to select; added {added}")
        # The bank decides what to do with repeats; saying so here explains its report.
        if data["key"]:
            first = self._keys.setdefault(data["key"], number)
            if first != number:
                self.warn(number, line, f"the key {data['key']} is also used by question {first}")
        first = self._stems.setdefault(normalise_text(data["stem"]), number)
        if first != number:
            self.warn(number, line, f"the same stem as question {first}")
        return True
