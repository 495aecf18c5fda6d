"""Field mapping for foreign JSON and CSV question files (pure: no database).

Third-party question sets come as a JSON list of objects (or an object wrapping such a list,
e.g. {"questions": [...]}) or as a CSV file with their own column names, such as the common
AWS question shape {"question", "options": [...], "correct": [...], "explanation", "domain"}.
This module tells such a file from the native formats (`foreign_shape`), reads its records
(`read_source`), proposes which of its fields feeds which part of the bank schema by name
(`propose`), and turns every record into a bank-schema question through the same final checks
as every format (`apply`, which returns a ParseResult).

A mapping (`Mapping`) names, for each target, the file's field(s):

    stem         the question text (required)
    options      one field holding a list (strings, or objects with text/correct/rationale),
                 or an object {"A": ..., "B": ...}; or several fields, one per option, in order
                 (CSV columns "Option A" … "Option E") (required)
    correct      the keyed options: a list or a single value of indices (zero- or one-based,
                 see `one_based`), letters ("A", "A,C") or option texts; may be left out when
                 the options are objects saying which are correct
    explanation, domain, rationales (one list field or one field per option), references,
    tags, key, difficulty

Nothing is invented: stems are never edited here (the usual checks may note what is missing),
a domain that matches no domain of the chosen guide is left empty with a note, and numeric
ids become keys prefixed with the source name so that two sources' "question 12" never
collide.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from core.csv_cells import csv_restore_cell

from ..content_rules import DEFAULT_GUIDE, DOMAINS, normalise_text
from .base import Collector, ParseResult
from .json_format import FORMAT_NAME, MAX_DEPTH, too_deep

MAPPING_FORMAT = "dva-import-mapping"
MAPPING_VERSION = 1
SHAPES = ("json", "csv")
TARGETS = (
    "stem",
    "options",
    "correct",
    "explanation",
    "domain",
    "rationales",
    "references",
    "tags",
    "key",
    "difficulty",
)
# Targets fed by one field per option when the file has a column per option.
MULTI_TARGETS = frozenset({"options", "rationales"})
REQUIRED_TARGETS = ("stem", "options")
MAX_FIELDS = 200
PREVIEW_ROWS = 5
_MAPPING_KEYS = frozenset(
    {"format", "version", "shape", "fields", "indices", "guide", "default_domain"}
)
_DIFFICULTIES = ("easy", "medium", "hard")

# Field names (normalised: lower case, words joined by "_") per target, best first.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "stem": (
        "stem",
        "question",
        "question_text",
        "questiontext",
        "question_stem",
        "prompt",
        "text",
        "body",
        "q",
    ),
    "options": (
        "options",
        "choices",
        "answers",
        "answer_options",
        "alternatives",
        "option_list",
        "choice_list",
    ),
    "correct": (
        "correct",
        "correct_answer",
        "correct_answers",
        "correct_options",
        "correct_option",
        "correct_indices",
        "correct_index",
        "correct_choice",
        "correct_choices",
        "answer",
        "answers",
        "answer_key",
        "right_answer",
        "right_answers",
        "solution",
    ),
    "explanation": (
        "explanation",
        "rationale",
        "answer_explanation",
        "explanation_text",
        "general_feedback",
        "feedback",
        "justification",
        "reason",
        "explanations",
    ),
    "domain": ("domain", "domain_name", "exam_domain", "category", "topic", "section", "subject"),
    "rationales": (
        "rationales",
        "option_explanations",
        "option_rationales",
        "option_feedback",
        "explanations",
        "feedbacks",
        "distractor_explanations",
    ),
    "references": (
        "references",
        "reference",
        "links",
        "link",
        "urls",
        "url",
        "sources",
        "docs",
        "documentation",
        "resources",
        "further_reading",
    ),
    "tags": ("tags", "tag", "labels", "keywords", "services", "aws_services"),
    "key": ("key", "id", "question_id", "qid", "uid", "uuid", "slug", "identifier"),
    "difficulty": ("difficulty", "level", "difficulty_level"),
}
_OPTION_COLUMN = re.compile(
    r"^(?:option|choice|answer|opt|alternative|ans)?_?(?P<n>[a-h]|[1-9])$|"
    r"^(?:option|choice|answer|opt|alternative)_?(?P<d>[1-9])$"
)
_RATIONALE_COLUMN = re.compile(
    r"^(?:explanation|rationale|feedback|reason)_?(?:for_)?(?:option_|choice_)?(?P<n>[a-h]|[1-9])$"
)
_OPTION_TEXT_KEYS = ("text", "option", "answer", "value", "label", "body", "content", "choice")
_OPTION_CORRECT_KEYS = ("correct", "is_correct", "iscorrect", "right", "is_answer", "answer")
_OPTION_RATIONALE_KEYS = ("rationale", "explanation", "feedback", "reason", "why")
_LETTER = re.compile(r"^\(?(?:option\s*)?([A-Za-z])\s*[).:]?$", re.IGNORECASE)
_INDEX = re.compile(r"^[0-9]{1,3}$")
_DOMAIN_NUMBER = re.compile(r"^(?:domain\s*)?([0-9]{1,2})(?:\s*[:.)–—-]\s*(.*))?$", re.IGNORECASE)
_SLUG_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*$", re.IGNORECASE)


class MappingError(ValueError):
    """A file or a mapping that cannot be used, with a message for the person who sent it."""


def field_name(name: str) -> str:
    """Return a field name as compared with the synonyms: "Correct Answer" -> correct_answer."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name).strip())
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


