"""Times are shown in the browser's time zone, which static/js/timezone.js puts in a cookie."""

from datetime import UTC, datetime

import pytest

from config.middleware import time_zone_from_cookie
from exams.models import Blueprint
from exams.services import attempt_start
from questions.services import question_create
from tests.factories.questions import question_data

pytestmark = pytest.mark.django_db

STARTED = datetime(2026, 3, 1, 12, 5, tzinfo=UTC)


@pytest.fixture
def attempts_page(student_client, student, instructor):
    question = question_create(data=question_data(), author=instructor, status="published")
    attempt_start(
        user=student,
        blueprint=Blueprint.objects.get(slug="quick-practice"),
        question_ids=[question.pk],
        now=STARTED,
    )

    def get(cookie: str | None):
        if cookie is None:
            student_client.cookies.pop("tz", None)
        else:
            student_client.cookies["tz"] = cookie
        response = student_client.get("/exams/attempts/")
        assert response.status_code == 200
        return response.content.decode()

    return get


def test_a_page_shows_times_in_the_cookies_time_zone(attempts_page):
    assert "2026-03-01 21:05" in attempts_page("Asia/Tokyo")
    assert "2026-03-01 07:05" in attempts_page("America/New_York")


def test_without_a_valid_cookie_times_stay_in_server_time(attempts_page):
    assert "2026-03-01 12:05" in attempts_page(None)
    for forged in ("Mars/Olympus_Mons", "../../etc/passwd", "", "UTC; drop", "x" * 500):
        assert "2026-03-01 12:05" in attempts_page(forged), forged


def test_only_real_zone_names_are_accepted():
    assert str(time_zone_from_cookie("Europe/Paris")) == "Europe/Paris"
    for value in (None, "", "/etc/localtime", "Europe/../Paris", "Nowhere/Else"):
        assert time_zone_from_cookie(value) is None, value
