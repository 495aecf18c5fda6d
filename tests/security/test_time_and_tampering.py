"""The server owns the clock and the answer rules: forged fields, late saves and odd input."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from exams.models import Attempt, AttemptEvent, AttemptItem, Blueprint, ItemSelection
from exams.services import SAVE_GRACE, attempt_start
from questions.models import ExamGuide
from tests.factories.questions import make_question

from .urlmatrix import MATRIX

pytestmark = pytest.mark.django_db

# Everything a tampered page could add to make the server believe it has more time.
FORGED = {
    "deadline": "2999-01-01T00:00:00Z",
    "remaining": "999999",
    "started_at": "2999-01-01T00:00:00Z",
    "finished_at": "2999-01-01T00:00:00Z",
    "now": "2000-01-01T00:00:00Z",
    "duration_minutes": "600",
    "accommodation_minutes": "600",
    "state": "in_progress",
    "auto": "0",
}
FORGED_HEADERS = {"HTTP_DATE": "Sat, 01 Jan 2000 00:00:00 GMT", "HTTP_X_CLIENT_TIME": "0"}
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def blueprint():
    return Blueprint.objects.create(
        title="Timed",
        slug="timed",
        question_count=4,
        duration_minutes=20,
        guide=ExamGuide.objects.get(code="DVA-C01"),
    )


@pytest.fixture
def attempt(student, blueprint):
    questions = [make_question(domain=d) for d in ("Deployment", "Security", "Refactoring")]
    questions.append(make_question(kind="multiple_response", n_correct=2))
    return attempt_start(
        user=student,
        blueprint=blueprint,
        question_ids=[q.pk for q in questions],
        rng=random.Random(5),
    )


@pytest.fixture
def student_client(client, student):
    client.force_login(student)
    return client


def _item(attempt: Attempt, kind: str = "multiple_choice", nth: int = 0) -> AttemptItem:
    items = attempt.items.select_related("version").order_by("position")
    return [i for i in items if i.version.kind == kind][nth]


def _keyed(item: AttemptItem) -> list[int]:
    return [o.pk for o in item.version.options.all() if o.is_correct]


def _wrong(item: AttemptItem) -> list[int]:
    return [o.pk for o in item.version.options.all() if not o.is_correct]


def _answer_url(item: AttemptItem) -> str:
    return reverse("exams:answer", args=[item.attempt_id, item.position])


def _selected(item: AttemptItem) -> set[int]:
    return set(ItemSelection.objects.filter(item=item).values_list("option_id", flat=True))


def _move_deadline(attempt: Attempt, delta: timedelta):
    """Put the attempt's deadline `delta` from now, as if that much time had passed."""
    deadline = timezone.now() + delta
    Attempt.objects.filter(pk=attempt.pk).update(deadline=deadline)
    attempt.refresh_from_db()
    return attempt.deadline


# --- Forged time -----------------------------------------------------------------------------


def test_forged_time_fields_before_the_deadline_change_nothing_about_the_clock(
    student_client, attempt
):
    deadline = attempt.deadline
    item = _item(attempt)
    response = student_client.post(
        _answer_url(item),
        {"option": _keyed(item)[0], "seq": 1, **FORGED},
        **JSON,
        **FORGED_HEADERS,
    )
    assert response.status_code == 200 and response.json()["ok"] is True
    attempt.refresh_from_db()
    assert attempt.deadline == deadline
    assert attempt.started_at < timezone.now()
    state = student_client.get(reverse("exams:state", args=[attempt.pk]), **FORGED_HEADERS)
    assert 0 < state.json()["remaining"] <= 20 * 60


def test_late_autosave_with_forged_fields_is_refused_with_409(student_client, attempt):
    on_time, late = _item(attempt, nth=0), _item(attempt, nth=1)
    student_client.post(_answer_url(on_time), {"option": _keyed(on_time)[0], "seq": 1}, **JSON)
    deadline = _move_deadline(attempt, -(SAVE_GRACE + timedelta(minutes=5)))

    for seq in (2, 10**9):
        response = student_client.post(
            _answer_url(late),
            {"option": _keyed(late)[0], **FORGED, "seq": seq},
            **JSON,
            **FORGED_HEADERS,
        )
        assert response.status_code == 409
        assert response.json()["closed"] is True
        assert "Time is up" in response.json()["error"]
    flag = student_client.post(
        reverse("exams:flag", args=[attempt.pk, late.position]),
        {"flagged": "true", **FORGED},
        **JSON,
    )
    assert flag.status_code == 409
    # The page's own (non-JavaScript) buttons are refused too.
    page = student_client.post(_answer_url(late), {"option": _keyed(late)[0], "seq": 3, **FORGED})
    assert page.status_code == 302

    late.refresh_from_db()
    attempt.refresh_from_db()
    assert _selected(late) == set()
    assert (late.answer_seq, late.flagged) == (0, False)
    assert attempt.deadline == deadline
    assert AttemptEvent.objects.filter(attempt=attempt, kind="refused").count() >= 3


