"""The official QTI/CP schemas vendored in tests/questions/qti_xsd, loaded offline once."""

from __future__ import annotations

import io
import zipfile
from functools import cache
from pathlib import Path

import xmlschema

XSD = Path(__file__).parent / "qti_xsd"


def _local(url: str) -> str:
    # See qti_xsd/LICENCE.txt: qti-sdk's MathML 3 and SSML 1.1 copies declare other namespaces
    # than the ones the QTI 3.0 schema imports; the W3C MathML 2 and SSML 1.0 schemas fit.
    if url.endswith("/w3/mathml3/mathml3.xsd"):
        return (XSD / "w3/mathml2/mathml2.xsd").as_uri()
    if url.endswith("/w3/ssml11/ssmlv1p1-core.xsd"):
        return (XSD / "w3/ssml10/ssmlv1p0.xsd").as_uri()
    return url


def _schema(path: str) -> xmlschema.XMLSchema:
    # allow="local": nothing is ever fetched from the network.
    return xmlschema.XMLSchema(str(XSD / path), allow="local", uri_mapper=_local)


@cache
def qti3_item() -> xmlschema.XMLSchema:
    return _schema("qtiv3p0/imsqti_asiv3p0_sbacv1p0_v1p0.xsd")


@cache
def qti3_manifest() -> xmlschema.XMLSchema:
    return _schema("qtiv3p0/imsqtiv3p0_imscpv1p2_v1p0.xsd")


@cache
def qti21_item() -> xmlschema.XMLSchema:
    return _schema("qtiv2p1/imsqti_v2p1.xsd")


@cache
def cp11_manifest() -> xmlschema.XMLSchema:
    return _schema("imscp_v1p1.xsd")


def errors(schema: xmlschema.XMLSchema, document: bytes | str) -> list[str]:
    """Return the schema's complaints about `document` (empty when valid)."""
    text = document.decode("utf-8") if isinstance(document, bytes) else document
    return [str(e).splitlines()[0] for e in schema.iter_errors(text)]


def package_members(package: bytes) -> dict[str, bytes]:
    """Every file of a content package (zip bytes) by its name."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
