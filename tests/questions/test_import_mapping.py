"""Foreign JSON and CSV files through the import page's mapping step and the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from questions.models import ImportMapping, ImportUpload, Question
from questions.services import question_delete
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "formats" / "files"
AWS_JSON = (FILES / "foreign_aws.json").read_text()
AWS_CSV = (FILES / "foreign_aws.csv").read_text()


def _upload(client, name: str, text: str | bytes, **extra):
    body = text.encode() if isinstance(text, str) else text
    data = {"file": SimpleUploadedFile(name, body), "status": "draft", "format": "", **extra}
    return client.post(reverse("questions:import"), data)


def _rendered_form(response) -> dict:
    """The mapping form's values as the page renders them (what a browser would send)."""
    form = response.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial) if not form.is_bound else form.data.get(name)
        if value in (None, "", False, []):
            continue
        data[name] = value
    return data


@pytest.fixture
def author(client, instructor):
    client.force_login(instructor)
    return client


def test_a_foreign_json_set_imports_through_the_mapping_step(author, instructor):
    response = _upload(author, "acme-aws.json", AWS_JSON)
    upload = ImportUpload.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("questions:import_mapping", args=[upload.pk])
    assert not Question.objects.exists()  # nothing yet: the file waits on the server

    page = author.get(response.url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Proposed from the file&#x27;s field names" in html
    form = page.context["form"]
    assert form.initial["stem"] == "question" and form.initial["options"] == ["options"]
    assert form.initial["indices"] == "one" and form.initial["source"] == "acme-aws"
    # The preview shows the first five as they would import, the keys marked.
    preview = page.context["preview"]
    # Question 8's domain ("Databases and Messaging") is no DVA-C02 domain: left empty, which
    # makes it a draft that needs review (a note, not a failure).
    assert preview["total"] == 8 and len(preview["rows"]) == 5 and preview["failing"] == 0
    assert "Outside the handler function, in the initialization code</strong>" in html
    assert 'class="badge text-bg-success">correct</span>' in html
    assert "DVA-C02 Security" in html  # "Domain 2: Security" matched by name
    # Past the five previewed rows, question 8's missing domain is said before the import.
    assert preview["drafts_later"] == 1
    assert (
        "Question 6: the stem did not say how many to select; added (Select TWO.)"
        in (preview["later_notes"])
    )
    assert preview["later_notes"][-1].startswith("Question 8: no domain: it will be a draft")
    assert "Notes further on" in html and "1 more question names no domain" in html

    data = {**_rendered_form(page), "action": "import"}
    data["default_domain"] = "Development with AWS Services"
    done = author.post(response.url, data)
    assert done.status_code == 302, (data, done.context["form"].errors)
    assert done.url == reverse("questions:import")
    assert Question.objects.count() == 8
    assert Question.objects.get(key="acme-aws-108").domain_links.get().domain.name == (
        "Development with AWS Services"
    )
    q = Question.objects.get(key="acme-aws-104")
    assert q.status == Question.Status.DRAFT and q.kind == "multiple_response"
    assert sorted(o.text for o in q.current_version.options.all() if o.is_correct) == [
        "AWS Secrets Manager",
        "AWS Systems Manager Parameter Store with a SecureString parameter",
    ]
    assert not ImportUpload.objects.exists()
    saved = ImportMapping.objects.get()
    assert (saved.name, saved.shape, saved.one_based, saved.guide) == (
        "acme-aws",
        "json",
        True,
        "DVA-C02",
    )
    assert saved.updated_by == instructor
    followed = author.get(done.url).content.decode()
    assert "Imported 8 question(s) from “acme-aws”" in followed
    assert "Remembered field mappings" in followed and "acme-aws" in followed


def test_the_next_upload_from_the_source_is_filled_in_from_the_remembered_mapping(author):
    ImportMapping.objects.create(
        name="Acme CSV",
        shape="csv",
        fields={
            "stem": ["Question"],
            "options": ["Option A", "Option B", "Option C", "Option D", "Option E"],
            "correct": ["Answer"],
            "domain": ["Domain"],
        },
        source_fields=sorted(
            ["Question", "Option A", "Option B", "Option C", "Option D", "Option E"]
            + ["Answer", "Explanation", "Domain"]
        ),
        guide="DVA-C02",
    )
    # Another file name, the same columns: the field set finds the mapping.
    page = author.get(_upload(author, "export-2026-12.csv", AWS_CSV).url)
    assert "Filled in from the remembered mapping “Acme CSV”" in page.content.decode()
    form = page.context["form"]
    assert form.initial["source"] == "Acme CSV" and "explanation" not in form.initial
    assert form.initial["guide"] == "DVA-C02"
    # Naming the source and asking for its mapping fills it in as well.
    url = page.request["PATH_INFO"]
    loaded = author.post(url, {"source": "acme csv", "action": "load"})
    assert loaded.context["form"].initial["correct"] == "Answer"
    missing = author.post(url, {"source": "Nobody", "action": "load"})
    assert "No mapping is remembered under “Nobody”" in missing.content.decode()
    # Adding the explanation and importing updates the remembered mapping.
    data = {**_rendered_form(page), "explanation": "Explanation", "action": "import"}
    assert author.post(url, data).status_code == 302
    assert Question.objects.count() == 5
    saved = ImportMapping.objects.get()
    assert saved.fields["explanation"] == ["Explanation"]
    assert Question.objects.filter(
        current_version__explanation__startswith="A presigned URL"
    ).exists()


def test_a_mapping_with_problems_is_shown_with_them_and_writes_nothing(author):
    url = _upload(author, "acme.json", AWS_JSON).url
    page = author.get(url)
    base = _rendered_form(page)
    # The index base cleared: numbers in "correct" need it.
    response = author.post(url, {**base, "indices": "", "action": "import"})
    assert response.status_code == 200
    assert "say whether the first option is 0 or 1" in response.content.decode()
    # Zero-based: question 5's [4] is out of range, so all or nothing refuses the file.
    response = author.post(url, {**base, "indices": "zero", "action": "import"})
    html = response.content.decode()
    assert "Nothing was imported: 1 question(s) have errors" in html
    assert "the correct answer 4 is out of range: the question has 4 options" in html
    assert not Question.objects.exists() and not ImportMapping.objects.exists()
    # The stem and options are required.
    response = author.post(url, {**base, "stem": "", "options": [], "action": "preview"})
    errors = response.context["form"].errors
    assert "choose the field that holds the stem" in errors["stem"]
    assert "choose the field that holds the options" in errors["options"]
    # A field the file does not have (a hand-edited POST) is refused by the form.
    response = author.post(url, {**base, "explanation": "secret", "action": "import"})
    assert "Select a valid choice" in str(response.context["form"].errors["explanation"])
    # Importing the valid ones keeps the others out and says so.
    response = author.post(
        url, {**base, "indices": "zero", "import_valid_only": "on", "action": "import"}
    )
    assert response.status_code == 302
    # Question 5 (out of range) is left out; question 8 (no domain) is a draft to review.
    assert Question.objects.count() == 7
    assert Question.objects.filter(needs_review=True, domain_links__isnull=True).count() == 1


def test_another_users_upload_does_not_exist(author, client):
    url = _upload(author, "acme.json", AWS_JSON).url
    other = UserFactory(role="Instructor")
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "import"}).status_code == 404
    assert not Question.objects.exists()


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("big.json", b"[" + b" " * (5 * 1024 * 1024) + b"]", "larger than 2 MB"),
        ("set.json", b'"just a string"', "&quot;questions&quot; must be a list of questions"),
        ("set.json", b'{"questions": 5}', "not a question bank"),
    ],
    ids=["5-MB", "not-a-list", "no-list-inside"],
)
def test_bad_uploads_get_a_clear_message_and_nothing_is_kept(author, name, body, message):
    response = _upload(author, name, body)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportUpload.objects.exists() and not Question.objects.exists()


