"""The instructors' queue of question reports, its decisions, and the reporter's dashboard panel."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics.models import ItemStatistic
from questions.models import QuestionReport
from questions.reports import report_create, report_resolve
from questions.services import question_as_data, question_update
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank, make_question

pytestmark = pytest.mark.django_db

QUEUE = "analytics:question_reports"


def _report(student, question, category="key_wrong", text="B is right too."):
    return report_create(
        reporter=student, version_id=question.current_version_id, category=category, text=text
    )


def _stat(blueprint, question, **kw):
    options = list(question.current_version.options.order_by("position"))
    return ItemStatistic.objects.create(
        blueprint=blueprint,
        question=question,
        attempts=kw.pop("attempts", 40),
        facility=kw.pop("facility", 31.0),
        discrimination=kw.pop("discrimination", -12.0),
        option_counts={str(o.pk): 10 + i for i, o in enumerate(options)} | {"999999": 3},
        computed_at=timezone.now(),
        **kw,
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_only_bank_editors_reach_the_queue_and_its_actions(student, instructor, admin_user):
    question = make_question(author=instructor)
    report = _report(student, question)
    url = reverse("analytics:question_report_resolve", args=[report.pk])
    assert Client().get(reverse(QUEUE)).status_code == 302
    assert _client(student).get(reverse(QUEUE)).status_code == 403
    assert _client(student).post(url, {"decision": "accept"}).status_code == 403
    assert _client(instructor).get(reverse(QUEUE)).status_code == 200
    assert _client(admin_user).get(reverse(QUEUE)).status_code == 200
    assert QuestionReport.objects.get(pk=report.pk).status == "open"


def test_the_queue_shows_counts_statistics_texts_and_versions(student, other_student, instructor):
    make_bank(per_domain=2)
    blueprint = short_blueprint(question_count=5)
    question = make_question(author=instructor)
    _report(student, question, text="Two options fit <b>both</b>.")
    data = question_as_data(question)
    data["explanation"] += " Edited."
    question_update(question=question, data=data, user=instructor, change_note="edit")
    question.refresh_from_db()
    _report(other_student, question, category="typo", text="")
    _stat(blueprint, question)
    body = _client(instructor).get(reverse(QUEUE)).content.decode()
    assert question.key in body
    assert "2 reports" in body
    assert "The key is wrong: 1" in body and "Typo: 1" in body
    assert "Two options fit &lt;b&gt;both&lt;/b&gt;." in body  # escaped
    assert "facility (p-value) 31.0%" in body and "discrimination -12.0" in body
    assert "A (key): 10" in body or "A: 10" in body
    assert "3 on earlier versions" in body
    assert "on version 1" in body and "since edited: now v2" in body
    assert 'id="open-count">2<' in body


def test_status_filter_and_ordering(student, other_student, instructor):
    busy = make_question(author=instructor)
    quiet = make_question(author=instructor)
    done = make_question(author=instructor)
    _report(student, busy)
    _report(other_student, busy)
    _report(student, quiet)  # newest open report
    rejected = _report(student, done)
    report_resolve(report_id=rejected.pk, user=instructor, status="rejected", reply="Fine as is.")
    client = _client(instructor)
    newest = client.get(reverse(QUEUE)).content.decode()
    assert newest.index(quiet.key) < newest.index(busy.key)
    assert done.key not in newest
    by_count = client.get(reverse(QUEUE), {"order": "count"}).content.decode()
    assert by_count.index(busy.key) < by_count.index(quiet.key)
    closed = client.get(reverse(QUEUE), {"status": "rejected"}).content.decode()
    assert done.key in closed and busy.key not in closed and "Fine as is." in closed
    everything = client.get(reverse(QUEUE), {"status": "all"}).content.decode()
    assert all(q.key in everything for q in (busy, quiet, done))


@pytest.mark.parametrize(
    "query", [{"status": "²"}, {"order": "a\x00b"}, {"status": "open", "page": "9" * 30}]
)
def test_bad_filters_are_a_400_or_a_page_not_a_500(instructor, query):
    response = _client(instructor).get(reverse(QUEUE), query)
    assert response.status_code in (200, 400)


def test_the_queue_reads_a_fixed_number_of_queries(instructor):
    make_bank(per_domain=2)
    blueprint = short_blueprint(question_count=5)
    client = _client(instructor)

    def count_queries() -> int:
        client.get(reverse(QUEUE))  # warm the session and permission caches alike
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(QUEUE)).status_code == 200
        return len(queries)

    students = [UserFactory(role="Student") for _ in range(3)]
    question = make_question(author=instructor)
    _report(students[0], question)
    _stat(blueprint, question)
    one = count_queries()
    for _ in range(4):
        question = make_question(author=instructor)
        _stat(blueprint, question)
        for student in students:
            _report(student, question)
    assert count_queries() == one


def test_rejecting_needs_a_reply_then_the_reporter_reads_it_once_as_new(student, instructor):
    question = make_question(author=instructor)
    report = _report(student, question)
    url = reverse("analytics:question_report_resolve", args=[report.pk])
    client = _client(instructor)
    response = client.post(url, {"decision": "reject", "reply": ""}, follow=True)
    assert "needs a reply" in response.content.decode()
    assert QuestionReport.objects.get(pk=report.pk).status == "open"
    response = client.post(
        url, {"decision": "reject", "reply": "Option C is the key: see S3 docs."}
    )
    assert response.status_code == 302 and response["Location"] == reverse(QUEUE)
    report.refresh_from_db()
    assert (report.status, report.resolved_by) == ("rejected", instructor)

    dashboard = _client(student)
    first = dashboard.get(reverse("analytics:dashboard")).content.decode()
    assert "Your reports" in first and "1 new answer" in first
    assert "Option C is the key: see S3 docs." in first
    report.refresh_from_db()
    assert report.reporter_seen_at is not None
    second = dashboard.get(reverse("analytics:dashboard")).content.decode()
    assert "Option C is the key" in second and "new answer" not in second


def test_accepting_leads_to_the_edit_page_with_the_report_named(student, instructor):
    question = make_question(author=instructor)
    report = _report(student, question, text="Lambda now allows 10 GB.")
    client = _client(instructor)
    url = reverse("analytics:question_report_resolve", args=[report.pk])
    response = client.post(url, {"decision": "accept", "reply": ""})
    edit = reverse("questions:edit", args=[question.pk])
    assert response.status_code == 302 and response["Location"].startswith(edit)
    page = client.get(response["Location"]).content.decode()
    assert f"Report {report.pk} accepted" in page and "Lambda now allows 10 GB." in page
    report.refresh_from_db()
    assert report.status == "accepted" and report.resolved_at is not None
    again = client.post(url, {"decision": "reject", "reply": "x"}, follow=True)
    assert "already accepted" in again.content.decode()


def test_bad_decisions_go_back_with_a_message(student, instructor):
    report = _report(student, make_question(author=instructor))
    client = _client(instructor)
    url = reverse("analytics:question_report_resolve", args=[report.pk])
    for data in ({}, {"decision": "maybe"}, {"decision": "accept", "reply": "x" * 1001}):
        response = client.post(url, data, follow=True)
        assert response.status_code == 200
        assert "not answered" in response.content.decode()
    missing = reverse("analytics:question_report_resolve", args=[10**9])
    assert client.post(missing, {"decision": "accept"}, follow=True).status_code == 404
    assert QuestionReport.objects.get(pk=report.pk).status == "open"


def test_the_dashboard_panel_costs_a_fixed_number_of_queries(student, instructor):
    client = _client(student)

    def count_queries() -> int:
        client.get(reverse("analytics:dashboard"))
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("analytics:dashboard"))
        return len(queries)

    _report(student, make_question(author=instructor))
    one = count_queries()
    for _ in range(5):
        _report(student, make_question(author=instructor))
    assert count_queries() == one
    # Unread answers add the one UPDATE that marks them seen, however many there are.
    for report in QuestionReport.objects.filter(reporter=student):
        report_resolve(report_id=report.pk, user=instructor, status="rejected", reply="No.")
    with CaptureQueriesContext(connection) as queries:
        body = client.get(reverse("analytics:dashboard")).content.decode()
    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1 and "questions_questionreport" in updates[0]
    assert len(queries) == one + 3  # the UPDATE inside its savepoint (SAVEPOINT, RELEASE)
    assert "6 new answers" in body


def test_no_reports_no_panel(client, student):
    client.force_login(student)
    assert "Your reports" not in client.get(reverse("analytics:dashboard")).content.decode()
