"""Pretest items in the bank: promotion with an audit event, History, JSON/CSV import/export."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.errors import ApplicationError
from questions import formats
from questions.models import Question, QuestionEvent
from questions.services import bank_import, question_as_data, question_promote
from tests.factories.accounts import UserFactory
from tests.factories.questions import make_question, question_data

pytestmark = pytest.mark.django_db


def test_promotion_clears_the_flag_and_writes_one_event():
    instructor = UserFactory(role="Instructor")
    q = make_question()
    Question.objects.filter(pk=q.pk).update(is_pretest=True)
    question_promote(question=q, user=instructor, detail={"run": 3, "n": 250, "a": 1.1, "b": 0.2})
    q.refresh_from_db()
    assert not q.is_pretest
    event = QuestionEvent.objects.get(question=q)
    assert event.kind == "promoted" and event.actor == instructor and event.detail["run"] == 3
    question_promote(question=q, user=instructor)  # again: nothing to do, no second event
    assert QuestionEvent.objects.filter(question=q).count() == 1


def test_only_a_published_pretest_item_can_be_promoted():
    q = make_question(status=Question.Status.DRAFT)
    Question.objects.filter(pk=q.pk).update(is_pretest=True)
    with pytest.raises(ApplicationError, match="only a published pretest item"):
        question_promote(question=q, user=None)
    assert not QuestionEvent.objects.exists()


def test_history_shows_the_promotion(client):
    instructor = UserFactory(role="Instructor")
    q = make_question()
    Question.objects.filter(pk=q.pk).update(is_pretest=True)
    client.force_login(instructor)
    page = client.get(reverse("questions:detail", args=[q.pk])).content.decode()
    assert 'id="pretest-status"' in page
    question_promote(question=q, user=instructor, detail={"run": 7, "n": 220, "a": 0.9, "b": 0.1})
    page = client.get(reverse("questions:detail", args=[q.pk])).content.decode()
    assert "Promoted from pretest to scored" in page
    assert "calibration run 7" in page and instructor.username in page


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_and_import_carry_is_pretest(fmt):
    q = make_question()
    Question.objects.filter(pk=q.pk).update(is_pretest=True)
    q.refresh_from_db()
    text = formats.export(fmt, [question_as_data(q)])
    parsed = formats.parse(fmt, text)
    assert parsed.errors == [] and parsed.data[0]["is_pretest"] is True
    data = parsed.data[0] | {"key": "imported-pretest", "stem": q.current_version.stem + " Copy."}
    report = bank_import(questions=[(1, data)], user=None, status=Question.Status.DRAFT)
    assert report.created == ["imported-pretest"], report
    assert Question.objects.get(key="imported-pretest").is_pretest


def test_a_scored_item_exports_without_the_flag():
    text = formats.export("json", [question_as_data(make_question())])
    assert "is_pretest" not in text


def test_csv_refuses_a_bad_is_pretest_cell():
    data = question_data()
    text = formats.export("csv", [data])
    header, row = text.strip().split("\r\n")
    assert header.endswith(",is_pretest")
    parsed = formats.parse("csv", f"{header}\r\n{row}perhaps\r\n")
    assert any("is_pretest must be yes or no" in e.message for e in parsed.errors)
