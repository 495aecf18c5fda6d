"""QTI 3.0 and 2.1: IMS content packages (zip) and single item files, choice interactions only.

What maps where (QTI 3.0 names; QTI 2.1 spells them in camelCase: assessmentItem, simpleChoice):

- `qti-choice-interaction` with a `qti-response-declaration` of cardinality single is a
  multiple-choice question, cardinality multiple a multiple-response one; the
  `qti-correct-response` values are the keys. `max-choices` of a multiple-response item should be
  the number of keys (a mismatch is noted; the stem is kept as written and the content rules
  judge its "(Select TWO.)").
- The item body's XHTML outside the interaction, then the interaction's `qti-prompt`, is the
  stem; each `qti-simple-choice` an option; its `qti-feedback-inline` (or `qti-feedback-block`)
  the option's rationale; `qti-modal-feedback` the explanation. XHTML becomes Markdown
  (`qti_html`).
- Metadata (docs/integrations.md): in a package, the IEEE LOM of the item's resource in
  `imsmanifest.xml`: `general/identifier` (catalog `dva-question-bank`) the key,
  `general/keyword` the tags, `educational/difficulty` the difficulty (LOM's "difficult" is the
  bank's hard), `relation` (kind `references`, identifier catalog `URI`) the references, and a
  `classification` (purpose `discipline`) whose `taxonPath` source is the exam guide code
  (DVA-C01, DVA-C02), first taxon the domain (id its number, entry its name) and second taxon
  the task statement (id its code). Without it, a slug item identifier is the key.
- Other interactions (text entry, match, order, ...) are reported in `skipped`.

The export writes a QTI 3.0 package: `imsmanifest.xml` (IMS CP 1.2, QTI 3.0 profile) and
`items/<key>.xml`, each with the response declaration and correct response, the SCORE outcome,
the standard match_correct response processing template, rationales as inline feedback (block
feedback when a rationale has paragraphs or code blocks) and the explanation as modal feedback.
Enemies, review history, reviewed-on dates and the pretest flag stay in the bank.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from lxml import etree

from ..content_rules import DOMAINS, TASK_STATEMENTS, canonical_domain
from .base import Collector, ParseResult, key_from_title, normalise_question
from .qti_html import blocks_to_markdown, local_name, markdown_to_xhtml, renders_inline
from .qti_safe import MAX_MANIFEST_BYTES, Package, Refused, is_zip, parse_xml, safe_member_name

NS3 = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
NS21 = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP3 = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
LOM = "http://ltsc.ieee.org/xsd/LOM"
QMD3 = "http://www.imsglobal.org/xsd/imsqti_metadata_v3p0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MATCH_CORRECT = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"
KEY_CATALOG = "dva-question-bank"
TOOL_NAME = "DVA question bank"
_DIFFICULTY_IN = {
    "very easy": "easy",
    "easy": "easy",
    "medium": "medium",
    "difficult": "hard",
    "very difficult": "hard",
    "hard": "hard",
}
_DIFFICULTY_OUT = {"easy": "easy", "medium": "medium", "hard": "difficult"}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


# --- reading -------------------------------------------------------------------------------


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def qti_name(element) -> str:
    """Return the element's name in QTI 3.0 spelling (assessmentItem → qti-assessment-item)."""
    name = local_name(element)
    version21 = bool(name) and etree.QName(element).namespace == NS21
    if version21 and (name in ("value", "prompt") or re.search(r"[A-Z]", name)):
        return "qti-" + _kebab(name)
    return name


def _attr(element, name: str) -> str | None:
    """Return a QTI 3.0 attribute (max-choices) or its QTI 2.1 spelling (maxChoices)."""
    value = element.get(name)
    if value is None:
        camel = re.sub(r"-([a-z])", lambda m: m.group(1).upper(), name)
        value = element.get(camel)
    return value


