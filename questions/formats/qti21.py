"""QTI 2.1 export: an IMS CP 1.1 package of QTI 2.1 items, for tools that do not read QTI 3.0.

The same mapping as the QTI 3.0 export (see `qti`), in QTI 2.1 spelling: `assessmentItem`,
`choiceInteraction`, `feedbackInline`/`feedbackBlock` per choice, `modalFeedback`, the 2.1
match_correct template; the metadata convention in IMS MD 1.2 (`catalogentry`, `taxonpath`,
`langstring`). Reading is `qti.parse`/`qti.parse_package`, which take both versions.
"""

from __future__ import annotations

from lxml import etree

from .qti import QTI21, XSI, LomWriter, _q, write_package

CP11 = "http://www.imsglobal.org/xsd/imscp_v1p1"
MD12 = "http://www.imsglobal.org/xsd/imsmd_v1p2"


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
    return write_package(questions, manifest_xml=manifest_xml, dialect=QTI21)
