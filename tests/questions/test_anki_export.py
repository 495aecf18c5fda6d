"""Anki packages: read back as a zip holding `collection.anki2` (SQLite), as Anki reads them."""

from __future__ import annotations

import io
import json
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse

from core.errors import ApplicationError
from questions.formats import anki
from questions.models import Question
from questions.services import question_as_data, question_set_status, question_update
from tests.factories.questions import make_question

pytestmark = pytest.mark.django_db


def read_apkg(body: bytes) -> dict:
    """Return the notes (by key), the models and the decks of an .apkg."""
    with zipfile.ZipFile(io.BytesIO(body)) as package:
        assert "collection.anki2" in package.namelist()
        collection = package.read("collection.anki2")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "collection.anki2"
        path.write_bytes(collection)
        with sqlite3.connect(path) as db:
            notes = db.execute("SELECT guid, mid, tags, flds FROM notes").fetchall()
            cards = db.execute("SELECT did FROM cards").fetchall()
            models, decks = db.execute("SELECT models, decks FROM col").fetchone()
    by_key = {}
    for guid, mid, tags, flds in notes:
        fields = dict(zip(anki.FIELDS, flds.split("\x1f"), strict=True))
        by_key[fields["Key"]] = {"guid": guid, "mid": mid, "tags": tags.split(), **fields}
    return {
        "notes": by_key,
        "card_decks": {did for (did,) in cards},
        "models": json.loads(models),
        "decks": json.loads(decks),
    }


def package_of(*questions: Question, deck_name: str = "Test deck") -> dict:
    body = anki.anki_package_for_queryset(
        questions=Question.objects.filter(pk__in=[q.pk for q in questions]).order_by("key"),
        deck_name=deck_name,
    )
    return read_apkg(body)


def test_a_note_holds_stem_lettered_options_answer_explanation_rationales_and_tags():
    mc = make_question(domain="Security")
    mr = make_question(domain="Deployment", kind="multiple_response")
    deck = package_of(mc, mr)

    assert len(deck["notes"]) == 2
    note = deck["notes"][mc.key]
    version = mc.current_version
    options = list(version.options.order_by("position"))
    assert note["Stem"] == version.stem_html
    for letter, option in zip("ABCD", options, strict=True):
        assert f'<span class="letter">{letter}.</span>{option.text_html}' in note["Options"]
    right = next(i for i, o in enumerate(options) if o.is_correct)
    assert f'<div class="letters">{"ABCD"[right]}</div>' in note["Answer"]
    assert options[right].text_html in note["Answer"]
    assert note["Explanation"] == version.explanation_html
    assert "It works." in note["Rationales"] and "Incorrect." in note["Rationales"]
    assert (
        '<a href="https://docs.aws.amazon.com/example/latest/guide/page.html">'
        in (note["References"])
    )
    assert "DVA-C01::Security" in note["tags"]
    assert "DVA-C02::task_2.1" in note["tags"]
    assert "DVA-C02::Security" in note["tags"]
    assert "AWS::S3" in note["tags"]

    # Multiple response: both keys with their text, and "(Select TWO.)" as the stem says it.
    note = deck["notes"][mr.key]
    options = list(mr.current_version.options.order_by("position"))
    letters = [letter for letter, o in zip("ABCDE", options, strict=True) if o.is_correct]
    assert len(letters) == 2
    assert f'<div class="letters">{", ".join(letters)}</div>' in note["Answer"]
    for option in options:
        assert (option.text_html in note["Answer"]) == option.is_correct
    assert "(Select TWO.)" in note["Stem"]
    assert "multiple_response" in note["tags"]


def test_ids_are_stable_so_a_re_import_updates_the_same_notes():
    question = make_question()
    first = package_of(question, deck_name="Stable deck")
    data = question_as_data(question)
    question_update(
        question=question, data={**data, "explanation": "A better explanation."}, user=None
    )
    question.refresh_from_db()
    second = package_of(question, deck_name="Stable deck")

    old, new = first["notes"][question.key], second["notes"][question.key]
    assert old["guid"] == new["guid"]
    assert new["Explanation"] != old["Explanation"]
    assert "A better explanation." in new["Explanation"]
    # The note type's and the deck's ids are fixed, not random.
    assert old["mid"] == new["mid"] == anki.MODEL_ID == anki.stable_id(anki.MODEL_NAME)
    assert str(anki.MODEL_ID) in first["models"] and str(anki.MODEL_ID) in second["models"]
    deck_id = anki.deck_id_for("Stable deck")
    assert first["card_decks"] == second["card_decks"] == {deck_id}
    assert first["decks"][str(deck_id)]["name"] == "Stable deck"