# --- The file's records ------------------------------------------------------------------------


@dataclass
class Source:
    """What a foreign file holds: its records as field -> value, and its field names."""

    shape: str
    fields: list[str]
    records: list[dict[str, Any]]
    lines: list[int | None]
    container: str | None = None  # the key of the records' list in a JSON object

    @property
    def field_set(self) -> list[str]:
        return sorted(self.fields)


def _records_in(document: Any) -> tuple[list | None, str | None]:
    """Return (the list of records, the key that holds it) in a parsed JSON document."""
    if isinstance(document, list):
        return document, None
    if not isinstance(document, dict):
        return None, None
    lists = [k for k, v in document.items() if isinstance(v, list) and v and isinstance(v[0], dict)]
    for preferred in ("questions", "items", "data", "results", "quiz", "records"):
        if preferred in lists:
            return document[preferred], preferred
    return (document[lists[0]], lists[0]) if lists else (None, None)


def _is_native_record(record: dict) -> bool:
    options = record.get("options")
    return (
        "stem" in record
        and isinstance(options, list)
        and all(isinstance(o, dict) and "text" in o for o in options)
    )


def _json_document(text: str) -> Any:
    if too_deep(text):
        raise MappingError(
            f"the file nests lists and objects more than {MAX_DEPTH} deep, so it is not a "
            "question set"
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MappingError(
            f"the file is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise MappingError(f"the file is not valid JSON: {str(exc)[:120]}") from exc


def _json_lines(text: str, count: int) -> list[int | None]:
    """The line on which each record starts, when the records are a top-level list."""
    stripped = text.lstrip()
    if not stripped.startswith("["):
        return [None] * count
    decoder = json.JSONDecoder()
    lines: list[int | None] = []
    index = text.index("[") + 1
    try:
        while len(lines) < count:
            index = len(text) - len(text[index:].lstrip(" \t\r\n,"))
            lines.append(text.count("\n", 0, index) + 1)
            _value, index = decoder.raw_decode(text, index)
    except ValueError:
        pass
    return lines + [None] * (count - len(lines))


def _read_json(text: str) -> Source:
    document = _json_document(text)
    records, container = _records_in(document)
    if records is None:
        raise MappingError(
            "the file holds no list of questions: give a JSON list of objects, or an object "
            'with such a list (e.g. {"questions": [...]})'
        )
    if not records:
        raise MappingError("the list of questions is empty")
    fields: dict[str, None] = {}
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            kind = "a list" if isinstance(record, list) else type(record).__name__
            raise MappingError(f"question {number} is {kind}, not an object with fields")
        fields.update(dict.fromkeys(str(k) for k in record))
        if len(fields) > MAX_FIELDS:
            raise MappingError(f"the questions use more than {MAX_FIELDS} different fields")
    lines = _json_lines(text, len(records)) if container is None else [None] * len(records)
    return Source("json", list(fields), records, lines, container)


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(text: str) -> Source:
    delimiter = _delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    records: list[dict[str, Any]] = []
    lines: list[int | None] = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise MappingError(f"line {start}: the CSV is malformed: {exc}") from exc
        if not any(c.strip() for c in cells):
            continue
        cells = [csv_restore_cell(c) for c in cells]
        if header is None:
            if len(cells) > MAX_FIELDS:
                raise MappingError(f"the header has {len(cells)} columns; the most is {MAX_FIELDS}")
            header = [c.strip() for c in cells]
            repeated = sorted({c for c in header if c and header.count(c) > 1})
            if repeated:
                raise MappingError("repeated column(s): " + ", ".join(repeated))
            if len([c for c in header if c]) < 2:
                raise MappingError("the first row must name the columns (at least two)")
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            raise MappingError(
                f"line {start}: the row has {len(cells)} cells but the header names "
                f"{len(header)} columns (is a comma in a cell missing its quotes?)"
            )
        records.append({name: value for name, value in zip(header, cells, strict=False) if name})
        lines.append(start)
    if header is None:
        raise MappingError("the file is empty: it needs a header row and questions")
    if not records:
        raise MappingError("the file has a header but no questions")
    return Source("csv", [c for c in header if c], records, lines)


def read_source(text: str, shape: str) -> Source:
    """Read a foreign file's records; MappingError says why it cannot be read."""
    text = (text or "").lstrip("\ufeff")
    if shape == "json":
        return _read_json(text)
    if shape == "csv":
        return _read_csv(text)
    raise MappingError(f"a mapping reads JSON or CSV files, not {shape!r}")


def foreign_shape(name: str, text: str, fmt: str | None = None) -> str | None:
    """Return "json" or "csv" when the file is a question list in a foreign shape, else None.

    A native file (the bank's JSON or CSV layout), a file in another format and a file that
    cannot be read at all are left to the normal import, which reports on them as before.
    """
    from . import detect_format

    if fmt not in (None, "", "json", "csv"):
        return None
    shape = fmt or detect_format(name, text)
    body = (text or "").lstrip("\ufeff").lstrip()
    if shape is None and body.startswith(("[", "{")):
        shape = "json"
    if shape == "json":
        try:
            document = _json_document(body)
        except MappingError:
            return None
        if isinstance(document, dict) and document.get("format") == FORMAT_NAME:
            return None
        records, _container = _records_in(document)
        if not records or not all(isinstance(r, dict) for r in records):
            return None
        return None if any(_is_native_record(r) for r in records) else "json"
    if shape == "csv" or (shape is None and "," in body.split("\n", 1)[0]):
        first = body.split("\n", 1)[0]
        columns = {field_name(c) for c in re.split(r"[,;\t]", first)}
        if {"stem", "correct"} <= columns:
            return None
        if shape is None and not columns & set(SYNONYMS["stem"]):
            return None
        return "csv" if len(columns) >= 2 else None
    return None


# --- The mapping -------------------------------------------------------------------------------


@dataclass
class Mapping:
    """Which of the file's fields feeds each target, the index base and the guide."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    one_based: bool | None = None
    guide: str = DEFAULT_GUIDE
    # The guide's domain for questions whose domain is missing or matches none ("": none).
    default_domain: str = ""

    def to_json(self, *, shape: str | None = None) -> dict:
        """The mapping as its JSON file holds it (see docs/integrations.md)."""
        data: dict[str, Any] = {"format": MAPPING_FORMAT, "version": MAPPING_VERSION}
        if shape:
            data["shape"] = shape
        data["fields"] = {
            t: (v if t in MULTI_TARGETS and len(v) > 1 else v[0])
            for t in TARGETS
            if (v := self.fields.get(t))
        }
        if self.one_based is not None:
            data["indices"] = "one" if self.one_based else "zero"
        data["guide"] = self.guide
        if self.default_domain:
            data["default_domain"] = self.default_domain
        return data

    @classmethod
    def from_json(cls, data: Any) -> Mapping:
        """Read a mapping file's content; MappingError lists everything wrong with it."""
        if not isinstance(data, dict):
            raise MappingError('the mapping must be a JSON object with "fields"')
        problems = []
        unknown = sorted(set(map(str, data)) - _MAPPING_KEYS)
        if unknown:
            problems.append(
                f"unknown key(s) {', '.join(unknown)}; a mapping has "
                + ", ".join(sorted(_MAPPING_KEYS))
            )
        if data.get("format", MAPPING_FORMAT) != MAPPING_FORMAT:
            problems.append(f'"format" must be "{MAPPING_FORMAT}"')
        if data.get("version", MAPPING_VERSION) != MAPPING_VERSION:
            problems.append(f"version {data.get('version')!r} is not supported (use 1)")
        if data.get("shape") not in (None, *SHAPES):
            problems.append(f'"shape" must be "json" or "csv", not {data.get("shape")!r}')
        raw = data.get("fields")
        fields: dict[str, list[str]] = {}
        if not isinstance(raw, dict):
            problems.append('"fields" must be an object such as {"stem": "question", ...}')
            raw = {}
        for target, value in raw.items():
            if target not in TARGETS:
                problems.append(f"unknown target {target!r}; targets are {', '.join(TARGETS)}")
                continue
            names = [value] if isinstance(value, str) else value
            if (
                not isinstance(names, list)
                or not names
                or not all(isinstance(n, str) and n.strip() for n in names)
            ):
                problems.append(f"{target} must name a field of the file (text)")
                continue
            if len(names) > 1 and target not in MULTI_TARGETS:
                problems.append(f"{target} must name one field, not a list")
                continue
            fields[target] = names
        for target in REQUIRED_TARGETS:
            if raw and target not in fields and not any(target in p for p in problems):
                problems.append(f"the mapping must say which field holds the {target}")
        indices = data.get("indices")
        if indices not in (None, "zero", "one"):
            problems.append(f'"indices" must be "zero" or "one", not {indices!r}')
        guide = data.get("guide", DEFAULT_GUIDE)
        if guide not in DOMAINS:
            problems.append(f'"guide" must be one of {", ".join(DOMAINS)}, not {guide!r}')
        default = data.get("default_domain") or ""
        if default and guide in DOMAINS and match_domain(guide, default) is None:
            problems.append(
                f'"default_domain" must be a {guide} domain ({", ".join(DOMAINS[guide])}), '
                f"not {str(default)[:80]!r}"
            )
        if problems:
            raise MappingError("; ".join(problems))
        one_based = None if indices is None else indices == "one"
        return cls(
            fields=fields,
            one_based=one_based,
            guide=guide,
            default_domain=match_domain(guide, default) or "" if default else "",
        )


def _values(source: Source, name: str) -> list[Any]:
    return [r.get(name) for r in source.records if r.get(name) not in (None, "", [], {})]


def _is_option_list(value: Any) -> bool:
    return (isinstance(value, list) and len(value) >= 2) or (
        isinstance(value, dict) and len(value) >= 2 and not {"text", "stem"} & set(value)
    )


def _columns_by_position(source: Source, pattern: re.Pattern) -> list[str]:
    found = []
    for name in source.fields:
        match = pattern.match(field_name(name))
        if match:
            token = match.group("n") or match.groupdict().get("d")
            found.append((token.isdigit(), token, name))
    # All letters or all digits, in order; mixing both is not one set of option columns.
    letters = sorted((t, n) for is_digit, t, n in found if not is_digit)
    digits = sorted((int(t), n) for is_digit, t, n in found if is_digit)
    best = letters if len(letters) >= len(digits) else digits
    return [n for _t, n in best] if len(best) >= 2 else []


def propose(source: Source) -> Mapping:
    """Propose a mapping by field names (and, for options, by what the values look like)."""
    by_name: dict[str, str] = {}
    for name in source.fields:
        by_name.setdefault(field_name(name), name)
    used: set[str] = set()
    fields: dict[str, list[str]] = {}

    def take(target: str, accept=lambda name: True) -> None:
        for synonym in SYNONYMS[target]:
            name = by_name.get(synonym)
            if name and name not in used and accept(name):
                fields[target] = [name]
                used.add(name)
                return

    def lists(name: str) -> bool:
        values = _values(source, name)
        return bool(values) and sum(map(_is_option_list, values)) * 2 > len(values)

    def texts(name: str) -> bool:
        return all(isinstance(v, str | int | float) for v in _values(source, name))

    take("options", lists)
    if "options" not in fields:
        columns = _columns_by_position(source, _OPTION_COLUMN)
        if columns:
            fields["options"] = columns
            used.update(columns)
    take("correct")
    take("stem", texts)
    take("explanation", texts)
    take("domain", texts)
    take("rationales", lists)
    if "rationales" not in fields:
        columns = _columns_by_position(source, _RATIONALE_COLUMN)
        if columns:
            fields["rationales"] = [c for c in columns if c not in used]
            used.update(columns)
    for target in ("references", "tags", "key", "difficulty"):
        take(target)
    mapping = Mapping(fields=fields, guide=guess_guide(source, fields.get("domain")))
    mapping.one_based = guess_one_based(source, mapping)
    return mapping


# --- Values --------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n\n".join(v.strip() for v in value if v.strip())
    raise MappingError(f"expected text, found {_type_name(value)}")


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", bool: "true/false"}.get(
        type(value), type(value).__name__
    )


def _option_from_object(value: dict) -> dict:
    lowered = {field_name(k): v for k, v in value.items()}
    text = next((lowered[k] for k in _OPTION_TEXT_KEYS if isinstance(lowered.get(k), str)), None)
    if text is None:
        raise MappingError(
            "an option object needs its text in one of: " + ", ".join(_OPTION_TEXT_KEYS)
        )
    correct = next(
        (lowered[k] for k in _OPTION_CORRECT_KEYS if isinstance(lowered.get(k), bool)), None
    )
    rationale = next(
        (lowered[k] for k in _OPTION_RATIONALE_KEYS if isinstance(lowered.get(k), str)), ""
    )
    return {"text": text.strip(), "correct": correct, "rationale": rationale.strip()}


def _options(record: dict, names: list[str]) -> tuple[list[dict], list[str]]:
    """Return the options (text, correct or None, rationale) and their labels (A, B… or keys)."""
    if len(names) == 1:
        value = record.get(names[0])
        if value in (None, "", [], {}):
            raise MappingError(f'"{names[0]}" is empty: no options')
        if isinstance(value, dict):
            labels = [str(k) for k in value]
            items = list(value.values())
        elif isinstance(value, list):
            labels, items = [], value
        else:
            raise MappingError(f'"{names[0]}" must be a list of options, not {_type_name(value)}')
        options = []
        for position, item in enumerate(items, start=1):
            if isinstance(item, dict):
                options.append(_option_from_object(item))
            elif isinstance(item, str | int | float) and not isinstance(item, bool):
                options.append({"text": str(item).strip(), "correct": None, "rationale": ""})
            else:
                raise MappingError(f"option {position} is {_type_name(item)}, not text")
        return options, labels
    texts = [_text(record.get(n)) for n in names]
    while texts and not texts[-1]:
        texts.pop()
    for position, text in enumerate(texts):
        if not text:
            raise MappingError(f'"{names[position]}" is empty but a later option is filled')
    return [{"text": t, "correct": None, "rationale": ""} for t in texts], []


def _index_tokens(value: Any) -> list[Any]:
    """Split a correct-answer value into tokens: ints, letters or option texts."""
    if isinstance(value, bool):
        raise MappingError("the correct answer must be indices, letters or option texts")
    if isinstance(value, int):
        return [value]
    if isinstance(value, float):
        if value.is_integer():
            return [int(value)]
        raise MappingError(f"the correct answer {value!r} is not a whole number")
    if isinstance(value, list):
        tokens = []
        for item in value:
            tokens.extend(_index_tokens(item) if not isinstance(item, str) else [item.strip()])
        return tokens
    if isinstance(value, str):
        return [value.strip()]
    raise MappingError(f"the correct answer is {_type_name(value)}, not indices or letters")


def _integer(token: Any) -> int | None:
    if isinstance(token, int):
        return token
    if isinstance(token, str) and _INDEX.match(token):
        return int(token)
    return None


def _split_answer(token: str, texts: list[str]) -> list[str]:
    """Split "A,C" or "1;3" into parts; a whole option text stays whole."""
    if normalise_text(token) in texts:
        return [token]
    parts = [p.strip() for p in re.split(r"[,;|/]|\s+and\s+|\s+", token) if p.strip()]
    if all(_LETTER.match(p) or _INDEX.match(p) for p in parts):
        return parts
    for separators in (r"[;|]", r"[;|,]"):
        parts = [p.strip() for p in re.split(separators, token) if p.strip()]
        if len(parts) > 1 and all(normalise_text(p) in texts for p in parts):
            return parts
    return [p.strip() for p in re.split(r"[;|]", token) if p.strip()] or [token]


def index_values(source: Source, mapping: Mapping) -> list[tuple[int, int]]:
    """Return (index, option count) for every numeric correct answer in the file."""
    target = mapping.fields.get("correct")
    options = mapping.fields.get("options")
    if not target or not options:
        return []
    found = []
    for record in source.records:
        try:
            opts, _labels = _options(record, options)
            texts = [normalise_text(o["text"]) for o in opts]
            tokens = _index_tokens(record.get(target[0]))
        except MappingError:
            continue
        for token in tokens:
            parts = _split_answer(token, texts) if isinstance(token, str) else [token]
            for part in parts:
                number = _integer(part)
                if number is not None and not (
                    isinstance(part, str) and normalise_text(part) in texts
                ):
                    found.append((number, len(opts)))
    return found


def guess_one_based(source: Source, mapping: Mapping) -> bool | None:
    """Guess the index base from the data: a 0 means zero-based, an index equal to the
    number of options means one-based; otherwise (or when both occur) None: ask."""
    values = index_values(source, mapping)
    zero = any(i == 0 for i, _n in values)
    one = any(i == n for i, n in values)
    if zero != one:
        return one
    return None


def needs_index_base(source: Source, mapping: Mapping) -> bool:
    """Tell whether the correct answers hold numbers, so the index base must be known."""
    return bool(index_values(source, mapping))


def _domain_key(text: str) -> str:
    text = re.sub(r"\([^)]*\)", " ", text.replace("&", " and "))
    return normalise_text(re.sub(r"[^\w\s]", " ", text))


def match_domain(guide: str, value: Any) -> str | None:
    """Return the guide's domain that `value` names ("Security", "domain 2: Security", 2)."""
    names = DOMAINS.get(guide, ())
    if isinstance(value, int) and not isinstance(value, bool):
        return names[value - 1] if 1 <= value <= len(names) else None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    by_key = {_domain_key(n): n for n in names}
    if _domain_key(text) in by_key:
        return by_key[_domain_key(text)]
    numbered = _DOMAIN_NUMBER.match(text)
    if numbered:
        rest = numbered.group(2)
        if rest and _domain_key(rest) in by_key:
            return by_key[_domain_key(rest)]
        if not rest:
            number = int(numbered.group(1))
            return names[number - 1] if 1 <= number <= len(names) else None
    return None


def guess_guide(source: Source, domain_field: list[str] | None) -> str:
    """The guide whose domain names the file's domain values match best (default on a tie)."""
    if not domain_field:
        return DEFAULT_GUIDE
    scores = dict.fromkeys(DOMAINS, 0)
    for value in _values(source, domain_field[0]):
        numbered = _DOMAIN_NUMBER.match(value.strip()) if isinstance(value, str) else None
        if isinstance(value, str) and (not numbered or numbered.group(2)):
            # Numbers alone name different domains in each guide: only names count.
            name = numbered.group(2) if numbered else value
            for code in DOMAINS:
                scores[code] += match_domain(code, name) is not None
    best = max(scores.values())
    leaders = [code for code, score in scores.items() if score == best]
    return DEFAULT_GUIDE if DEFAULT_GUIDE in leaders else leaders[0]


def _list(value: Any, separators: str) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, list):
        out = []
        for item in value:
            if isinstance(item, dict):
                item = item.get("url") or item.get("href") or item.get("link") or ""
            if not isinstance(item, str | int | float):
                raise MappingError(f"expected a list of texts, found {_type_name(item)} in it")
            if str(item).strip():
                out.append(str(item).strip())
        return out
    if isinstance(value, str):
        return [p.strip() for p in re.split(separators, value) if p.strip()]
    raise MappingError(f"expected text or a list, found {_type_name(value)}")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def make_key(value: Any, source_name: str) -> str | None:
    """A key from the file's id: kept when it is a slug with a letter, else prefixed with the
    source name (numeric ids of two sources must not collide)."""
    text = _text(value)
    if not text:
        return None
    if _SLUG_KEY.match(text) and re.search(r"[a-z]", text, re.IGNORECASE) and len(text) <= 100:
        return text
    key = slug(f"{source_name or 'imported'}-{text}")[:100].strip("-")
    return key or None


