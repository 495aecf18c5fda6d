"""The package's public API: the registry, detection, issues and the HTML conversion."""

from __future__ import annotations

import pytest

from questions import formats
from questions.formats import ImportIssue, ParsedQuestion, ParseResult
from questions.formats.html_text import html_to_markdown, looks_like_html

from .helpers import mc, mr, read


def test_registry():
    assert list(formats.FORMATS) == [
        "json",
        "csv",
        "gift",
        "aiken",
        "moodle_xml",
        "qti",
        "qti21",
    ]
    for name, spec in formats.FORMATS.items():
        assert spec.name == name
        assert spec.label and spec.extension and spec.content_type
        assert spec.extension in spec.extensions
    assert formats.FORMATS["aiken"].multiple_response is False


def test_unknown_format_is_a_value_error():
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        formats.parse("pdf", "")
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        formats.export("pdf", [])


def test_import_issue_text():
    assert str(
        ImportIssue(3, 17, "two options are marked correct but the stem says (Select THREE.)")
    ) == ("Question 3 (line 17): two options are marked correct but the stem says (Select THREE.)")
    assert str(ImportIssue(3, None, "x")) == "Question 3: x"
    assert str(ImportIssue(None, 4, "x")) == "Line 4: x"
    assert str(ImportIssue(None, None, "x")) == "x"


def test_parse_result_shape():
    result = ParseResult()
    assert (result.questions, result.errors, result.skipped, result.warnings) == ([], [], [], [])
    result.questions.append(ParsedQuestion(1, 2, {"stem": "s"}))
    assert result.data == [{"stem": "s"}]


@pytest.mark.parametrize(
    ("filename", "fixture", "expected"),
    [
        ("bank.json", "good.json", "json"),
        ("bank.csv", "good.csv", "csv"),
        ("quiz.gift", "good.gift", "gift"),
        ("quiz.xml", "good.xml", "moodle_xml"),
        ("quiz.aiken", "good_aiken.txt", "aiken"),
        # .txt is used by both GIFT and Aiken, so the text decides.
        ("moodle-export.txt", "good.gift", "gift"),
        ("questions.txt", "good_aiken.txt", "aiken"),
        # Without a helpful extension the text decides too.
        ("upload", "good.json", "json"),
        ("upload", "good.xml", "moodle_xml"),
        ("upload", "bad.gift", "gift"),
        ("upload", "bad_aiken.txt", "aiken"),
        ("upload.dat", "good.csv", "csv"),
    ],
)
def test_detect_format(filename, fixture, expected):
    assert formats.detect_format(filename, read(fixture)) == expected


def test_detect_format_gives_up_on_plain_prose():
    assert formats.detect_format("notes.txt", "Just some notes.\nNothing else.") is None
    assert formats.detect_format("", "") is None


def test_every_exporter_round_trips_what_its_format_holds():
    questions = [mc(), mr(), mc(key="third", stem="Third?", domains={})]
    for name, spec in formats.FORMATS.items():
        subset = (
            questions if spec.multiple_response else [q for q in questions if q is not questions[1]]
        )
        result = formats.parse(name, formats.export(name, subset))
        assert result.errors == [], name
        assert result.data == [formats.held_by_format(name, q) for q in subset], name


def test_html_to_markdown():
    text, notes = html_to_markdown(
        "<p>Call <code>s3:GetObject</code> &amp; check <a href='https://docs.aws.amazon.com'>"
        "the docs</a>.<br>Then:</p><ul><li>one</li><li><b>two</b></li></ul>"
        "<pre>\n  indented\n\n  kept &lt;as is&gt;\n</pre><script>alert(1)</script>"
        "<p>Tail   with   spaces&nbsp;here.</p>"
    )
    assert text == (
        "Call `s3:GetObject` & check [the docs](https://docs.aws.amazon.com).\nThen:\n\n"
        "- one\n- **two**\n\n"
        "```\n  indented\n\n  kept <as is>\n```\n\n"
        "Tail with spaces here."
    )
    assert notes == []


def test_looks_like_html():
    assert looks_like_html("<p>x</p>") and looks_like_html("a &amp; b")
    assert not looks_like_html("a < b and c > d") and not looks_like_html("plain")