def test_markdown_html_reaches_the_card_escaped():
    question = make_question(
        stem="Scenario <script>alert(1)</script>: which [link](javascript:alert(2)) service?"
    )
    note = package_of(question)["notes"][question.key]
    body = "".join(note[field] for field in anki.FIELDS)
    assert "<script" not in body
    assert 'href="javascript:' not in body  # markdown-it leaves it as text
    assert "&lt;script&gt;" in note["Stem"]


def test_empty_and_oversized_decks_are_refused(monkeypatch):
    with pytest.raises(ApplicationError, match="no questions"):
        anki.anki_package_for_questions(question_ids=[], deck_name="Mine")
    questions = [make_question() for _ in range(3)]
    monkeypatch.setattr(anki, "MAX_ANKI_QUESTIONS", 2)
    with pytest.raises(ApplicationError, match="at most 2 questions .* match 3"):
        package_of(*questions)


def test_student_helper_keeps_current_published_versions_only():
    published = make_question()
    draft = make_question(status=Question.Status.DRAFT)
    retired = make_question()
    question_set_status(question=retired, status=Question.Status.RETIRED, user=None)
    body = anki.anki_package_for_questions(
        question_ids=[published.pk, draft.pk, retired.pk, 987654], deck_name="My review deck"
    )
    deck = read_apkg(body)
    assert set(deck["notes"]) == {published.key}
    assert deck["card_decks"] == {anki.deck_id_for("My review deck")}


def test_instructor_downloads_the_filtered_questions(client, instructor, student):
    make_question(domain="Security")
    make_question(domain="Deployment", status=Question.Status.DRAFT)
    url = reverse("questions:export_anki")
    client.force_login(student)
    assert client.get(url).status_code == 403

    client.force_login(instructor)
    response = client.get(url, {"status": "published"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/apkg"
    assert response["Content-Disposition"] == (
        'attachment; filename="aws-developer-practice-questions.apkg"'
    )
    assert len(read_apkg(response.content)["notes"]) == 1

    response = client.get(url, {"status": "nonsense"})
    assert response.status_code == 400
    assert "status" in response.content.decode()

    response = client.get(url, {"status": "retired"})  # nothing matches
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("questions:list"))
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ["There are no questions to export."]


def test_bulk_action_exports_the_ticked_questions(client, instructor):
    a, b, c = make_question(), make_question(), make_question()
    client.force_login(instructor)
    page = client.get(reverse("questions:list")).content.decode()
    assert '<option value="anki">Export as Anki deck (.apkg)</option>' in page

    response = client.post(
        reverse("questions:bulk"), {"action": "anki", "selected": [a.pk, c.pk], "query": ""}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert set(read_apkg(response.content)["notes"]) == {a.key, c.key}
    assert Question.objects.get(pk=b.pk).status == Question.Status.PUBLISHED

    response = client.post(reverse("questions:bulk"), {"action": "anki", "query": "kind=x"})
    assert response.status_code == 302
    assert response["Location"] == reverse("questions:list") + "?kind=x"


def test_bulk_export_needs_the_export_permission(client, instructor):
    question = make_question()
    instructor.user_permissions.clear()
    for group in instructor.groups.all():
        instructor.groups.remove(group)
    from django.contrib.auth.models import Permission

    instructor.user_permissions.add(
        *Permission.objects.filter(codename__in=["author_question", "publish_question"])
    )
    client.force_login(instructor)
    response = client.post(reverse("questions:bulk"), {"action": "anki", "selected": [question.pk]})
    assert response.status_code == 403


def test_command_writes_the_package(tmp_path):
    published = make_question()
    make_question(status=Question.Status.DRAFT)
    out = tmp_path / "bank.apkg"
    stdout = io.StringIO()
    call_command("export_anki", "--status", "published", "--out", str(out), stdout=stdout)
    assert "Wrote" in stdout.getvalue()
    assert set(read_apkg(out.read_bytes())["notes"]) == {published.key}

    call_command("export_anki", "--guide", "DVA-C02", "--out", str(out), stdout=stdout)
    assert len(read_apkg(out.read_bytes())["notes"]) == 2

    with pytest.raises(CommandError, match="no questions"):
        call_command("export_anki", "--guide", "NOPE", "--out", str(out))
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("export_anki", "--out", str(tmp_path / "missing" / "x.apkg"))


def test_the_number_of_queries_does_not_grow_with_the_deck():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    questions = [make_question(kind=k) for k in ("multiple_choice", "multiple_response") * 3]
    counts = []
    for chosen in (questions[:2], questions):
        with CaptureQueriesContext(connection) as queries:
            package_of(*chosen)
        counts.append(len(queries))
    assert counts[0] == counts[1]