def test_native_files_still_import_directly(author):
    from tests.factories.questions import question_data

    response = _upload(author, "bank.json", json.dumps([question_data()]))
    assert response.status_code == 200 and Question.objects.count() == 1
    assert not ImportUpload.objects.exists()


# --- The command line ---------------------------------------------------------------------------


def _write(tmp_path, name: str, content) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


MAPPING = {
    "format": "dva-import-mapping",
    "version": 1,
    "fields": {
        "stem": "question",
        "options": "options",
        "correct": "correct",
        "explanation": "explanation",
        "domain": "domain",
        "rationales": "option_explanations",
        "references": "references",
        "tags": "tags",
        "key": "id",
    },
    "indices": "one",
    "guide": "DVA-C02",
    "default_domain": "Development with AWS Services",
}


def test_the_command_imports_with_a_mapping_file_and_remembers_it(tmp_path, capsys):
    data = _write(tmp_path, "acme.json", AWS_JSON)
    call_command(
        "import_questions",
        data,
        "--mapping",
        _write(tmp_path, "m.json", MAPPING),
        "--save-mapping",
        "acme",
    )
    assert Question.objects.count() == 8
    assert Question.objects.filter(key="acme-101").exists()
    out = capsys.readouterr().out
    assert "Imported 8 question(s)" in out and "Mapping remembered as 'acme'." in out
    assert ImportMapping.objects.get().fields["rationales"] == ["option_explanations"]
    # The remembered mapping by name: the same keys again are duplicates, nothing new.
    call_command("import_questions", data, "--source", "acme")
    assert Question.objects.count() == 8


