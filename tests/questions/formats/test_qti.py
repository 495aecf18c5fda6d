"""QTI 3.0 and 2.1: what is read from packages and items, what is written, the XSDs, round trips."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from questions import formats
from questions.formats import qti
from tests.questions import qti_schemas

from .helpers import issues, mc, mr

QTI_FILES = Path(__file__).resolve().parents[1] / "qti_files"


def tao_package() -> bytes:
    """The TAO-style fixture package, zipped as a tool would ship it."""
    buffer = io.BytesIO()
    root = QTI_FILES / "tao_package"
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for path in sorted(root.rglob("*.xml")):
            package.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()


def members(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_fixtures_are_valid_against_the_official_schemas():
    for path in sorted((QTI_FILES / "tao_package" / "items").glob("*.xml")):
        assert qti_schemas.errors(qti_schemas.qti3_item(), path.read_bytes()) == [], path.name
    manifest = (QTI_FILES / "tao_package" / "imsmanifest.xml").read_bytes()
    assert qti_schemas.errors(qti_schemas.qti3_manifest(), manifest) == []
    item21 = (QTI_FILES / "qti21_choice.xml").read_bytes()
    assert qti_schemas.errors(qti_schemas.qti21_item(), item21) == []


def test_the_schemas_do_reject_what_is_not_qti():
    item = (QTI_FILES / "tao_package" / "items" / "i-ddb-gsi.xml").read_text()
    assert qti_schemas.errors(qti_schemas.qti3_item(), item.replace("max-choices", "most"))
    assert qti_schemas.errors(
        qti_schemas.qti3_item(), item.replace('cardinality="multiple"', 'cardinality="many"')
    )


def test_tao_package_imports_choice_items_and_skips_text_entry():
    result = formats.parse_bytes("qti", tao_package())
    assert result.errors == [] and result.warnings == []
    assert issues(result.skipped) == [
        "Question 3: items/i-apigw-429.xml: a text entry interaction is not supported; "
        "only choice interactions are imported"
    ]
    lam, gsi = result.data
    # Metadata from the manifest's LOM: key, tags, difficulty, references, domain, task.
    assert lam["key"] == "tao-lambda-reserved-concurrency-cap"
    assert lam["kind"] == "multiple_choice"
    assert lam["tags"] == ["Lambda", "concurrency"]
    assert lam["difficulty"] == "medium"
    assert lam["references"] == [
        "https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html"
    ]
    assert lam["domains"] == {"DVA-C02": "Development with AWS Services"}
    assert lam["task_statements"] == {"DVA-C02": "1.2"}
    # XHTML → Markdown: bold, code block with its language, the prompt after the body, italics.
    assert lam["stem"] == (
        "An AWS Lambda function writes every event it receives to a relational database that "
        "accepts at most **50** connections. During traffic peaks the function scales out and "
        "the database starts refusing connections. The handler opens one connection per "
        "invocation:\n\n"
        "```python\ndef handler(event, context):\n    with connect() as db:\n"
        "        db.insert(event)\n```\n\n"
        "Which change *guarantees* that no more than 50 copies of the function run at the "
        "same time?"
    )
    assert [o["correct"] for o in lam["options"]] == [False, True, False, False]
    assert lam["options"][1] == {
        "text": "Set the function's reserved concurrency to 50",
        "correct": True,
        "rationale": "Reserved concurrency is both the guaranteed share and the maximum number "
        "of concurrent executions.",
    }
    assert lam["explanation"].startswith("Reserved concurrency sets aside concurrency for the")
    assert "`Amazon SQS`" in lam["explanation"]
    # Multiple cardinality with two keys: multiple response; the stem is kept as written.
    assert gsi["kind"] == "multiple_response"
    assert gsi["key"] == "i-ddb-gsi"  # no LOM identifier: the item's slug identifier
    assert gsi["stem"].endswith(
        "Which statements about a **global** secondary index are correct? (Select TWO.)"
    )
    assert [o["correct"] for o in gsi["options"]] == [True, False, False, True, False]
    assert gsi["options"][2]["text"] == (
        "A query on it returns strongly consistent results when `ConsistentRead` is `true`"
    )
    assert gsi["domains"] == {"DVA-C01": "Development with AWS Services"}


def test_qti21_item_file_is_read_and_max_choices_mismatch_is_noted():
    text = (QTI_FILES / "qti21_choice.xml").read_text()
    assert formats.detect_format("upload.xml", text) == "qti"
    result = formats.parse("qti", text)
    assert result.errors == [] and result.skipped == []
    assert issues(result.warnings) == [
        "Question 1 (line 5): max-choices is 3 but 2 options are keyed; "
        "the bank asks for exactly the keyed number"
    ]
    (item,) = result.data
    assert item["key"] == "s3-presigned-put" and item["kind"] == "multiple_response"
    assert "```python\nurl = s3.generate_presigned_url(\n" in item["stem"]
    assert item["stem"].endswith("Which statements about this URL are correct? (Select TWO.)")
    assert [o["correct"] for o in item["options"]] == [False, True, False, True, False]
    assert item["options"][2]["rationale"] == "`ExpiresIn` is in seconds."
    assert item["explanation"].endswith("for *ExpiresIn* seconds.")


def test_select_wording_mismatch_is_reported_by_the_rules():
    text = (QTI_FILES / "qti21_choice.xml").read_text().replace("(Select TWO.)", "(Select THREE.)")
    result = formats.parse("qti", text)
    # A rule problem, not a parse error: the question is read and kept as a draft to review.
    assert result.errors == []
    (question,) = result.questions
    assert "two options are marked correct but the stem says (Select THREE.)" in question.rules


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("<correctResponse>", "<correctResponseX>"), "no correct response"),
        (("<value>D</value>", "<value>Z</value>"), "names Z, not a choice"),
        (('cardinality="multiple"', 'cardinality="ordered"'), "ordered cardinality"),
    ],
)
def test_broken_items_are_named(change, message):
    text = (QTI_FILES / "qti21_choice.xml").read_text()
    old, new = change
    text = text.replace(old, new).replace(old.replace("<", "</"), new.replace("<", "</"))
    result = formats.parse("qti", text)
    assert result.questions == []
    assert message in " ".join(issues(result.errors + result.skipped))


def test_export_writes_a_valid_package_with_everything_the_format_holds():
    rich = mc(
        key="rich-markdown",
        stem=(
            "A developer runs:\n\n```bash\naws s3 cp ./build s3://site --recursive\n```\n\n"
            "Which **two** things happen?\n\n- uploads *every* file\n- keeps `./build`\n\n"
            "1. first\n2. second\n\nWhich option is *most* correct?"
        ),
        domains={"DVA-C01": "Deployment", "DVA-C02": "Deployment"},
        task_statements={"DVA-C02": "3.4"},
        difficulty="hard",
        tags=["S3", "CLI"],
    )
    rich["options"][0]["rationale"] = 'First paragraph.\n\n```json\n{"a": 1}\n```'
    rich["options"][1]["text"] = "Use `--dryrun` with a [link](https://docs.aws.amazon.com/cli/)"
    package = formats.export("qti", [rich, mr()])
    files = members(package)
    assert sorted(files) == ["imsmanifest.xml", "items/mr-example.xml", "items/rich-markdown.xml"]
    assert qti_schemas.errors(qti_schemas.qti3_manifest(), files["imsmanifest.xml"]) == []
    for name in ("items/mr-example.xml", "items/rich-markdown.xml"):
        assert qti_schemas.errors(qti_schemas.qti3_item(), files[name]) == [], name
    item = files["items/mr-example.xml"].decode()
    assert 'cardinality="multiple"' in item and 'max-choices="2"' in item
    assert "<qti-value>A</qti-value>" in item and "<qti-value>B</qti-value>" in item
    assert 'identifier="SCORE"' in item and qti.MATCH_CORRECT in item
    assert "<qti-feedback-inline" in item and "<qti-modal-feedback" in item
    rich_item = files["items/rich-markdown.xml"].decode()
    assert "<qti-feedback-block" in rich_item  # a rationale with a code block
    assert '<code class="language-bash">' in rich_item
    back = formats.parse("qti", package)
    assert back.errors == [] and back.warnings == []
    for before, after in zip([rich, mr()], back.data, strict=True):
        assert formats.held_by_format("qti", after) == formats.held_by_format("qti", before)


def test_holds_says_what_stays_in_the_bank():
    holds = formats.FORMATS["qti"].holds
    assert {"key", "options.rationale", "explanation", "references", "tags"} <= holds
    assert {"domains.DVA-C01", "domains.DVA-C02", "task_statements", "difficulty"} <= holds
    assert not {"enemies", "reviews", "reviewed_on", "is_pretest"} & holds


def test_seed_bank_to_qti_to_bank_keeps_what_qti_holds(seed_questions):
    package = formats.export("qti", seed_questions)
    result = formats.parse_bytes("qti", package)
    assert result.errors == [] and result.skipped == [] and result.warnings == []
    assert len(result.data) == len(seed_questions)
    for before, after in zip(seed_questions, result.data, strict=True):
        assert formats.held_by_format("qti", after) == formats.held_by_format("qti", before)


def test_seed_bank_export_validates_against_the_xsds(seed_questions):
    files = members(formats.export("qti", seed_questions))
    assert qti_schemas.errors(qti_schemas.qti3_manifest(), files.pop("imsmanifest.xml")) == []
    assert len(files) == len(seed_questions)
    invalid = {
        name: problems
        for name, body in files.items()
        if (problems := qti_schemas.errors(qti_schemas.qti3_item(), body))
    }
    assert invalid == {}


def test_qti_to_bank_to_qti_gives_the_same_items(seed_questions):
    first = members(formats.export("qti", seed_questions))
    again = members(formats.export("qti", formats.parse_bytes("qti", _zip(first)).data))
    assert sorted(again) == sorted(first)
    for name in first:
        assert again[name] == first[name], name


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, body in files.items():
            package.writestr(name, body)
    return buffer.getvalue()


def test_a_lone_manifest_or_foreign_xml_is_explained():
    manifest = (QTI_FILES / "tao_package" / "imsmanifest.xml").read_text()
    assert "upload the whole package" in issues(formats.parse("qti", manifest).errors)[0]
    other = '<?xml version="1.0"?><assessmentItem identifier="x"/>'
    assert "not a QTI 3.0 or 2.1 assessment item" in issues(formats.parse("qti", other).errors)[0]


def test_detection_tells_qti_from_moodle_xml():
    item = (QTI_FILES / "tao_package" / "items" / "i-ddb-gsi.xml").read_text()
    assert formats.detect_format("item.xml", item) == "qti"
    assert formats.detect_format("quiz.xml", "<?xml version='1.0'?>\n<quiz></quiz>") == "moodle_xml"
    text21 = (QTI_FILES / "qti21_choice.xml").read_text()
    assert formats.detect_format("item.xml", text21) == "qti"


@pytest.mark.parametrize(
    "stem",
    [
        "# Heading\n\nText with **bold** and *em* and `code`.",
        "| a | b |\n| --- | --- |\n| 1 | 2 |\n\nWhich one?",
        "> quoted line\n> second\n\nWhich one?",
        "Para line\nsoft break\n\nWhich one?",
        "- one\n  - nested\n- two\n\nWhich one?",
        "1. first\n2. second\n\nWhich one?",
        "Line one\\\nline two\n\nWhich one?",
        "See [docs](https://docs.aws.amazon.com/) now. Which one?",
        "Use a_b and 2 * 3 and <tag> & amp. Which one?",
        "```\nno language\n```\n\nWhich one?",
        "Code with ``a`b`` inside. Which one?",
    ],
)
def test_markdown_survives_bank_to_qti_to_bank(stem):
    package = formats.export("qti", [mc(stem=stem)])
    files = members(package)
    assert qti_schemas.errors(qti_schemas.qti3_item(), files["items/mc-example.xml"]) == []
    assert formats.parse("qti", package).data[0]["stem"] == stem


def test_pretty_printed_xhtml_reads_as_a_browser_shows_it():
    result = formats.parse_bytes("qti", tao_package())
    assert "\n" not in result.data[1]["stem"].split("\n\n")[0]  # indentation is layout


def test_qti21_package_with_ims_md_12_metadata():
    root = QTI_FILES / "qti21_package"
    manifest = (root / "imsmanifest.xml").read_bytes()
    assert qti_schemas.errors(qti_schemas.cp11_manifest(), manifest) == []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for path in sorted(root.glob("*.xml")):
            package.write(path, path.name)
    result = formats.parse_bytes("qti", buffer.getvalue())
    assert result.errors == []
    (item,) = result.data
    assert item["key"] == "s3-presigned-put" and item["kind"] == "multiple_response"
    assert item["domains"] == {"DVA-C02": "Development with AWS Services"}
    assert item["tags"] == ["S3"] and item["difficulty"] == "easy"


def test_keyless_questions_stay_keyless_and_odd_keys_survive():
    questions = [mc(key=None), mr(key="2fa-first-digit")]
    package = formats.export("qti", questions)
    assert sorted(members(package)) == ["imsmanifest.xml", "items/item-1.xml", "items/item-2.xml"]
    back = formats.parse_bytes("qti", package).data
    assert [q["key"] for q in back] == [None, "2fa-first-digit"]


def test_qti21_export_validates_and_reads_back(seed_questions):
    rich = mc(key="rich", stem="Run:\n\n```bash\nls\n```\n\nWhich **one**?")
    rich["options"][0]["rationale"] = "Two\n\nparagraphs."
    questions = [rich, mr(), *seed_questions[:40]]
    files = members(formats.export("qti21", questions))
    assert qti_schemas.errors(qti_schemas.cp11_manifest(), files["imsmanifest.xml"]) == []
    assert b'type="imsqti_item_xmlv2p1"' in files["imsmanifest.xml"]
    for name, body in files.items():
        if name != "imsmanifest.xml":
            assert qti_schemas.errors(qti_schemas.qti21_item(), body) == [], name
    assert b"<feedbackBlock" in files["items/rich.xml"]
    back = formats.parse_bytes("qti21", formats.export("qti21", questions))
    assert back.errors == [] and back.warnings == []
    for before, after in zip(questions, back.data, strict=True):
        assert formats.held_by_format("qti21", after) == formats.held_by_format("qti21", before)