def _children(element, name: str) -> list:
    return [c for c in element if isinstance(c.tag, str) and qti_name(c) == name]


def _descendants(element, name: str) -> list:
    return [c for c in element.iter() if isinstance(c.tag, str) and qti_name(c) == name]


def _content(feedback):
    """Return the element holding a feedback's XHTML (QTI 3.0 wraps block content)."""
    return next(iter(_children(feedback, "qti-content-body")), feedback)


def _lom_children(element, name: str) -> list:
    return [c for c in element if local_name(c) == name]


def _lom_text(element) -> str:
    """Return a LOM value: a <string>/<langstring> child's text, else the element's own."""
    if element is None:
        return ""
    for child in element.iter():
        if local_name(child) in ("string", "langstring") and (child.text or "").strip():
            return child.text.strip()
    return "".join(element.itertext()).strip()


def _lom_path(element, *names: str) -> list:
    found = [element]
    for name in names:
        found = [c for e in found for c in _lom_children(e, name)]
    return found


@dataclass
class _Metadata:
    key: str | None = None
    tags: list[str] = field(default_factory=list)
    difficulty: str | None = None
    references: list[str] = field(default_factory=list)
    domains: dict[str, str] = field(default_factory=dict)
    task_statements: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def read_lom(metadata) -> _Metadata:
    """Read the bank's fields from a resource's <metadata> (see the module docstring)."""
    meta = _Metadata()
    if metadata is None:
        return meta
    for lom in [e for e in metadata.iter() if local_name(e) == "lom"][:1]:
        general = _lom_path(lom, "general", "identifier") + _lom_path(
            lom, "general", "catalogentry"
        )
        for identifier in general:  # LOM: identifier; IMS MD 1.2: catalogentry
            catalog = _lom_text(next(iter(_lom_children(identifier, "catalog")), None))
            entry = _lom_text(next(iter(_lom_children(identifier, "entry")), None))
            if catalog == KEY_CATALOG and entry:
                meta.key = entry
        meta.tags = [t for t in (_lom_text(k) for k in _lom_path(lom, "general", "keyword")) if t]
        for difficulty in _lom_path(lom, "educational", "difficulty"):
            value = _lom_text(next(iter(_lom_children(difficulty, "value")), difficulty)).lower()
            meta.difficulty = _DIFFICULTY_IN.get(value)
            if value and meta.difficulty is None:
                meta.notes.append(f"the LOM difficulty {value!r} is not known; left out")
        for relation in _lom_path(lom, "relation"):
            for identifier in _lom_path(relation, "resource", "identifier") + _lom_path(
                relation, "resource", "catalogentry"
            ):
                entry = _lom_text(next(iter(_lom_children(identifier, "entry")), None))
                if entry:
                    meta.references.append(entry)
        classifications = _lom_path(lom, "classification")
        paths = [p for c in classifications for p in c if local_name(p).lower() == "taxonpath"]
        for path in paths:  # LOM spells it taxonPath, IMS MD 1.2 taxonpath
            code = _lom_text(next(iter(_lom_children(path, "source")), None)).upper()
            if code not in DOMAINS:
                continue
            taxa = _lom_children(path, "taxon")
            if taxa:
                entry = _lom_text(next(iter(_lom_children(taxa[0], "entry")), None))
                number = _lom_text(next(iter(_lom_children(taxa[0], "id")), None))
                name = canonical_domain(code, entry)
                if name is None and number.isdigit() and 0 < int(number) <= len(DOMAINS[code]):
                    name = DOMAINS[code][int(number) - 1]
                if name:
                    meta.domains[code] = name
                else:
                    meta.notes.append(f"{entry or number!r} is not a {code} domain; left out")
            if len(taxa) > 1:
                statement = _lom_text(next(iter(_lom_children(taxa[1], "id")), None))
                if statement:
                    meta.task_statements[code] = statement
    return meta


