"""One JSON line per request with a request id, which also goes back on the response."""

import json
import logging

import pytest
from django.urls import reverse

from core.request_log import HEADER


@pytest.fixture
def request_lines(caplog):
    caplog.set_level(logging.INFO, logger="dva.requests")

    def lines() -> list[dict]:
        return [json.loads(r.getMessage()) for r in caplog.records if r.name == "dva.requests"]

    return lines


def test_a_request_gets_a_new_id_on_the_response_and_in_its_json_line(client, request_lines, db):
    response = client.get(reverse("healthz"))
    request_id = response.headers[HEADER]
    assert len(request_id) == 32
    [line] = request_lines()
    assert line["request_id"] == request_id
    assert line["method"] == "GET"
    assert line["path"] == "/healthz"
    assert line["view"] == "healthz"
    assert line["status"] == response.status_code
    assert line["user_id"] is None
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert isinstance(line["cpu_ms"], float) and line["cpu_ms"] >= 0
    assert client.get(reverse("healthz")).headers[HEADER] != request_id


def test_a_valid_incoming_id_is_kept(client, request_lines, db):
    response = client.get(reverse("healthz"), headers={HEADER: "lb-7f3a.9c:01"})
    assert response.headers[HEADER] == "lb-7f3a.9c:01"
    assert request_lines()[-1]["request_id"] == "lb-7f3a.9c:01"


@pytest.mark.parametrize(
    "sent", ["", "has space", 'quote"', "x" * 129, "new\nline", "-leading-dash", "ünïcode"]
)
def test_an_invalid_incoming_id_is_replaced(client, request_lines, db, sent):
    response = client.get(reverse("healthz"), headers={HEADER: sent})
    assert response.headers[HEADER] != sent
    assert len(response.headers[HEADER]) == 32
    assert request_lines()[-1]["request_id"] == response.headers[HEADER]


def test_the_line_names_the_logged_in_user_the_view_and_the_status(
    student_client, student, request_lines
):
    student_client.get(reverse("exams:list"))
    line = request_lines()[-1]
    assert (line["view"], line["status"], line["user_id"]) == ("exams:list", 200, student.pk)


def test_an_unknown_path_is_logged_without_a_view(client, request_lines, db):
    client.get("/no-such-page/")
    assert request_lines()[-1] | {"duration_ms": 0, "cpu_ms": 0, "request_id": ""} == {
        "request_id": "",
        "method": "GET",
        "path": "/no-such-page/",
        "view": None,
        "status": 404,
        "duration_ms": 0,
        "cpu_ms": 0,
        "user_id": None,
    }


def test_other_log_records_written_during_the_request_carry_its_id(client, db, caplog):
    from core.request_log import RequestIdFilter

    caplog.handler.addFilter(RequestIdFilter())
    client.get("/healthz", headers={HEADER: "trace-me-123"}, HTTP_HOST="evil.example")
    ids = {
        getattr(r, "request_id", None)
        for r in caplog.records
        if r.name == "django.security.DisallowedHost"
    }
    assert ids == {"trace-me-123"}


def test_djangos_own_not_found_record_carries_the_id_and_the_next_record_does_not(
    client, db, caplog
):
    from core.request_log import RequestIdFilter

    caplog.handler.addFilter(RequestIdFilter())
    client.get("/no-such-page/", headers={HEADER: "trace-404"})
    logging.getLogger("after").warning("between requests")
    by_name = {r.name: getattr(r, "request_id", None) for r in caplog.records}
    assert by_name["django.request"] == "trace-404"  # logged after the middleware returned
    assert by_name["after"] == "-"


def _queries_for_login_page_with(middleware: list[str], settings) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.MIDDLEWARE = middleware
    client = Client()  # loads the middleware anew
    client.cookies["sessionid"] = "not-a-session"
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("login")).status_code == 200
    return len(queries)


def test_no_query_is_spent_on_the_log_line(db, settings):
    with_log = list(settings.MIDDLEWARE)
    assert "core.request_log.RequestLogMiddleware" in with_log
    without = [m for m in with_log if m != "core.request_log.RequestLogMiddleware"]
    assert _queries_for_login_page_with(with_log, settings) == _queries_for_login_page_with(
        without, settings
    )


def test_cpu_ms_counts_the_serving_threads_cpu_not_its_waiting(student_client, request_lines):
    """A page that renders costs measurable CPU; the figure never exceeds the wall time."""
    student_client.get(reverse("exams:list"))
    line = request_lines()[-1]
    assert 0 < line["cpu_ms"] <= line["duration_ms"] + 1
