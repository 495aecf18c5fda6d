"""QTI 2.1 export: an IMS CP 1.1 package of QTI 2.1 items, for tools that do not read QTI 3.0.

The same mapping as the QTI 3.0 export (see `qti`), in QTI 2.1 spelling: `assessmentItem`,
`choiceInteraction`, `feedbackInline`/`feedbackBlock` per choice, `modalFeedback`, the 2.1
match_correct template; the metadata convention in IMS MD 1.2 (`catalogentry`, `taxonpath`,
`langstring`). Reading is `qti.parse`/`qti.parse_package`, which take both versions.
"""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from .base import normalise_question
from .qti import (
    NS21,
    TOOL_NAME,
    XML_LANG,
    XSI,
    LomWriter,
    _q,
    _title,
    choice_identifiers,
    item_identifier,
)
from .qti_html import markdown_to_xhtml, renders_inline

CP11 = "http://www.imsglobal.org/xsd/imscp_v1p1"
MD12 = "http://www.imsglobal.org/xsd/imsmd_v1p2"
MATCH_CORRECT_21 = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"


def item_xml(q: dict, identifier: str) -> bytes:
    """Return one QTI 2.1 item document for a normalised question."""
    root = etree.Element(_q(NS21, "assessmentItem"), nsmap={None: NS21, "xsi": XSI})
    root.set(
        _q(XSI, "schemaLocation"),
        f"{NS21} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd",
    )
    root.set("identifier", identifier)
    root.set("title", _title(q))
    root.set("adaptive", "false")
    root.set("timeDependent", "false")
    root.set("toolName", TOOL_NAME)
    root.set(XML_LANG, "en")
    single = q["kind"] != "multiple_response"
    ids = choice_identifiers(len(q["options"]))
    declaration = etree.SubElement(
        root,
        _q(NS21, "responseDeclaration"),
        {
            "identifier": "RESPONSE",
            "cardinality": "single" if single else "multiple",
            "baseType": "identifier",
        },
    )
    correct = etree.SubElement(declaration, _q(NS21, "correctResponse"))
    for choice_id, option in zip(ids, q["options"], strict=True):
        if option["correct"]:
            etree.SubElement(correct, _q(NS21, "value")).text = choice_id
    score = etree.SubElement(
        root,
        _q(NS21, "outcomeDeclaration"),
        {"identifier": "SCORE", "cardinality": "single", "baseType": "float"},
    )
    default = etree.SubElement(score, _q(NS21, "defaultValue"))
    etree.SubElement(default, _q(NS21, "value")).text = "0"
    etree.SubElement(
        root,
        _q(NS21, "outcomeDeclaration"),
        {"identifier": "FEEDBACK", "cardinality": "single", "baseType": "identifier"},
    )
    body = etree.SubElement(root, _q(NS21, "itemBody"))
    markdown_to_xhtml(body, q["stem"], NS21)
    keyed = sum(1 for o in q["options"] if o["correct"])
    interaction = etree.SubElement(
        body,
        _q(NS21, "choiceInteraction"),
        {
            "responseIdentifier": "RESPONSE",
            "shuffle": "true",
            "maxChoices": "1" if single else str(keyed),
            "minChoices": "1" if single else str(keyed),
        },
    )
    for choice_id, option in zip(ids, q["options"], strict=True):
        choice = etree.SubElement(interaction, _q(NS21, "simpleChoice"), {"identifier": choice_id})
        markdown_to_xhtml(choice, option["text"], NS21, inline=True)
        if option["rationale"]:
            inline = renders_inline(option["rationale"])
            feedback = etree.SubElement(
                choice,
                _q(NS21, "feedbackInline" if inline else "feedbackBlock"),
                {
                    "outcomeIdentifier": "FEEDBACK",
                    "identifier": f"R{choice_id}",
                    "showHide": "hide",
                },
            )
            markdown_to_xhtml(feedback, option["rationale"], NS21, inline=inline)
    etree.SubElement(root, _q(NS21, "responseProcessing"), {"template": MATCH_CORRECT_21})
    if q["explanation"]:
        modal = etree.SubElement(
            root,
            _q(NS21, "modalFeedback"),
            {"outcomeIdentifier": "FEEDBACK", "identifier": "EXPLANATION", "showHide": "hide"},
        )
        markdown_to_xhtml(modal, q["explanation"], NS21)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def manifest_xml(entries: list[tuple[dict, str, str]]) -> bytes:
    """Return an IMS CP 1.1 imsmanifest.xml with IMS MD 1.2 metadata per item."""
    manifest = etree.Element(_q(CP11, "manifest"), nsmap={None: CP11, "imsmd": MD12, "xsi": XSI})
    manifest.set("identifier", "MANIFEST-dva-question-bank")
    manifest.set(
        _q(XSI, "schemaLocation"),
        f"{CP11} http://www.imsglobal.org/xsd/imscp_v1p1.xsd "
        f"{MD12} http://www.imsglobal.org/xsd/imsmd_v1p2p4.xsd",
    )
    metadata = etree.SubElement(manifest, _q(CP11, "metadata"))
    etree.SubElement(metadata, _q(CP11, "schema")).text = "IMS Content"
    etree.SubElement(metadata, _q(CP11, "schemaversion")).text = "1.1.4"
    etree.SubElement(manifest, _q(CP11, "organizations"))
    resources = etree.SubElement(manifest, _q(CP11, "resources"))
    writer = LomWriter(MD12, md12=True)
    for q, identifier, href in entries:
        resource = etree.SubElement(
            resources,
            _q(CP11, "resource"),
            {"identifier": f"RES-{identifier}", "type": "imsqti_item_xmlv2p1", "href": href},
        )
        writer.lom(etree.SubElement(resource, _q(CP11, "metadata")), q)
        etree.SubElement(resource, _q(CP11, "file"), {"href": href})
    return etree.tostring(manifest, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def export(questions: list[dict]) -> bytes:
    """Write questions as a QTI 2.1 content package (zip bytes)."""
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
            package.writestr(href, item_xml(q, identifier))
    return buffer.getvalue()