# --- One record --------------------------------------------------------------------------------


@dataclass
class Converted:
    """One record as it would import: the bank-schema dict (None on error), what went wrong and
    the notes, and the option labels of the file for the preview."""

    number: int
    line: int | None
    data: dict | None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _correct_positions(
    value: Any, options: list[dict], labels: list[str], one_based: bool | None
) -> list[int]:
    texts = [normalise_text(o["text"]) for o in options]
    label_keys = [normalise_text(label) for label in labels]
    positions = []
    for token in _index_tokens(value):
        parts = _split_answer(token, texts) if isinstance(token, str) else [token]
        for part in parts:
            number = _integer(part)
            if isinstance(part, str) and normalise_text(part) in label_keys:
                positions.append(label_keys.index(normalise_text(part)))
            elif isinstance(part, str) and normalise_text(part) in texts:
                positions.append(texts.index(normalise_text(part)))
            elif number is not None:
                if one_based is None:
                    raise MappingError(
                        "the correct answers are numbers: say whether they count from 0 or 1"
                    )
                position = number - 1 if one_based else number
                if not 0 <= position < len(options):
                    base = "one-based" if one_based else "zero-based"
                    raise MappingError(
                        f"the correct answer {number} is out of range: the question has "
                        f"{len(options)} options (indices are {base})"
                    )
                positions.append(position)
            elif isinstance(part, str) and (letter := _LETTER.match(part)):
                position = ord(letter.group(1).upper()) - ord("A")
                if position >= len(options):
                    raise MappingError(
                        f"the correct answer {part!r} names option {letter.group(1).upper()}, "
                        f"but the question has {len(options)} options"
                    )
                positions.append(position)
            else:
                raise MappingError(
                    f"the correct answer {str(part)[:60]!r} is neither an index, a letter nor "
                    "the text of an option"
                )
    if len(set(positions)) != len(positions):
        raise MappingError("the correct answer names the same option twice")
    return positions