def test_the_command_proposes_a_mapping_for_a_foreign_file(tmp_path):
    with pytest.raises(CommandError) as refused:
        call_command("import_questions", _write(tmp_path, "x.csv", AWS_CSV))
    message = str(refused.value)
    assert "map its fields with --mapping FILE" in message
    proposal = json.loads(message[message.index("{") :])
    assert proposal["fields"]["correct"] == "Answer" and proposal["shape"] == "csv"
    # The proposal, saved as it is, is a working mapping file.
    call_command(
        "import_questions",
        _write(tmp_path, "x.csv", AWS_CSV),
        "--mapping",
        _write(tmp_path, "p.json", proposal),
    )
    assert Question.objects.count() == 5


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({**MAPPING, "fields": {**MAPPING["fields"], "stem": "qestion"}}, "no field 'qestion'"),
        ({**MAPPING, "indices": "zero"}, "the correct answer 4 is out of range"),
        ({k: v for k, v in MAPPING.items() if k != "indices"}, None),
        ({**MAPPING, "indices": 1}, '"indices" must be "zero" or "one"'),
        ({**MAPPING, "shape": "csv"}, "the mapping is for CSV files, but the file is JSON"),
        ("[1, 2", "is not valid JSON"),
        ([1, 2], 'must be a JSON object with "fields"'),
    ],
    ids=[
        "missing-field",
        "out-of-range",
        "base-guessed",
        "bad-indices",
        "wrong-shape",
        "broken-json",
        "not-an-object",
    ],
)
def test_a_bad_mapping_is_a_command_error_and_writes_nothing(tmp_path, mapping, message):
    args = (
        "import_questions",
        _write(tmp_path, "acme.json", AWS_JSON),
        "--mapping",
        _write(tmp_path, "m.json", mapping),
    )
    if message is None:  # the control: without "indices" the data's [4] of 4 says one-based
        call_command(*args)
        assert Question.objects.count() == 8
        return
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command(*args)
    assert not Question.objects.exists() and not ImportMapping.objects.exists()