@pytest.mark.parametrize("auto", ["0", "1", ""])
def test_late_submit_with_forged_fields_is_scored_at_the_deadline(student_client, attempt, auto):
    on_time, late = _item(attempt, nth=0), _item(attempt, nth=1)
    student_client.post(_answer_url(on_time), {"option": _keyed(on_time)[0], "seq": 1}, **JSON)
    deadline = _move_deadline(attempt, -(SAVE_GRACE + timedelta(minutes=5)))
    student_client.post(_answer_url(late), {"option": _keyed(late)[0], "seq": 2}, **JSON)

    response = student_client.post(
        reverse("exams:submit", args=[attempt.pk]), {**FORGED, "auto": auto}, **FORGED_HEADERS
    )
    assert response.status_code == 302
    assert response.url == reverse("exams:submitted", args=[attempt.pk])
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.EXPIRED
    assert attempt.finished_at == deadline
    assert attempt.correct_count == 1  # only the answer saved before the deadline counts
    assert AttemptItem.objects.get(pk=late.pk).is_correct is False
    results = student_client.get(reverse("exams:results", args=[attempt.pk]))
    assert results.context["time_used"] == deadline - attempt.started_at


def test_submit_inside_the_network_grace_still_finishes_at_the_deadline(student_client, attempt):
    item = _item(attempt)
    deadline = _move_deadline(attempt, -timedelta(seconds=3))  # inside SAVE_GRACE
    saved = student_client.post(_answer_url(item), {"option": _keyed(item)[0], "seq": 1}, **JSON)
    assert saved.status_code == 200  # the request may have left the browser in time
    student_client.post(reverse("exams:submit", args=[attempt.pk]), {**FORGED, "auto": "0"})
    attempt.refresh_from_db()
    assert attempt.finished_at == deadline
    assert attempt.finished_at <= timezone.now() - timedelta(seconds=2)


def test_a_submitted_attempt_cannot_be_reopened_by_forged_fields(student_client, attempt):
    student_client.post(reverse("exams:submit", args=[attempt.pk]))
    attempt.refresh_from_db()
    finished_at, score = attempt.finished_at, attempt.scaled_score
    item = _item(attempt)
    again = student_client.post(
        reverse("exams:submit", args=[attempt.pk]), {**FORGED, "state": "in_progress"}
    )
    assert again.status_code == 302
    late = student_client.post(
        _answer_url(item), {"option": _keyed(item)[0], "seq": 99, **FORGED}, **JSON
    )
    assert late.status_code == 409
    attempt.refresh_from_db()
    assert (attempt.state, attempt.finished_at, attempt.scaled_score) == (
        Attempt.State.SUBMITTED,
        finished_at,
        score,
    )


# --- Answers that the question does not allow ---------------------------------------------------


def test_options_of_another_question_are_refused(student_client, attempt, other_student):
    item, other = _item(attempt, nth=0), _item(attempt, nth=1)
    foreign = make_question(domain="Deployment")
    strangers = [
        other.option_order[0],  # another item of the same attempt
        foreign.current_version.options.first().pk,  # a question not in the attempt
        item.option_order[0] + 10**6,  # no such option
    ]
    for option in strangers:
        response = student_client.post(_answer_url(item), {"option": option, "seq": 5}, **JSON)
        assert response.status_code == 400
        assert "does not belong" in response.json()["error"]
        mixed = student_client.post(
            _answer_url(item), {"option": [item.option_order[0], option], "seq": 6}, **JSON
        )
        assert mixed.status_code == 400
    item.refresh_from_db()
    assert _selected(item) == set() and item.answer_seq == 0


def test_more_options_than_the_question_allows_are_refused(student_client, attempt):
    single = _item(attempt, "multiple_choice")
    multi = _item(attempt, "multiple_response")
    assert multi.version.select_count == 2
    cases = [(single, single.option_order[:2]), (multi, multi.option_order[:3])]
    for item, options in cases:
        response = student_client.post(_answer_url(item), {"option": options, "seq": 1}, **JSON)
        assert response.status_code == 400
        assert "at most" in response.json()["error"]
        page = student_client.post(_answer_url(item), {"option": options, "seq": 2}, follow=True)
        assert "at most" in page.content.decode()
        assert _selected(item) == set()
    # Repeating an allowed option is not a way to smuggle in more: it counts once.
    response = student_client.post(
        _answer_url(single), {"option": [single.option_order[0]] * 5, "seq": 3}, **JSON
    )
    assert response.status_code == 200
    assert _selected(single) == {single.option_order[0]}


def test_checking_an_answer_is_refused_on_a_full_exam(student_client, attempt):
    item = _item(attempt)
    response = student_client.post(
        _answer_url(item), {"option": _wrong(item)[0], "seq": 1, "go": "check"}, **JSON
    )
    assert response.status_code == 400
    body = response.content.decode()
    item.refresh_from_db()
    assert not item.checked and item.is_correct is None
    assert "correct" not in body.lower().replace("correctly", "")
    page = student_client.get(reverse("exams:question", args=[attempt.pk, item.position]))
    assert item.version.explanation_html.strip() not in page.content.decode()


