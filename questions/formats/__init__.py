"""Question file formats: the bank schema as JSON, CSV, GIFT, Aiken, Moodle XML and QTI 3.0/2.1.

Every parser returns a ParseResult: the questions it could read in the bank schema (see
normalise_question) with the content rules each breaks (they import as drafts that need
review), errors (a question with a parse error, see content_rules, is never half-imported),
skipped questions of types the bank does not have, and warnings about what was changed or
left out. Every exporter writes what its format can hold (Format.holds) so that parsing the
export gives the same questions back; JSON and CSV hold everything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from . import aiken, csv_format, gift, json_format, moodle_xml, qti, qti21
from .base import (
    ALL_PARTS,
    Format,
    ImportIssue,
    ParsedQuestion,
    ParseResult,
    held_by,
    normalise_question,
)

__all__ = [
    "BINARY_FORMATS",
    "FORMATS",
    "Format",
    "ImportIssue",
    "ParseResult",
    "ParsedQuestion",
    "detect_format",
    "export",
    "held_by_format",
    "normalise_question",
    "parse",
    "parse_bytes",
]

_MOODLE_PARTS = frozenset(
    {"key", "stem", "options.text", "options.correct", "options.rationale", "explanation"}
) | {"domains.DVA-C01"}

FORMATS: dict[str, Format] = {
    "json": Format(
        name="json",
        label="Native JSON (lossless)",
        extension="json",
        extensions=("json",),
        content_type="application/json",
        parse=json_format.parse,
        export=json_format.export,
        holds=ALL_PARTS,
    ),
    "csv": Format(
        name="csv",
        label="CSV (spreadsheet)",
        extension="csv",
        extensions=("csv",),
        content_type="text/csv",
        parse=csv_format.parse,
        export=csv_format.export,
        holds=ALL_PARTS,
    ),
    "gift": Format(
        name="gift",
        label="Moodle GIFT",
        extension="gift",
        extensions=("gift", "txt"),
        content_type="text/plain",
        parse=gift.parse,
        export=gift.export,
        holds=_MOODLE_PARTS,
    ),
    "aiken": Format(
        name="aiken",
        label="Aiken (single answer only)",
        extension="txt",
        extensions=("aiken", "txt"),
        content_type="text/plain",
        parse=aiken.parse,
        export=aiken.export,
        holds=frozenset({"stem", "options.text", "options.correct"}),
        multiple_response=False,
    ),
    "moodle_xml": Format(
        name="moodle_xml",
        label="Moodle XML",
        extension="xml",
        extensions=("xml",),
        content_type="application/xml",
        parse=moodle_xml.parse,
        export=moodle_xml.export,
        holds=_MOODLE_PARTS | {"tags"},
    ),
    # A zip: parse reads a single item file's text; parse_bytes reads packages; export -> bytes.
    "qti": Format(
        name="qti",
        label="QTI 3.0 package (.zip)",
        extension="zip",
        extensions=("zip", "xml"),
        content_type="application/zip",
        parse=qti.parse,
        export=qti.export,
        holds=ALL_PARTS - {"enemies", "reviewed_on", "reviews", "is_pretest"},
    ),
    # Reads as "qti" does (both versions); writes QTI 2.1 items in an IMS CP 1.1 package.
    "qti21": Format(
        name="qti21",
        label="QTI 2.1 package (.zip)",
        extension="zip",
        extensions=("zip",),
        content_type="application/zip",
        parse=qti.parse,
        export=qti21.export,
        holds=ALL_PARTS - {"enemies", "reviewed_on", "reviews", "is_pretest"},
    ),
}
# Formats whose files are zips: the importer hands them the upload's bytes (parse_bytes).
BINARY_FORMATS = frozenset({"qti", "qti21"})


def _format(fmt: str) -> Format:
    try:
        return FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}") from None


def parse(fmt: str, text: str) -> ParseResult:
    """Read a file's text in the named format."""
    return _format(fmt).parse(text)


def parse_bytes(fmt: str, raw: bytes) -> ParseResult:
    """Read a binary file (a QTI package) in the named format."""
    if fmt not in BINARY_FORMATS:
        raise ValueError(f"the {fmt} format reads text, not a zip package")
    return qti.parse_package(raw)


def export(fmt: str, questions: list[dict]) -> str | bytes:
    """Write questions in the named format (bytes for a zip package); ValueError if the format
    cannot hold one of them."""
    return _format(fmt).export(questions)


def held_by_format(fmt: str, question: dict) -> dict:
    """Return the normalised question as it comes back from an export in `fmt`."""
    return held_by(_format(fmt).holds, question)


# Detection reads only this much of a file: a format shows itself in its first lines, and every
# sniffer must stay linear whatever a 2 MB upload holds.
SNIFF_CHARS = 64 * 1024
# [ \t]* rather than \s*: \s* also crosses newlines, so "\n" * N made each line start rescan
# the rest of the text.
_AIKEN_ANSWER = re.compile(r"(?m)^[ \t]*ANSWER:[ \t]*[A-Za-z][ \t\r]*$")
_AIKEN_OPTION = re.compile(r"(?m)^[ \t]*[A-Z][.)][ \t]")
_GIFT_START = re.compile(r"(?m)^[ \t]*(\$CATEGORY:|::)")
# No nested quantifier: on "{" + "=" * N the old \{[^{}]*[~=][^{}]*\} was quadratic.
_GIFT_BLOCK = re.compile(r"\{([^{}]*)\}")


def _is_json(text: str) -> bool:
    if json_format.too_deep(text):
        return False
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _is_csv_header(line: str) -> bool:
    names = {
        re.sub(r"[\s-]+", "_", c.strip().strip('"').lower()) for c in re.split(r"[,;\t]", line)
    }
    return {"stem", "correct"} <= names


def _is_gift(text: str) -> bool:
    if _GIFT_START.search(text):
        return True
    return any("~" in m.group(1) or "=" in m.group(1) for m in _GIFT_BLOCK.finditer(text))


_QTI_ROOT = re.compile(r"<([A-Za-z_][\w.-]*:)?(qti-assessment-item|assessmentItem)[\s>/]")

_SNIFFERS: list[tuple[str, Callable[[str], bool]]] = [
    ("qti", lambda t: t.startswith("<") and bool(_QTI_ROOT.search(t[:4096]))),
    ("moodle_xml", lambda t: t.startswith("<") and bool(re.search(r"<quiz[\s>/]", t[:4096]))),
    # JSON is told by parsing the whole file (a linear parse, after a linear depth check).
    ("json", lambda t: t.startswith(("{", "[")) and _is_json(t)),
    (
        "aiken",
        lambda t: (
            bool(_AIKEN_ANSWER.search(t, 0, SNIFF_CHARS))
            and bool(_AIKEN_OPTION.search(t, 0, SNIFF_CHARS))
        ),
    ),
    ("gift", lambda t: _is_gift(t[:SNIFF_CHARS])),
    ("csv", lambda t: _is_csv_header(t[:SNIFF_CHARS].split("\n", 1)[0])),
]


def detect_format(filename: str, text: str) -> str | None:
    """Return the format a file is in, from its extension and, if that is unclear, its text."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    candidates = [f.name for f in FORMATS.values() if extension in f.extensions]
    if len(candidates) == 1:
        return candidates[0]
    text = (text or "").lstrip("\ufeff").lstrip()
    for name, sniff in _SNIFFERS:
        if (not candidates or name in candidates) and sniff(text):
            return name
    return None
