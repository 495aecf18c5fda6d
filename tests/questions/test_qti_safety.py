"""Hostile QTI: entity bombs, external entities, zip bombs, escaping names, nested archives.

Each is refused with a sentence the user can act on, on the page (never a 500) and from the
parser, and nothing is written.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from questions import formats
from questions.formats import qti_safe
from questions.models import Question
from tests.questions.formats.test_qti import tao_package

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="x"
  title="&lol9;" time-dependent="false"/>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE item [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="x"
  title="t" time-dependent="false"><qti-item-body><p>&secret;</p></qti-item-body>
</qti-assessment-item>
"""


def _zip(files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as package:
        for name, body in files.items():
            package.writestr(zipfile.ZipInfo(name), body, compress_type=compression)
    return buffer.getvalue()


def _package_with() -> dict[str, bytes]:
    """The fixture package's files, to be changed by a test and zipped again."""
    with zipfile.ZipFile(io.BytesIO(tao_package())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _errors(result) -> str:
    return " ".join(str(e) for e in result.errors)


def test_billion_laughs_is_refused_before_expansion():
    result = formats.parse("qti", BILLION_LAUGHS)
    assert result.questions == []
    assert "declares a DOCTYPE or entities" in _errors(result)


def test_external_entity_is_refused_and_never_read():
    result = formats.parse("qti", EXTERNAL_ENTITY)
    assert result.questions == []
    assert "declares a DOCTYPE or entities" in _errors(result)
    assert "root:" not in _errors(result)


def test_the_parser_itself_neither_expands_nor_fetches_entities():
    # Below the declaration check, lxml is set to resolve nothing, load no DTD, use no network.
    from lxml import etree

    parser = etree.XMLParser(**qti_safe._PARSER_OPTIONS)
    root = etree.fromstring(EXTERNAL_ENTITY.encode(), parser)
    assert "root:" not in etree.tostring(root).decode()


def test_an_entity_bomb_inside_a_package_refuses_the_whole_package():
    files = _package_with()
    files["items/i-ddb-gsi.xml"] = BILLION_LAUGHS.encode()
    result = formats.parse_bytes("qti", _zip(files))
    assert result.questions == []
    assert "items/i-ddb-gsi.xml (line 2) declares a DOCTYPE" in _errors(result)


def test_zip_bomb_is_refused_by_its_unpacked_size():
    bomb = _zip({"imsmanifest.xml": b"<manifest/>", "items/big.xml": b"\0" * (25 * 1024 * 1024)})
    assert len(bomb) < 100_000
    result = formats.parse_bytes("qti", bomb)
    assert "unpacks to 25 MB; the most is 20 MB" in _errors(result)


def test_a_member_compressed_suspiciously_well_is_refused():
    files = _package_with()
    files["items/i-ddb-gsi.xml"] = b"<a>" + b" " * 900_000 + b"</a>"
    result = formats.parse_bytes("qti", _zip(files))
    assert result.questions == []
    assert "compressed suspiciously well" in _errors(result)


def test_too_many_members_are_refused():
    files = {f"items/{n}.xml": b"<a/>" for n in range(qti_safe.MAX_MEMBERS + 1)}
    result = formats.parse_bytes("qti", _zip(files, zipfile.ZIP_STORED))
    assert f"the most is {qti_safe.MAX_MEMBERS}" in _errors(result)


def test_names_that_leave_the_package_are_ignored_and_never_read():
    files = _package_with()
    files["../../etc/cron.d/evil.xml"] = b"<a/>"
    files["/abs/path.xml"] = b"<a/>"
    result = formats.parse_bytes("qti", _zip(files))
    assert len(result.questions) == 2 and result.errors == []
    assert [str(w) for w in result.warnings] == [
        "the file name '../../etc/cron.d/evil.xml' leaves the package; ignored",
        "the file name '/abs/path.xml' leaves the package; ignored",
    ]


def test_a_manifest_pointing_outside_the_package_is_an_error():
    files = _package_with()
    files["imsmanifest.xml"] = files["imsmanifest.xml"].replace(
        b'href="items/i-ddb-gsi.xml"', b'href="../i-ddb-gsi.xml"'
    )
    result = formats.parse_bytes("qti", _zip(files))
    assert "'../i-ddb-gsi.xml' is not a file in the package" in _errors(result)


def test_nested_archives_are_refused():
    files = _package_with()
    files["items/more.zip"] = _zip({"a.xml": b"<a/>"})
    assert "nested archives are refused" in _errors(formats.parse_bytes("qti", _zip(files)))
    files = _package_with()
    files["items/i-ddb-gsi.xml"] = _zip({"a.xml": b"<a/>"})
    assert "is itself a zip" in _errors(formats.parse_bytes("qti", _zip(files)))


def test_oversized_item_and_broken_zip_and_missing_manifest():
    files = _package_with()
    files["items/i-ddb-gsi.xml"] = b"<a>" + bytes(range(32, 127)) * 12_000 + b"</a>"
    assert "is larger than 1024 KB" in _errors(formats.parse_bytes("qti", _zip(files)))
    assert "not a readable zip package" in _errors(formats.parse_bytes("qti", b"PK\x03\x04junk"))
    no_manifest = _zip({"items/a.xml": b"<a/>"})
    assert "not an IMS content package" in _errors(formats.parse_bytes("qti", no_manifest))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("bomb.xml", BILLION_LAUGHS.encode(), "declares a DOCTYPE or entities"),
        ("xxe.xml", EXTERNAL_ENTITY.encode(), "declares a DOCTYPE or entities"),
        (
            "bomb.zip",
            _zip({"imsmanifest.xml": b"<manifest/>", "x.xml": b"\0" * (25 * 1024 * 1024)}),
            "unpacks to 25 MB",
        ),
        ("nested.zip", _zip({"imsmanifest.xml": b"<manifest/>", "a.zip": b"PK"}), "nested"),
        ("broken.zip", b"PK\x03\x04" + b"x" * 100, "not a readable zip package"),
    ],
    ids=["billion-laughs", "external-entity", "zip-bomb", "nested-zip", "broken-zip"],
)
def test_the_import_page_refuses_hostile_qti_without_a_500(client, instructor, name, body, message):
    client.force_login(instructor)
    upload = SimpleUploadedFile(name, body)
    response = client.post(
        reverse("questions:import"), {"file": upload, "status": "draft", "format": ""}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page and "Nothing was imported" in page
    assert not Question.objects.exists()


def test_deep_nesting_is_refused_with_a_plain_reason():
    deep = "<div>" * 300 + "x" + "</div>" * 300
    item = (
        '<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="x"'
        f' title="t" time-dependent="false"><qti-item-body>{deep}</qti-item-body>'
        "</qti-assessment-item>"
    )
    assert "nests elements more than 256 deep" in _errors(formats.parse("qti", item))
