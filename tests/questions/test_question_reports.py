"""questions.reports: create (validation, one open report per student and question), resolve."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from core.errors import ApplicationError
from questions.models import QuestionReport
from questions.reports import (
    report_create,
    report_resolve,
    reports_for_reporter,
    reports_mark_seen,
)
from questions.services import question_as_data, question_update
from tests.factories.questions import make_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def question(instructor):
    return make_question(author=instructor)


def _report(student, question, **kw):
    kw.setdefault("category", QuestionReport.Category.KEY_WRONG)
    return report_create(reporter=student, version_id=question.current_version_id, **kw)


def test_a_report_records_the_version_seen_and_starts_open(student, question):
    report = _report(student, question, text="  B is right per the docs.  ")
    assert report.status == QuestionReport.Status.OPEN
    assert report.version_id == question.current_version_id
    assert report.question_id == question.pk
    assert report.text == "B is right per the docs."
    assert report.resolved_at is None and report.resolved_by is None


def test_a_second_open_report_on_the_same_question_is_refused_clearly(student, question):
    _report(student, question)
    with pytest.raises(ApplicationError, match="already have an open report"):
        _report(student, question, category=QuestionReport.Category.TYPO)
    assert QuestionReport.objects.count() == 1


def test_the_database_keeps_one_open_report_per_student_and_question(student, question):
    first = _report(student, question)
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionReport.objects.create(
            reporter=student,
            question=question,
            version_id=first.version_id,
            category=QuestionReport.Category.TYPO,
        )


def test_after_an_answer_the_student_may_report_again(student, other_student, instructor, question):
    first = _report(student, question)
    report_resolve(report_id=first.pk, user=instructor, status="rejected", reply="It is right.")
    again = _report(student, question, category=QuestionReport.Category.UNCLEAR)
    assert again.pk != first.pk
    assert _report(other_student, question).pk  # another student is independent


@pytest.mark.parametrize(
    ("category", "text", "field"),
    [
        ("other", "", "text"),
        ("other", "   ", "text"),
        ("nonsense", "x", "category"),
        ("typo", "x" * (QuestionReport.TEXT_MAX + 1), "text"),
    ],
)
def test_bad_reports_are_refused_on_their_field(student, question, category, text, field):
    with pytest.raises(ApplicationError) as exc:
        _report(student, question, category=category, text=text)
    assert field in exc.value.message_dict
    assert not QuestionReport.objects.exists()


def test_other_with_text_is_accepted(student, question):
    assert _report(student, question, category="other", text="The diagram is missing.").pk


def test_reject_needs_a_reply_and_records_who_and_when(student, instructor, question):
    report = _report(student, question)
    with pytest.raises(ApplicationError) as exc:
        report_resolve(report_id=report.pk, user=instructor, status="rejected", reply="  ")
    assert "reply" in exc.value.message_dict
    report.refresh_from_db()
    assert report.status == "open"
    done = report_resolve(
        report_id=report.pk, user=instructor, status="rejected", reply="The key is C: see docs."
    )
    assert done.status == "rejected"
    assert done.resolved_by == instructor and done.resolved_at is not None
    assert done.reply == "The key is C: see docs."
    assert done.reporter_seen_at is None


def test_accept_without_a_reply_and_no_second_resolution(student, instructor, question):
    report = _report(student, question)
    done = report_resolve(report_id=report.pk, user=instructor, status="accepted")
    assert done.status == "accepted" and done.reply == ""
    with pytest.raises(ApplicationError, match="already accepted"):
        report_resolve(report_id=report.pk, user=instructor, status="rejected", reply="No.")
    with pytest.raises(ApplicationError):
        report_resolve(report_id=10**9, user=instructor, status="accepted")


def test_resolve_refuses_an_unknown_status(student, instructor, question):
    report = _report(student, question)
    with pytest.raises(ApplicationError):
        report_resolve(report_id=report.pk, user=instructor, status="open")


def test_the_reported_version_is_kept_when_the_question_changes(student, instructor, question):
    report = _report(student, question)
    data = question_as_data(question)
    data["explanation"] += " Corrected."
    question_update(question=question, data=data, user=instructor, change_note="fix")
    question.refresh_from_db()
    report.refresh_from_db()
    assert report.version_id != question.current_version_id
    assert report.version.number == 1


def test_unread_answers_come_first_and_are_marked_seen_only_for_the_reporter(
    student, other_student, instructor, question
):
    other_q = make_question(author=instructor)
    older = _report(student, question)
    newer = _report(student, other_q)
    report_resolve(report_id=older.pk, user=instructor, status="accepted", reply="Thanks!")
    listed = reports_for_reporter(reporter=student)
    assert [r.pk for r in listed] == [older.pk, newer.pk]
    assert reports_mark_seen(reporter=other_student, report_ids=[older.pk]) == 0
    assert reports_mark_seen(reporter=student, report_ids=[older.pk, newer.pk]) == 1  # open: no
    assert QuestionReport.objects.get(pk=older.pk).reporter_seen_at is not None