class _Reader:
    def __init__(self) -> None:
        self.collector = Collector()
        self.number = 0

    def item(self, root, name: str, meta: _Metadata, line: int | None = None) -> None:
        """Read one item document (its root element) as question number `self.number`."""
        self.number += 1
        number, collector = self.number, self.collector
        if etree.QName(root).namespace not in (NS3, NS21) or qti_name(root) not in (
            "qti-assessment-item",
        ):
            collector.error(
                number, line, f"{name}: the root element is not a QTI 3.0 or 2.1 assessment item"
            )
            return
        body = next(iter(_children(root, "qti-item-body")), None)
        interactions = [
            e
            for e in (body.iter() if body is not None else [])
            if qti_name(e).endswith("-interaction")
        ]
        kinds = [qti_name(e) for e in interactions]
        if kinds != ["qti-choice-interaction"]:
            shown = ", ".join(sorted({k.removeprefix("qti-").replace("-", " ") for k in kinds}))
            if not kinds:
                what = "an item without an interaction is"
            elif len(kinds) > 1:
                what = f"an item with several interactions ({shown}) is"
            else:
                what = f"a {shown} is"
            collector.skip(
                number, line, f"{name}: {what} not supported; only choice interactions are imported"
            )
            return
        interaction = interactions[0]
        response_id = _attr(interaction, "response-identifier") or ""
        declaration = next(
            (
                d
                for d in _children(root, "qti-response-declaration")
                if d.get("identifier") == response_id
            ),
            None,
        )
        if declaration is None:
            collector.error(number, line, f"{name}: no response declaration for {response_id!r}")
            return
        cardinality = (declaration.get("cardinality") or "").strip()
        if cardinality not in ("single", "multiple"):
            collector.skip(
                number,
                line,
                f"{name}: a choice with {cardinality or 'no'} cardinality is not supported",
            )
            return
        keys = [
            (v.text or "").strip()
            for c in _children(declaration, "qti-correct-response")
            for v in _children(c, "qti-value")
        ]
        if not keys:
            collector.error(number, line, f"{name}: the item has no correct response, so no key")
            return
        choices = _descendants(interaction, "qti-simple-choice")
        identifiers = [c.get("identifier") for c in choices]
        unknown = [k for k in keys if k not in identifiers]
        if unknown:
            collector.error(
                number,
                line,
                f"{name}: the correct response names {', '.join(unknown)}, not a choice",
            )
            return

        def is_feedback(element) -> bool:
            return qti_name(element) in ("qti-feedback-inline", "qti-feedback-block")

        options = []
        for choice in choices:
            feedback = [c for c in choice if isinstance(c.tag, str) and is_feedback(c)]
            options.append(
                {
                    "text": blocks_to_markdown(choice, is_feedback),
                    "correct": choice.get("identifier") in keys,
                    "rationale": "\n\n".join(blocks_to_markdown(_content(f)) for f in feedback),
                }
            )
        stem = blocks_to_markdown(
            body, lambda e: e is interaction or qti_name(e) == "qti-rubric-block"
        )
        prompt = next(iter(_children(interaction, "qti-prompt")), None)
        if prompt is not None:
            stem = "\n\n".join(p for p in (stem, blocks_to_markdown(prompt)) if p)
        explanation = "\n\n".join(
            blocks_to_markdown(_content(f)) for f in _children(root, "qti-modal-feedback")
        )
        kind = "multiple_choice" if cardinality == "single" else "multiple_response"
        max_choices = _attr(interaction, "max-choices")
        if kind == "multiple_response" and max_choices not in (None, str(len(keys))):
            collector.warn(
                number,
                line,
                f"max-choices is {max_choices} but {len(keys)} options are keyed; "
                "the bank asks for exactly the keyed number",
            )
        for note in meta.notes:
            collector.warn(number, line, note)
        identifier = root.get("identifier") or ""
        # Our own items name their key in the LOM only: item-3 is a keyless question's place.
        own = root.get("tool-name") == TOOL_NAME
        key = meta.key or (None if own else key_from_title(identifier))
        if meta.key and not key_from_title(meta.key):
            collector.warn(number, line, f"the key {meta.key!r} is not a slug, so it is not kept")
            key = None
        collector.add(
            number,
            line,
            {
                "key": key,
                "kind": kind,
                "stem": stem,
                "options": options,
                "explanation": explanation,
                "references": meta.references,
                "domains": meta.domains,
                "task_statements": meta.task_statements,
                "tags": meta.tags,
                "difficulty": meta.difficulty,
            },
        )