def test_the_command_refuses_bad_input_around_the_mapping(tmp_path):
    data = _write(tmp_path, "acme.json", AWS_JSON)
    with pytest.raises(CommandError, match="no remembered mapping is named 'nobody'"):
        call_command("import_questions", data, "--source", "nobody")
    with pytest.raises(CommandError, match="cannot read the mapping file"):
        call_command("import_questions", data, "--mapping", str(tmp_path / "absent.json"))
    big = _write(tmp_path, "big.json", "[" + " " * (5 * 1024 * 1024) + "]")
    with pytest.raises(CommandError, match="larger than 2 MB"):
        call_command("import_questions", big, "--mapping", _write(tmp_path, "m.json", MAPPING))
    not_list = _write(tmp_path, "n.json", '{"title": "no questions"}')
    with pytest.raises(CommandError, match="holds no list of questions"):
        call_command("import_questions", not_list, "--mapping", _write(tmp_path, "m.json", MAPPING))
    assert not Question.objects.exists() and not ImportMapping.objects.exists()


def test_a_remembered_mapping_downloads_as_a_file_the_command_imports_with(
    author, instructor, tmp_path
):
    url = _upload(author, "acme-aws.json", AWS_JSON).url
    data = {**_rendered_form(author.get(url)), "action": "import"}
    assert author.post(url, data).status_code == 302
    saved = ImportMapping.objects.get()
    page = author.get(reverse("questions:import")).content.decode()
    download_url = reverse("questions:import_mapping_download", args=[saved.pk])
    assert download_url in page and "What maps where (9 fields)" in page
    assert "Rationale per option" in page and "<code>option_explanations</code>" in page

    response = author.get(download_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert 'filename="acme-aws.mapping.json"' in response["Content-Disposition"]
    mapping_file = json.loads(response.content)
    assert mapping_file["shape"] == "json" and mapping_file["indices"] == "one"
    assert mapping_file["fields"]["stem"] == "question"
    # The downloaded file imports the same source from the command line: a fresh bank gets
    # the same eight questions with the same keys and keys marked.
    before = {
        q.key: sorted(o.text for o in q.current_version.options.all() if o.is_correct)
        for q in Question.objects.all()
    }
    for question in Question.objects.all():
        question_delete(question=question)
    call_command(
        "import_questions",
        _write(tmp_path, "acme-aws.json", AWS_JSON),
        "--mapping",
        _write(tmp_path, "acme-aws.mapping.json", response.content.decode()),
    )
    after = {
        q.key: sorted(o.text for o in q.current_version.options.all() if o.is_correct)
        for q in Question.objects.all()
    }
    assert after == before and len(after) == 8


def test_forgetting_a_remembered_mapping_asks_first(author, tmp_path):
    url = _upload(author, "acme-aws.json", AWS_JSON).url
    assert author.post(url, {**_rendered_form(author.get(url)), "action": "import"}).status_code
    saved = ImportMapping.objects.get()
    delete_url = reverse("questions:import_mapping_delete", args=[saved.pk])
    ask = author.get(delete_url)
    html = ask.content.decode()
    assert ask.status_code == 200 and "Forget the mapping “acme-aws”?" in html
    assert "&quot;stem&quot;: &quot;question&quot;" in html  # the mapping, as its file holds it
    assert ImportMapping.objects.exists()  # asking deletes nothing
    done = author.post(delete_url, follow=True)
    assert done.redirect_chain[-1][0] == reverse("questions:import")
    assert "The mapping “acme-aws” is forgotten" in done.content.decode()
    assert not ImportMapping.objects.exists()
    # The next file from the source gets a fresh proposal.
    page = author.get(_upload(author, "acme-aws.json", AWS_JSON).url)
    assert "Proposed from the file&#x27;s field names" in page.content.decode()
    assert author.get(delete_url).status_code == 404


def test_students_cannot_read_or_forget_remembered_mappings(client, student):
    saved = ImportMapping.objects.create(
        name="acme", shape="json", fields={"stem": ["question"]}, guide="DVA-C02"
    )
    client.force_login(student)
    for name in ("questions:import_mapping_download", "questions:import_mapping_delete"):
        assert client.get(reverse(name, args=[saved.pk])).status_code == 403
    assert (
        client.post(reverse("questions:import_mapping_delete", args=[saved.pk])).status_code == 403
    )
    assert ImportMapping.objects.exists()
