import random
import time

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from exams.models import AttemptEvent
from exams.services import attempt_start
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempt(student):
    make_bank(per_domain=6)
    blueprint = short_blueprint()
    return attempt_start(user=student, blueprint=blueprint, rng=random.Random(1))


def _away_from_a_window_edge(window_seconds: int = 10, margin: float = 2.0) -> None:
    """Wait out the last `margin` seconds of the limiter's fixed window.

    The limiter counts per 10-second window: eight posts that straddle its edge are counted in
    two windows and the check would read the new window's first hits as allowed.
    """
    into_window = time.time() % window_seconds
    if into_window > window_seconds - margin:
        time.sleep(window_seconds - into_window + 0.05)


def test_autosave_is_rate_limited_per_user(client, student, attempt, settings):
    settings.AUTOSAVE_RATE_LIMIT = 5
    client.force_login(student)
    item = attempt.items.first()
    url = reverse("exams:answer", args=[attempt.pk, item.position])
    _away_from_a_window_edge()
    statuses = [
        client.post(
            url, {"option": item.option_order[0], "seq": n}, HTTP_ACCEPT="application/json"
        ).status_code
        for n in range(1, 9)
    ]
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429] * 3


def test_admins_read_the_audit_log_with_actor_time_and_ip(client, student, attempt, admin_user):
    client.force_login(student)
    item = attempt.items.first()
    client.post(
        reverse("exams:answer", args=[attempt.pk, item.position]),
        {"option": item.option_order[0], "seq": 1},
        HTTP_ACCEPT="application/json",
        REMOTE_ADDR="203.0.113.9",
    )
    client.post(reverse("exams:submit", args=[attempt.pk]), REMOTE_ADDR="203.0.113.9")
    kinds = list(AttemptEvent.objects.filter(attempt=attempt).values_list("kind", flat=True))
    assert kinds == ["start", "save", "submit"]
    save = AttemptEvent.objects.get(attempt=attempt, kind="save")
    assert (save.actor, save.ip) == (student, "203.0.113.9")
    assert client.get(reverse("exams:audit")).status_code == 403
    client.force_login(admin_user)
    body = client.get(reverse("exams:audit"), {"user": student.username}).content.decode()
    assert "203.0.113.9" in body and "Submit" in body


@pytest.mark.services("postgresql")
def test_the_audit_log_is_append_only_in_the_database(attempt):
    assert connection.vendor == "postgresql"
    event = AttemptEvent.objects.filter(attempt=attempt).first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AttemptEvent.objects.filter(pk=event.pk).update(kind="submit")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AttemptEvent.objects.filter(pk=event.pk).delete()
    assert AttemptEvent.objects.filter(pk=event.pk, kind=event.kind).exists()


def test_the_benchmark_floor_endpoint_is_off_unless_enabled(client, student, settings):
    client.force_login(student)
    assert client.post("/bench/floor/").status_code == 404
    settings.BENCH_ENDPOINTS = True
    assert client.post("/bench/floor/").json() == {"ok": True}


def _flag(client, attempt, position, flagged):
    return client.post(
        reverse("exams:flag", args=[attempt.pk, position]),
        {"flagged": "true" if flagged else "false"},
        HTTP_ACCEPT="application/json",
    )


def test_flag_toggles_are_rate_limited_per_user_and_answers_still_save(
    client, student, attempt, settings
):
    settings.FLAG_RATE_LIMIT = 5
    client.force_login(student)
    responses = [_flag(client, attempt, 1, n % 2 == 0) for n in range(8)]
    assert [r.status_code for r in responses] == [200] * 5 + [429] * 3
    assert responses[-1].json() == {
        "ok": False,
        "error": "Too many flag changes at once; retrying.",
    }
    assert AttemptEvent.objects.filter(attempt=attempt, kind="flag").count() == 5
    item = attempt.items.get(position=1)
    assert item.flagged  # the fifth and last toggle that got through flagged it
    saved = client.post(
        reverse("exams:answer", args=[attempt.pk, 1]),
        {"option": item.option_order[0], "seq": 1},
        HTTP_ACCEPT="application/json",
    )
    assert saved.status_code == 200


def test_a_flag_value_other_than_true_or_false_is_a_400(client, student, attempt):
    client.force_login(student)
    response = client.post(
        reverse("exams:flag", args=[attempt.pk, 1]),
        {"flagged": "²"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "Say whether to flag the question."
    assert not AttemptEvent.objects.filter(attempt=attempt, kind="flag").exists()


def test_one_answer_saved_by_autosave_then_the_next_button_is_one_audit_row(
    client, student, attempt
):
    # The page autosaves on click, then its Next button posts the same answer again.
    client.force_login(student)
    item = attempt.items.get(position=1)
    url = reverse("exams:answer", args=[attempt.pk, 1])
    seq = 1_764_000_000_000  # the page numbers saves with Date.now()
    client.post(url, {"option": item.option_order[0], "seq": seq}, HTTP_ACCEPT="application/json")
    page = client.post(url, {"option": item.option_order[0], "seq": seq + 1, "go": "next"})
    assert page.url == reverse("exams:question", args=[attempt.pk, 2])
    saves = AttemptEvent.objects.filter(attempt=attempt, kind="save")
    assert saves.count() == 1
    assert saves.get().detail["options"] == [item.option_order[0]]
    item.refresh_from_db()
    assert item.answer_seq == seq + 1  # so the autosave's own retry stays stale
    # Moving on without answering is no save either.
    client.post(reverse("exams:answer", args=[attempt.pk, 2]), {"seq": 1, "go": "next"})
    assert saves.count() == 1


def test_a_rate_limited_page_post_goes_back_to_the_question_with_a_message(
    client, student, attempt, settings
):
    settings.AUTOSAVE_RATE_LIMIT = 1
    client.force_login(student)
    item = attempt.items.first()
    url = reverse("exams:answer", args=[attempt.pk, item.position])
    assert (
        client.post(url, {"option": item.option_order[0], "seq": 1, "go": "next"}).status_code
        == 302
    )
    refused = client.post(
        url, {"option": item.option_order[1], "seq": 2, "go": "next"}, follow=True
    )
    assert refused.redirect_chain[-1][0] == reverse(
        "exams:question", args=[attempt.pk, item.position]
    )
    assert "Too many changes at once" in refused.content.decode()
