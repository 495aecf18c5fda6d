"""Autosave at the floor's cost: the whole request's statements pinned, ownership kept.

An autosave request is the session, the user and one statement: what the floor sends.

`item_endpoint` no longer reads the attempt before the service: the service's one locked read is
scoped to the user and is the ownership check. Every path still answers another student's (or a
missing) attempt with the same 404.
"""

import random

import pytest
from django.urls import reverse

from exams.models import Attempt, AttemptEvent, ItemSelection
from exams.services import attempt_start
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def attempt(student):
    make_bank(per_domain=6)
    return attempt_start(user=student, blueprint=short_blueprint(), rng=random.Random(11))


def _item(attempt, position=3):
    return attempt.items.get(position=position)


def _url(name, attempt, position=3):
    return reverse(f"exams:{name}", args=[attempt.pk, position])


def _statements(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries]


def test_an_autosave_request_is_the_session_the_user_and_one_statement_as_the_floor(
    student_client, attempt, django_assert_num_queries
):
    item = _item(attempt)
    Attempt.objects.filter(pk=attempt.pk).update(current_position=item.position)
    student_client.get(reverse("exams:list"))  # the process-wide caches, warmed
    with django_assert_num_queries(3) as captured:
        response = student_client.post(
            _url("answer", attempt), {"option": item.option_order[0], "seq": 1}, **JSON
        )
    assert response.json() == {"ok": True, "seq": 1, "position": item.position}
    session, user, save = _statements(captured)
    assert "django_session" in session and "accounts_user" in user
    # The first read of the attempt is the locked one, scoped to the user, in the one statement
    # that writes (no transaction of its own: no SAVEPOINT, BEGIN or COMMIT round trips).
    assert "FOR UPDATE OF a" in save and "a.user_id" in save
    assert "INSERT INTO exams_attemptevent" in save  # the audit row rides in the write
    assert set(ItemSelection.objects.filter(item=item).values_list("option_id", flat=True)) == {
        item.option_order[0]
    }


def test_an_unchanged_autosave_writes_only_the_seq(
    student_client, attempt, django_assert_num_queries
):
    item = _item(attempt)
    Attempt.objects.filter(pk=attempt.pk).update(current_position=item.position)
    url, chosen = _url("answer", attempt), item.option_order[0]
    student_client.post(url, {"option": chosen, "seq": 1}, **JSON)
    rows = set(ItemSelection.objects.filter(item=item).values_list("pk", flat=True))
    item.refresh_from_db()
    answered_at = item.answered_at
    with django_assert_num_queries(3):
        student_client.post(url, {"option": chosen, "seq": 2}, **JSON)
    item.refresh_from_db()
    assert (item.answer_seq, item.answered_at) == (2, answered_at)
    assert set(ItemSelection.objects.filter(item=item).values_list("pk", flat=True)) == rows
    assert AttemptEvent.objects.filter(attempt=attempt, kind="save").count() == 1


def test_a_flag_request_reads_the_attempt_once(student_client, attempt, django_assert_num_queries):
    student_client.get(reverse("exams:list"))
    # Session, user; savepoint, locked attempt, item, update, audit row, release.
    with django_assert_num_queries(8) as captured:
        response = student_client.post(_url("flag", attempt), {"flagged": "true"}, **JSON)
    assert response.json() == {"ok": True, "flagged": True}
    attempt_reads = [s for s in _statements(captured) if s.startswith('SELECT "exams_attempt"')]
    assert len(attempt_reads) == 1 and "FOR UPDATE" in attempt_reads[0]
    assert _item(attempt).flagged


def test_eliminate_still_strikes_out_for_the_owner(student_client, attempt):
    item = _item(attempt)
    option = item.option_order[1]
    response = student_client.post(
        _url("eliminate", attempt), {"option": option, "eliminated": "true"}, **JSON
    )
    assert response.json() == {"ok": True, "eliminated": [option]}


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("answer", {"option": "1", "seq": "5"}),
        ("answer", {"option": "1", "seq": "5", "go": "next"}),
        ("answer", {"nav_only": "on", "go": "next"}),
        ("answer", {"option": "not-an-id", "seq": "5"}),
        ("flag", {"flagged": "true"}),
        ("flag", {"flagged": "maybe"}),
        ("eliminate", {"option": "1", "eliminated": "true"}),
        ("eliminate", {}),
    ],
)
@pytest.mark.parametrize("accept", ["json", "page"])
def test_another_students_attempt_is_a_404_on_every_path(
    client, other_student, attempt, name, data, accept
):
    client.force_login(other_student)
    headers = JSON if accept == "json" else {}
    assert client.post(_url(name, attempt), data, **headers).status_code == 404
    missing = reverse(f"exams:{name}", args=[10**9, 3])
    assert client.post(missing, data, **headers).status_code == 404
    assert not ItemSelection.objects.filter(item__attempt=attempt).exists()
    assert not AttemptEvent.objects.filter(attempt=attempt).exclude(kind="start").exists()


def test_a_rate_limited_post_on_another_students_attempt_is_still_a_404(
    client, other_student, attempt, settings
):
    settings.AUTOSAVE_RATE_LIMIT = 0
    client.force_login(other_student)
    data = {"option": "1", "seq": "5"}
    assert client.post(_url("answer", attempt), data, **JSON).status_code == 404
    assert client.post(_url("answer", attempt), data).status_code == 404


def test_a_page_button_on_a_closed_attempt_goes_to_the_submitted_page(student_client, attempt):
    item = _item(attempt)
    student_client.post(reverse("exams:submit", args=[attempt.pk]))
    response = student_client.post(
        _url("answer", attempt), {"option": item.option_order[0], "seq": 9, "go": "next"}
    )
    assert response.url == reverse("exams:submitted", args=[attempt.pk])
    json = student_client.post(
        _url("answer", attempt), {"option": item.option_order[0], "seq": 10}, **JSON
    )
    assert json.status_code == 409 and json.json()["closed"] is True