def convert(
    record: dict, mapping: Mapping, *, number: int, line: int | None, source_name: str = ""
) -> Converted:
    """Turn one record into a bank-schema question (not yet checked by the content rules)."""
    out = Converted(number, line, None)
    fields = mapping.fields

    def one(target: str) -> Any:
        names = fields.get(target)
        return record.get(names[0]) if names else None

    def step(label: str, function, *args):
        try:
            return function(*args)
        except MappingError as exc:
            out.errors.append(f"{label}: {exc}" if label else str(exc))
            return None

    stem = step("stem", _text, one("stem"))
    if fields.get("stem") and not stem and stem is not None:
        out.errors.append(f'the stem ("{fields["stem"][0]}") is empty')
    got = step("options", _options, record, fields["options"]) if fields.get("options") else None
    options, labels = got if got else ([], [])
    if fields.get("rationales") and options:
        names = fields["rationales"]
        if len(names) == 1:
            rationales = step("rationales", _list, record.get(names[0]), r"\n")
        else:
            rationales = [step("rationales", _text, record.get(n)) or "" for n in names]
        if rationales is not None:
            if len(rationales) > len(options) and any(rationales[len(options) :]):
                out.errors.append(f"rationales: {len(rationales)} given for {len(options)} options")
            for option, rationale in zip(options, rationales, strict=False):
                option["rationale"] = rationale or option["rationale"]
    given = one("correct")
    if fields.get("correct") and given not in (None, "", []):
        positions = step("correct", _correct_positions, given, options, labels, mapping.one_based)
        for position, option in enumerate(options):
            option["correct"] = positions is not None and position in positions
    elif options and all(o["correct"] is not None for o in options):
        pass  # the option objects say which are correct
    elif options:
        where = f' ("{fields["correct"][0]}")' if fields.get("correct") else ""
        out.errors.append(f"the correct answer{where} is missing")
    for option in options:
        option["correct"] = bool(option["correct"])
    explanation = step("explanation", _text, one("explanation")) or ""
    domains = {}
    domain_value = one("domain")
    if domain_value not in (None, ""):
        name = match_domain(mapping.guide, domain_value)
        if name:
            domains[mapping.guide] = name
        else:
            instead = (
                f"given the default domain {mapping.default_domain}"
                if mapping.default_domain
                else "left empty"
            )
            out.notes.append(
                f"the domain {str(domain_value)[:80]!r} matches no {mapping.guide} domain "
                f"({', '.join(DOMAINS[mapping.guide])}); {instead}"
            )
    if not domains and mapping.default_domain:
        domains[mapping.guide] = mapping.default_domain
    references = step("references", _list, one("references"), r"[\s|,]+") or []
    tags = step("tags", _list, one("tags"), r"[|,;]") or []
    difficulty = None
    raw_difficulty = one("difficulty")
    if raw_difficulty not in (None, ""):
        text = str(raw_difficulty).strip().lower()
        if text in _DIFFICULTIES:
            difficulty = text
        else:
            out.notes.append(f"the difficulty {text[:40]!r} is not easy, medium or hard; left out")
    key = step("key", make_key, one("key"), source_name) if fields.get("key") else None
    if out.errors:
        return out
    out.data = {
        "key": key,
        "kind": None,  # worked out from the number of keyed options
        "stem": stem or "",
        "options": options,
        "explanation": explanation,
        "references": references,
        "domains": domains,
        "tags": tags,
        "difficulty": difficulty,
    }
    return out


