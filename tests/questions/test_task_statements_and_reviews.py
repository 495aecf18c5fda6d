"""Task statements, enemies, reviews and the due-for-review list, through the real pages."""

import csv
import datetime
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from questions.models import Question, QuestionReview, TaskStatement
from questions.services import (
    bank_import,
    question_as_data,
    question_create,
    question_delete,
    question_set_enemies,
    question_update,
)
from tests.factories.questions import (
    C02_TASK_CODES,
    make_question,
    question_data,
    question_form_post,
)

pytestmark = pytest.mark.django_db

REVIEW = {
    "reviewer": "second reader",
    "verdict": "accepted_with_changes",
    "notes": "Tightened the key.",
    "date": "2026-12-02",
}


def _statement(code: str) -> TaskStatement:
    return TaskStatement.objects.get(guide__code="DVA-C02", code=code)


def test_thirteen_dva_c02_task_statements_ship_and_dva_c01_has_none():
    statements = TaskStatement.objects.select_related("domain")
    assert [t.code for t in statements] == C02_TASK_CODES
    assert {t.guide.code for t in statements} == {"DVA-C02"}
    assert _statement("2.3").domain.name == "Security"
    assert all(t.skills for t in statements)


def test_a_task_statement_of_another_domain_is_refused_with_a_clear_message():
    data = question_data(domain="Security", task_statement="1.2")
    with pytest.raises(Exception, match="task statement 1.2 belongs to Development"):
        question_create(data=data, status="draft")


def test_one_guide_is_enough_and_an_out_of_scope_item_can_be_dva_c01_only():
    data = question_data(domain="Security")
    data["domains"] = {"DVA-C01": "Security"}
    data["task_statements"] = {}
    question = question_create(data=data, status="published")
    assert [link.guide.code for link in question.domain_links.all()] == ["DVA-C01"]
    data = question_data(domain="Security")
    data["domains"] = {"DVA-C02": "Security"}
    question = question_create(data=data, status="published")
    assert question_as_data(question)["task_statements"] == {"DVA-C02": "2.1"}


def test_a_published_dva_c02_question_needs_its_task_statement():
    data = question_data(domain="Security")
    data["task_statements"] = {}
    with pytest.raises(Exception, match="DVA-C02 task statement is missing"):
        question_create(data=data, status="published")
    assert question_create(data=data, status="draft").status == "draft"


def test_import_resolves_enemies_after_every_question_is_written():
    first, second = question_data(), question_data()
    first["enemies"] = [second["key"]]  # a key further on in the same file
    report = bank_import(questions=[(1, first), (2, second)])
    assert report.errors == []
    a, b = Question.objects.get(key=first["key"]), Question.objects.get(key=second["key"])
    assert list(a.enemies.all()) == [b] and list(b.enemies.all()) == [a]


def test_an_unknown_enemy_key_is_an_import_error_and_nothing_is_written():
    data = question_data()
    data["enemies"] = ["no-such-question"]
    with pytest.raises(Exception, match="enemy 'no-such-question' is not a question key"):
        bank_import(questions=[(1, data)])
    assert not Question.objects.exists()
    report = bank_import(questions=[(1, data)], atomic=False)
    assert report.errors == ["Question 1: enemy 'no-such-question' is not a question key."]


def test_loading_the_same_reviews_again_duplicates_nothing():
    data = {**question_data(), "reviewed_on": "2026-12-02", "reviews": [REVIEW]}
    bank_import(questions=[(1, data)], status="published", update_by_key=True)
    bank_import(questions=[(1, data)], status="published", update_by_key=True)
    question = Question.objects.get()
    assert question.versions.count() == 1
    assert QuestionReview.objects.count() == 1
    review = QuestionReview.objects.get()
    assert review.version == question.current_version
    assert question.reviewed_on == datetime.date(2026, 12, 2)


def test_a_question_with_reviews_can_still_be_deleted(client, instructor):
    question = question_create(data={**question_data(), "reviews": [REVIEW]}, status="draft")
    client.force_login(instructor)
    client.post(reverse("questions:delete", args=[question.pk]))
    assert not Question.objects.exists()