def test_a_checked_practice_answer_cannot_be_changed_afterwards(student_client, student):
    practice = Blueprint.objects.get(slug="quick-practice")
    question = make_question()
    attempt = attempt_start(user=student, blueprint=practice, question_ids=[question.pk])
    item = attempt.items.select_related("version").get()
    student_client.post(_answer_url(item), {"option": _wrong(item)[0], "seq": 1, "go": "check"})
    response = student_client.post(_answer_url(item), {"option": _keyed(item)[0], "seq": 2}, **JSON)
    assert response.status_code in (400, 409)
    assert response.json()["ok"] is False and "already checked" in response.json()["error"]
    assert _selected(item) == {_wrong(item)[0]}


# --- Malformed input ---------------------------------------------------------------------------


@pytest.mark.parametrize("seq", ["abc", "", "1.5", "1e3", "0x10", "1;2"])
def test_a_seq_that_is_not_an_integer_is_a_400(student_client, attempt, seq):
    item = _item(attempt)
    response = student_client.post(
        _answer_url(item), {"option": _keyed(item)[0], "seq": seq}, **JSON
    )
    assert response.status_code == 400
    assert response.json() == {"ok": False, "error": "Malformed answer."}
    assert _selected(item) == set()


@pytest.mark.parametrize("option", ["abc", "", "1.0", "None"])
def test_an_option_that_is_not_an_integer_is_a_400(student_client, attempt, option):
    item = _item(attempt)
    response = student_client.post(_answer_url(item), {"option": option, "seq": 1}, **JSON)
    assert response.status_code == 400
    assert _selected(item) == set()


@pytest.mark.parametrize("seq", [str(2**63), str(10**30)])
def test_a_seq_too_large_for_the_database_is_a_400_not_a_500(client, student, attempt, seq):
    client.raise_request_exception = False
    client.force_login(student)
    item = _item(attempt)
    response = client.post(_answer_url(item), {"option": _keyed(item)[0], "seq": seq}, **JSON)
    assert response.status_code == 400
    assert _selected(item) == set()


def test_a_seq_the_database_holds_but_far_ahead_is_refused_so_the_item_never_freezes(
    student_client, attempt
):
    item = _item(attempt)
    response = student_client.post(
        _answer_url(item), {"option": _keyed(item)[0], "seq": 2**63 - 1}, **JSON
    )
    assert response.status_code == 400  # it would make every later save "older" (issue #9)
    assert _selected(item) == set()
    newer = student_client.post(_answer_url(item), {"option": _wrong(item)[0], "seq": 6}, **JSON)
    assert newer.json()["seq"] == 6
    older = student_client.post(_answer_url(item), {"option": _keyed(item)[0], "seq": 5}, **JSON)
    assert older.json()["seq"] == 6  # an older seq never overwrites a newer answer
    assert _selected(item) == {_wrong(item)[0]}


SENTINEL = 918273645


def _int_routes():
    for name, route in sorted(MATRIX.items()):
        if route.kwargs is None:
            continue
        allowed = [r for r, e in route.get.items() if e == 200 or e == "302 elsewhere"]
        method = "get"
        if not allowed and route.post:
            allowed = [r for r, e in route.post.items() if e not in (403, 404, "302 to login")]
            method = "post"
        if allowed:
            yield name, method, allowed[-1]


@pytest.mark.parametrize("bad", ["abc", "-1", "1.0", "1e3", "%EF%BC%91", "99999999999999999999"])
def test_non_numeric_or_huge_ids_are_a_404(world, bad):
    wrong = []
    for name, method, role in _int_routes():
        kwargs = MATRIX[name].kwargs(world)
        for key, value in kwargs.items():
            if not isinstance(value, int):
                continue
            marked = reverse(name, kwargs={**kwargs, key: SENTINEL})
            bad_url = marked.replace(f"/{SENTINEL}/", f"/{bad}/")
            assert bad_url != marked
            client = world.client_for(role)
            client.raise_request_exception = False
            response = getattr(client, method)(bad_url)
            if response.status_code != 404:
                wrong.append(f"{method.upper()} {bad_url} as {role}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_positions_outside_the_attempt_are_a_404(student_client, attempt):
    for position in (0, 5, 32767, 10**12):
        for url, method in (
            (reverse("exams:question", args=[attempt.pk, position]), "get"),
            (reverse("exams:answer", args=[attempt.pk, position]), "post"),
            (reverse("exams:flag", args=[attempt.pk, position]), "post"),
        ):
            response = getattr(student_client, method)(url, {"seq": 1, "flagged": "true"})
            assert response.status_code == 404, url
    assert not ItemSelection.objects.filter(item__attempt=attempt).exists()
    assert not attempt.items.filter(flagged=True).exists()