# --- The whole file ---------------------------------------------------------------------------


def validate(mapping: Mapping, source: Source) -> dict[str, list[str]]:
    """Return what is wrong with a mapping for this file, per target ("" for the whole)."""
    problems: dict[str, list[str]] = {}
    known = set(source.fields)
    for target in REQUIRED_TARGETS:
        if not mapping.fields.get(target):
            problems.setdefault(target, []).append(f"choose the field that holds the {target}")
    for target, names in mapping.fields.items():
        missing = [n for n in names if n not in known]
        if missing:
            problems.setdefault(target, []).append(
                f"the file has no field {', '.join(repr(n) for n in missing)} "
                f"(it has: {', '.join(source.fields[:30])})"
            )
    seen: dict[str, str] = {}
    for target in TARGETS:
        for name in mapping.fields.get(target, []):
            if name in seen and seen[name] != target:
                problems.setdefault(target, []).append(
                    f"the field {name!r} already feeds the {seen[name]}"
                )
            seen.setdefault(name, target)
    if not problems and mapping.one_based is None and needs_index_base(source, mapping):
        problems.setdefault("indices", []).append(
            "the correct answers are numbers: say whether the first option is 0 or 1"
        )
    return problems


def convert_all(source: Source, mapping: Mapping, *, source_name: str = "") -> list[Converted]:
    return [
        convert(record, mapping, number=n, line=line, source_name=source_name)
        for n, (record, line) in enumerate(zip(source.records, source.lines, strict=True), 1)
    ]


def apply(source: Source, mapping: Mapping, *, source_name: str = "") -> ParseResult:
    """Read every record through the mapping and the usual final checks (a ParseResult)."""
    problems = validate(mapping, source)
    if problems:
        raise MappingError("; ".join(p for ps in problems.values() for p in ps))
    collector = Collector()
    for converted in convert_all(source, mapping, source_name=source_name):
        if converted.data is None:
            collector.error(converted.number, converted.line, "; ".join(converted.errors))
            continue
        for note in converted.notes:
            collector.warn(converted.number, converted.line, note)
        collector.add(converted.number, converted.line, converted.data)
    return collector.result


def parse(text: str, *, shape: str, mapping: Mapping, source_name: str = "") -> ParseResult:
    """Read a foreign file through a mapping; a file or mapping that cannot be used is one
    error of the result (so the import refuses it like any other unreadable file)."""
    try:
        return apply(read_source(text, shape), mapping, source_name=source_name)
    except MappingError as exc:
        result = ParseResult()
        result.errors.append(_issue(str(exc)))
        return result


def _issue(message: str):
    from .base import ImportIssue

    return ImportIssue(None, None, message)