def parse(text: str | bytes) -> ParseResult:
    """Read a single QTI 3.0 or 2.1 item file (no manifest: no domain, tags or references).

    Bytes are read by parse_package (a zip package, or an item file's bytes).
    """
    if isinstance(text, bytes):
        return parse_package(text)
    reader = _Reader()
    try:
        root = parse_xml(text.lstrip("\ufeff"), "the file")
    except Refused as exc:
        reader.collector.error(None, None, str(exc))
        return reader.collector.result
    if local_name(root) == "manifest":
        reader.collector.error(
            None, None, "this is a package manifest; upload the whole package as a .zip"
        )
        return reader.collector.result
    reader.item(root, "the item", _Metadata(), root.sourceline)
    return reader.collector.result


def parse_package(raw: bytes) -> ParseResult:
    """Read an IMS content package (zip with imsmanifest.xml) of QTI 3.0 or 2.1 items."""
    if not is_zip(raw):
        return parse(raw.decode("utf-8-sig", errors="replace"))
    reader = _Reader()
    collector = reader.collector
    try:
        package = Package(raw)
        if "imsmanifest.xml" not in package.members:
            raise Refused(
                "the zip has no imsmanifest.xml at its top level, so it is not an IMS content "
                "package; export the items from your tool as a QTI 3.0 or 2.1 package"
            )
        manifest = parse_xml(
            package.read("imsmanifest.xml", MAX_MANIFEST_BYTES),
            "imsmanifest.xml",
            MAX_MANIFEST_BYTES,
        )
        if local_name(manifest) != "manifest":
            raise Refused("imsmanifest.xml has no <manifest> root element")
        resources = [
            r
            for r in manifest.iter()
            if local_name(r) == "resource" and (r.get("type") or "").startswith("imsqti_item_xml")
        ]
        # Read every item before anything is kept: a refusal anywhere refuses the package.
        items = []
        for resource in resources:
            href = resource.get("href") or next(
                (f.get("href") for f in resource if local_name(f) == "file"), ""
            )
            items.append((resource, href, _read_item(package, href)))
    except Refused as exc:
        collector.error(None, None, str(exc))
        return collector.result
    for ignored in package.ignored:
        collector.warn(None, None, f"the file name {ignored!r} leaves the package; ignored")
    for resource, href, root in items:
        if root is None:
            reader.number += 1
            collector.error(reader.number, None, f"{href!r} is not a file in the package")
            continue
        metadata = next((m for m in resource if local_name(m) == "metadata"), None)
        reader.item(root, href, read_lom(metadata))
    if not resources:
        collector.error(None, None, "the manifest lists no QTI item resources")
    return collector.result


def _read_item(package: Package, href: str):
    name = safe_member_name(href or "")
    if not name or name not in package.members:
        return None
    return parse_xml(package.read(name), name)


# --- writing -------------------------------------------------------------------------------


def _q(namespace: str, tag: str) -> str:
    return f"{{{namespace}}}{tag}"


def item_identifier(q: dict, position: int) -> str:
    key = q.get("key") or ""
    return key if _IDENTIFIER.match(key) else f"item-{position}"


def _title(q: dict) -> str:
    first = next((line for line in q["stem"].splitlines() if line.strip()), "")
    first = re.sub(r"[`*_#>]", "", first).strip()
    return (first[:60] + ("…" if len(first) > 60 else "")) or q["key"] or "Question"