def test_history_shows_the_reviews_with_their_versions(client, instructor):
    question = question_create(data={**question_data(), "reviews": [REVIEW]}, status="published")
    data = question_as_data(question)
    data["stem"] += " (edited)"
    data["reviews"] = [{**REVIEW, "verdict": "accepted", "notes": "Checked v2."}]
    question_update(question=question, data=data)
    client.force_login(instructor)
    body = client.get(reverse("questions:detail", args=[question.pk])).content.decode()
    assert "Accepted with changes</span> by second reader on 2026-12-02 (v1)" in body
    assert "Accepted</span> by second reader on 2026-12-02 (v2)" in body
    assert "Checked v2." in body and "Tightened the key." in body


def test_bank_list_filters_by_task_statement(client, instructor):
    lambda_item = make_question(domain="Development with AWS Services", task_statement="1.2")
    make_question(domain="Development with AWS Services", task_statement="1.3")
    make_question(domain="Security")
    client.force_login(instructor)
    response = client.get(reverse("questions:list"), {"task_statement": _statement("1.2").pk})
    assert [q.key for q in response.context["page"]] == [lambda_item.key]
    assert "1.2 Develop code for AWS Lambda" in response.content.decode()
    bad = client.get(reverse("questions:list"), {"task_statement": "one-two"})
    assert bad.status_code == 400 and "task_statement" in bad.content.decode()


def test_coverage_lists_published_questions_per_task_statement(client, instructor):
    for _ in range(2):
        make_question(domain="Security", task_statement="2.2")
    make_question(domain="Security", task_statement="2.2", status="draft")
    client.force_login(instructor)
    response = client.get(reverse("questions:coverage"))
    c02 = next(g for g in response.context["coverage"] if g.guide.code == "DVA-C02")
    counts = {t.statement.code: t.published for t in c02.task_statements}
    assert counts["2.2"] == 2 and counts["1.1"] == 0 and len(counts) == 13
    assert not next(t for t in c02.task_statements if t.statement.code == "2.2").enough
    body = response.content.decode()
    assert "2.2 Implement encryption by using AWS services" in body and "(below 18)" in body


def test_bank_coverage_command_lists_task_statements(capsys):
    make_question(domain="Security", task_statement="2.1")
    call_command("bank_coverage")
    out = capsys.readouterr().out
    assert "per task statement (at least 18 published)" in out
    assert "2.1  Implement authentication and/or authorization" in out and "BELOW 18" in out


def test_due_for_review_lists_missing_and_old_reviews(client, instructor, settings):
    settings.QUESTION_REVIEW_MAX_AGE_DAYS = 30
    today = datetime.date.today()
    never = make_question()
    old = make_question()
    recent = make_question()
    retired = make_question(status="retired")
    Question.objects.filter(pk=old.pk).update(reviewed_on=today - datetime.timedelta(days=31))
    Question.objects.filter(pk=recent.pk).update(reviewed_on=today - datetime.timedelta(days=30))
    Question.objects.filter(pk=retired.pk).update(reviewed_on=None)
    client.force_login(instructor)
    assert (
        'href="/questions/due-for-review/"'
        in client.get(reverse("questions:list")).content.decode()
    )
    response = client.get(reverse("questions:due_for_review"))
    assert [q.key for q in response.context["page"]] == [never.key, old.key]
    body = response.content.decode()
    assert "more than 30 days ago" in body and "never" in body


def test_students_cannot_see_the_due_for_review_list(client, student):
    client.force_login(student)
    assert client.get(reverse("questions:due_for_review")).status_code == 403


