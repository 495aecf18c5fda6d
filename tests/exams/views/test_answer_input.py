"""The answer endpoint validates its POST with a form: bad input is a 400, never a 500."""

import random

import pytest
from django.urls import reverse

from exams.models import AttemptEvent
from exams.services import attempt_start
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def attempt(student):
    make_bank(per_domain=6)
    return attempt_start(user=student, blueprint=short_blueprint(), rng=random.Random(11))


@pytest.fixture
def page(client, student):
    client.force_login(student)
    client.raise_request_exception = False  # a 500 shows as a status, not a raised error
    return client


def _url(attempt, position=1):
    return reverse("exams:answer", args=[attempt.pk, position])


def _selected(attempt, position=1):
    item = attempt.items.get(position=position)
    return set(item.selections.values_list("option_id", flat=True))


@pytest.mark.parametrize("go", ["²", "٣", "1" * 30, "next\x00", "elsewhere"])
def test_an_unknown_go_is_a_400_and_saves_nothing(page, attempt, go):
    option = attempt.items.get(position=1).option_order[0]
    for headers in (JSON, {}):
        response = page.post(_url(attempt), {"option": option, "seq": 1, "go": go}, **headers)
        assert response.status_code == 400
        assert response.json()["error"] in ("Unknown button.", "Null characters are not allowed.")
    assert _selected(attempt) == set()


@pytest.mark.parametrize("go", ["3", "99999"])
def test_a_navigator_jump_saves_and_goes_there_or_stays(page, attempt, go):
    option = attempt.items.get(position=1).option_order[0]
    response = page.post(_url(attempt), {"option": option, "seq": 1, "go": go})
    target = int(go) if int(go) <= 10 else 1
    assert response.url == reverse("exams:question", args=[attempt.pk, target])
    assert _selected(attempt) == {option}


@pytest.mark.parametrize("option", ["²", "-1", str(2**63), "9" * 5000])
def test_a_malformed_option_id_is_a_400(page, attempt, option):
    response = page.post(_url(attempt), {"option": option, "seq": 1}, **JSON)
    assert response.status_code == 400
    assert response.json() == {"ok": False, "error": "Malformed answer."}


@pytest.mark.parametrize("seq", ["²", "-1", "9" * 5000])
def test_a_malformed_seq_is_a_400(page, attempt, seq):
    option = attempt.items.get(position=1).option_order[0]
    response = page.post(_url(attempt), {"option": option, "seq": seq}, **JSON)
    assert response.status_code == 400
    assert response.json() == {"ok": False, "error": "Malformed answer."}


def test_a_post_without_seq_is_the_oldest_save_and_changes_nothing(page, attempt):
    option = attempt.items.get(position=1).option_order[0]
    response = page.post(_url(attempt), {"option": option}, **JSON)
    assert response.json() == {"ok": True, "seq": 0, "position": 1}
    assert _selected(attempt) == set()


def test_a_seq_far_ahead_of_the_clock_is_refused_and_cannot_freeze_the_item(page, attempt):
    item = attempt.items.get(position=1)
    first, second = item.option_order[:2]
    frozen = page.post(_url(attempt), {"option": first, "seq": 2**63 - 1}, **JSON)
    assert frozen.status_code == 400
    assert "out of order" in frozen.json()["error"]
    assert _selected(attempt) == set()
    # The page's next save, numbered by the clock, still lands; then the student changes it.
    now_ms = 1_764_000_000_000
    assert page.post(_url(attempt), {"option": first, "seq": now_ms}, **JSON).json()["ok"]
    changed = page.post(_url(attempt), {"option": second, "seq": now_ms + 5}, **JSON)
    assert changed.json() == {"ok": True, "seq": now_ms + 5, "position": 1}
    assert _selected(attempt) == {second}


def test_a_stale_retry_is_still_ignored(page, attempt):
    item = attempt.items.get(position=1)
    first, second = item.option_order[:2]
    page.post(_url(attempt), {"option": second, "seq": 50}, **JSON)
    stale = page.post(_url(attempt), {"option": first, "seq": 49}, **JSON)
    assert stale.json() == {"ok": True, "seq": 50, "position": 1}
    assert _selected(attempt) == {second}
    assert AttemptEvent.objects.filter(attempt=attempt, kind="save").count() == 1