def choice_identifiers(count: int) -> list[str]:
    """Name the choices of an exported item A, B, C, ... (both QTI dialects)."""
    return [chr(ord("A") + i) if i < 26 else f"C{i + 1}" for i in range(count)]


def _camel(name: str) -> str:
    head, *rest = name.split("-")
    return head + "".join(part.capitalize() for part in rest)


@dataclass(frozen=True)
class Dialect:
    """How one QTI version spells the same item: the writer names things in QTI 3.0 spelling.

    QTI 2.1 drops the `qti-` prefix and writes element and attribute names in camelCase
    (`qti-choice-interaction` → `choiceInteraction`, `max-choices` → `maxChoices`); its block
    and modal feedback hold their XHTML directly, where 3.0 wraps it in `qti-content-body`.
    """

    namespace: str
    schema_location: str
    template: str
    camel_case: bool

    def tag(self, name: str) -> str:
        if self.camel_case:
            name = _camel(name.removeprefix("qti-"))
        return _q(self.namespace, name)

    def attrs(self, **values: str) -> dict[str, str]:
        # Keyword names use underscores for QTI 3.0's hyphens: max_choices → max-choices.
        names = (name.replace("_", "-") for name in values)
        return {
            (_camel(name) if self.camel_case else name): value
            for name, value in zip(names, values.values(), strict=True)
        }

    def content_holder(self, element):
        """Return where a block or modal feedback's XHTML goes."""
        if self.camel_case:
            return element
        return etree.SubElement(element, self.tag("qti-content-body"))


QTI30 = Dialect(
    namespace=NS3,
    schema_location=(
        f"{NS3} https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"
    ),
    template=MATCH_CORRECT,
    camel_case=False,
)
QTI21 = Dialect(
    namespace=NS21,
    schema_location=f"{NS21} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd",
    template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct",
    camel_case=True,
)