def test_authoring_form_saves_task_statement_reviewed_on_and_enemies(client, instructor):
    other = make_question(domain="Security")
    client.force_login(instructor)
    data = question_data(domain="Security", task_statement="2.3")
    post = question_form_post(data, status="published", reviewed_on="2026-11-30", enemies=other.key)
    response = client.post(reverse("questions:create"), post)
    assert response.status_code == 302
    question = Question.objects.exclude(pk=other.pk).get()
    saved = question_as_data(question)
    assert saved["task_statements"] == {"DVA-C02": "2.3"}
    assert saved["reviewed_on"] == "2026-11-30"
    assert saved["enemies"] == [other.key]
    edit = client.get(reverse("questions:edit", args=[question.pk])).content.decode()
    assert f'value="{other.key}"' in edit and 'value="2026-11-30"' in edit


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"task_statement_DVA-C02": "1.2"}, "id_task_statement_DVA-C02", "belongs to"),
        ({"task_statement_DVA-C02": "9.9"}, "id_task_statement_DVA-C02", "not one of"),
        ({"enemies": "no-such-key"}, "id_enemies", "No question has the key"),
        ({"enemies": "bad key!"}, "id_enemies", "Not a question key"),
        ({"reviewed_on": "yesterday"}, "id_reviewed_on", "Enter a valid date"),
        # A draft may lack a domain (it needs review); publishing needs one.
        (
            {"domain_DVA-C01": "", "domain_DVA-C02": "", "status": "published"},
            "id_domain_DVA-C01",
            "at least one exam guide to publish",
        ),
    ],
)
def test_authoring_form_refuses_bad_values_on_their_fields(
    client, instructor, changes, field, message
):
    client.force_login(instructor)
    data = question_data(domain="Security", task_statement="2.1")
    response = client.post(reverse("questions:create"), question_form_post(data, **changes))
    assert response.status_code == 200
    assert any(target == field and message in text for target, text in response.context["errors"])
    assert not Question.objects.exists()


def _contents() -> dict:
    return {
        q.key: question_as_data(q)
        for q in Question.objects.prefetch_related(
            "current_version__options", "domain_links__guide", "domain_links__domain", "tags"
        )
    }


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_and_import_keep_task_statements_enemies_and_reviews(client, instructor, fmt):
    a = question_create(
        data={
            **question_data(domain="Security", task_statement="2.2"),
            "reviewed_on": "2026-12-02",
            "reviews": [
                REVIEW,
                {**REVIEW, "verdict": "rejected", "notes": "", "date": "2026-11-01"},
            ],
            "difficulty": "hard",
        },
        status="published",
    )
    b = make_question(domain="Deployment", kind="multiple_response", task_statement="3.4")
    c01_only = question_data(domain="Refactoring")
    c01_only["domains"] = {"DVA-C01": "Refactoring"}
    c01_only["task_statements"] = {}
    question_create(data=c01_only, status="published")
    question_set_enemies(question=a, keys=[b.key])
    before = _contents()
    assert before[a.key]["enemies"] == [b.key] and len(before[a.key]["reviews"]) == 2
    client.force_login(instructor)
    body = client.get(reverse("questions:export"), {"format": fmt}).content
    for question in Question.objects.all():
        client.post(reverse("questions:delete", args=[question.pk]))
    assert not Question.objects.exists()
    upload = SimpleUploadedFile(f"export.{fmt}", body)
    response = client.post(reverse("questions:import"), {"file": upload, "status": "published"})
    assert response.status_code == 200
    assert Question.objects.published().count() == 3
    assert _contents() == before


def test_csv_refuses_a_reviews_cell_that_is_not_json(client, instructor):
    make_question()
    client.force_login(instructor)
    body = client.get(reverse("questions:export"), {"format": "csv"}).content.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    rows[0]["reviews"] = "not json"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    broken = out.getvalue()
    for question in Question.objects.all():
        question_delete(question=question)
    upload = SimpleUploadedFile("broken.csv", broken.encode())
    response = client.post(reverse("questions:import"), {"file": upload, "status": "draft"})
    assert "reviews must be a JSON list" in response.content.decode()
    assert not Question.objects.exists()


def test_json_export_writes_the_review_fields():
    question = question_create(
        data={**question_data(), "reviewed_on": "2026-12-02", "reviews": [REVIEW]},
        status="published",
    )
    from questions import formats

    (exported,) = json.loads(formats.export("json", [question_as_data(question)]))["questions"]
    assert exported["task_statements"] == {"DVA-C02": "3.1"}
    assert exported["reviewed_on"] == "2026-12-02" and exported["reviews"] == [REVIEW]