def item_xml(q: dict, identifier: str, dialect: Dialect = QTI30) -> bytes:
    """Return one QTI item document (3.0 unless another dialect is asked) for a question."""
    d, ns = dialect, dialect.namespace
    root = etree.Element(d.tag("qti-assessment-item"), nsmap={None: ns, "xsi": XSI})
    root.set(_q(XSI, "schemaLocation"), d.schema_location)
    for name, value in d.attrs(
        identifier=identifier,
        title=_title(q),
        adaptive="false",
        time_dependent="false",
        tool_name=TOOL_NAME,
    ).items():
        root.set(name, value)
    root.set(XML_LANG, "en")
    single = q["kind"] != "multiple_response"
    choice_ids = choice_identifiers(len(q["options"]))
    declaration = etree.SubElement(
        root,
        d.tag("qti-response-declaration"),
        d.attrs(
            identifier="RESPONSE",
            cardinality="single" if single else "multiple",
            base_type="identifier",
        ),
    )
    correct = etree.SubElement(declaration, d.tag("qti-correct-response"))
    for choice_id, option in zip(choice_ids, q["options"], strict=True):
        if option["correct"]:
            etree.SubElement(correct, d.tag("qti-value")).text = choice_id
    score = etree.SubElement(
        root,
        d.tag("qti-outcome-declaration"),
        d.attrs(identifier="SCORE", cardinality="single", base_type="float"),
    )
    default = etree.SubElement(score, d.tag("qti-default-value"))
    etree.SubElement(default, d.tag("qti-value")).text = "0"
    # FEEDBACK is never set by match_correct, so feedback with show-hide="hide" always shows
    # once the response is processed: rationales and the explanation are for every candidate.
    etree.SubElement(
        root,
        d.tag("qti-outcome-declaration"),
        d.attrs(identifier="FEEDBACK", cardinality="single", base_type="identifier"),
    )
    body = etree.SubElement(root, d.tag("qti-item-body"))
    markdown_to_xhtml(body, q["stem"], ns)
    keyed = sum(1 for o in q["options"] if o["correct"])
    interaction = etree.SubElement(
        body,
        d.tag("qti-choice-interaction"),
        d.attrs(
            response_identifier="RESPONSE",
            shuffle="true",
            max_choices="1" if single else str(keyed),
            min_choices="1" if single else str(keyed),
        ),
    )
    for choice_id, option in zip(choice_ids, q["options"], strict=True):
        choice = etree.SubElement(
            interaction, d.tag("qti-simple-choice"), d.attrs(identifier=choice_id)
        )
        markdown_to_xhtml(choice, option["text"], ns, inline=True)
        if option["rationale"]:
            inline = renders_inline(option["rationale"])
            feedback = etree.SubElement(
                choice,
                d.tag("qti-feedback-inline" if inline else "qti-feedback-block"),
                d.attrs(
                    outcome_identifier="FEEDBACK", identifier=f"R{choice_id}", show_hide="hide"
                ),
            )
            holder = feedback if inline else d.content_holder(feedback)
            markdown_to_xhtml(holder, option["rationale"], ns, inline=inline)
    etree.SubElement(root, d.tag("qti-response-processing"), {"template": d.template})
    if q["explanation"]:
        modal = etree.SubElement(
            root,
            d.tag("qti-modal-feedback"),
            d.attrs(outcome_identifier="FEEDBACK", identifier="EXPLANATION", show_hide="hide"),
        )
        markdown_to_xhtml(d.content_holder(modal), q["explanation"], ns)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_package(questions: list[dict], *, manifest_xml, dialect: Dialect) -> bytes:
    """Write questions as a content package (zip bytes): the manifest and one file per item."""
    entries = []
    used: set[str] = set()
    for position, q in enumerate(map(normalise_question, questions), start=1):
        identifier = item_identifier(q, position)
        if identifier in used:
            identifier = f"{identifier}-{position}"
        used.add(identifier)
        entries.append((q, identifier, f"items/{identifier}.xml"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("imsmanifest.xml", manifest_xml(entries))
        for q, identifier, href in entries:
            package.writestr(href, item_xml(q, identifier, dialect))
    return buffer.getvalue()


class LomWriter:
    """Write the metadata convention as IEEE LOM (QTI 3.0) or IMS MD 1.2 (QTI 2.1 packages)."""

    def __init__(self, namespace: str = LOM, *, md12: bool = False) -> None:
        self.ns, self.md12 = namespace, md12

    def element(self, parent, tag: str):
        return etree.SubElement(parent, _q(self.ns, tag))

    def string(self, parent, tag: str, text: str, language: str = "en"):
        element = self.element(parent, tag)
        if self.md12:
            etree.SubElement(element, _q(self.ns, "langstring"), {XML_LANG: language}).text = text
        else:
            etree.SubElement(element, _q(self.ns, "string"), {"language": language}).text = text
        return element

    def vocabulary(self, parent, tag: str, value: str) -> None:
        element = self.element(parent, tag)
        if self.md12:
            self.string(element, "source", "LOMv1.0", "x-none")
            self.string(element, "value", value, "x-none")
        else:
            self.element(element, "source").text = "LOMv1.0"
            self.element(element, "value").text = value

    def identifier(self, parent, catalog: str, entry: str) -> None:
        if self.md12:
            element = self.element(parent, "catalogentry")
            self.element(element, "catalog").text = catalog
            self.string(element, "entry", entry, "x-none")
        else:
            element = self.element(parent, "identifier")
            self.element(element, "catalog").text = catalog
            self.element(element, "entry").text = entry

    def lom(self, parent, q: dict) -> None:
        lom = self.element(parent, "lom")
        general = self.element(lom, "general")
        if self.md12:  # IMS MD 1.2 puts the title before its catalog entries
            self.string(general, "title", _title(q))
        if q["key"]:
            self.identifier(general, KEY_CATALOG, q["key"])
        if not self.md12:
            self.string(general, "title", _title(q))
        for tag in q["tags"]:
            self.string(general, "keyword", tag)
        if q["difficulty"]:
            educational = self.element(lom, "educational")
            self.vocabulary(educational, "difficulty", _DIFFICULTY_OUT[q["difficulty"]])
        for reference in q["references"]:
            relation = self.element(lom, "relation")
            self.vocabulary(relation, "kind", "references")
            self.identifier(self.element(relation, "resource"), "URI", reference)
        for code, name in q["domains"].items():
            classification = self.element(lom, "classification")
            self.vocabulary(classification, "purpose", "discipline")
            path = self.element(classification, "taxonpath" if self.md12 else "taxonPath")
            self.string(path, "source", code)
            taxon = self.element(path, "taxon")
            guide = DOMAINS.get(code, ())
            if name in guide:
                self.element(taxon, "id").text = str(guide.index(name) + 1)
            self.string(taxon, "entry", name)
            statement = (q.get("task_statements") or {}).get(code)
            if statement:
                taxon = self.element(path, "taxon")
                self.element(taxon, "id").text = statement
                title = next(
                    (t for n, _d, t, _s in TASK_STATEMENTS.get(code, ()) if n == statement),
                    f"Task statement {statement}",
                )
                self.string(taxon, "entry", title)


def manifest_xml(entries: list[tuple[dict, str, str]]) -> bytes:
    """Return imsmanifest.xml for (question, identifier, href) entries."""
    nsmap = {None: CP3, "imsmd": LOM, "imsqti": QMD3, "xsi": XSI}
    manifest = etree.Element(_q(CP3, "manifest"), nsmap=nsmap)
    manifest.set("identifier", "MANIFEST-dva-question-bank")
    manifest.set(
        _q(XSI, "schemaLocation"),
        f"{CP3} https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd "
        f"{LOM} https://purl.imsglobal.org/spec/md/v1p3/schema/xsd/imsmd_loose_v1p3p2.xsd "
        f"{QMD3} https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_metadatav3p0_v1p0.xsd",
    )
    metadata = etree.SubElement(manifest, _q(CP3, "metadata"))
    etree.SubElement(metadata, _q(CP3, "schema")).text = "QTI Package"
    etree.SubElement(metadata, _q(CP3, "schemaversion")).text = "3.0.0"
    etree.SubElement(manifest, _q(CP3, "organizations"))
    resources = etree.SubElement(manifest, _q(CP3, "resources"))
    for q, identifier, href in entries:
        resource = etree.SubElement(
            resources,
            _q(CP3, "resource"),
            {"identifier": f"RES-{identifier}", "type": "imsqti_item_xmlv3p0", "href": href},
        )
        meta = etree.SubElement(resource, _q(CP3, "metadata"))
        qti = etree.SubElement(meta, _q(QMD3, "qtiMetadata"))
        etree.SubElement(qti, _q(QMD3, "timeDependent")).text = "false"
        etree.SubElement(qti, _q(QMD3, "composite")).text = "false"
        etree.SubElement(qti, _q(QMD3, "interactionType")).text = "choiceInteraction"
        etree.SubElement(qti, _q(QMD3, "feedbackType")).text = "nonadaptive"
        etree.SubElement(qti, _q(QMD3, "solutionAvailable")).text = "true"
        etree.SubElement(qti, _q(QMD3, "toolName")).text = TOOL_NAME
        LomWriter().lom(meta, q)
        etree.SubElement(resource, _q(CP3, "file"), {"href": href})
    return etree.tostring(manifest, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def export(questions: list[dict]) -> bytes:
    """Write questions as a QTI 3.0 content package (zip bytes)."""
    return write_package(questions, manifest_xml=manifest_xml, dialect=QTI30)
