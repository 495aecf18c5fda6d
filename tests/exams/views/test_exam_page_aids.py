"""Server side of the exam page: check with no answer, strike-outs, text size, finish labels."""

import random

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from exams.models import AttemptItem
from exams.services import answer_save, attempt_start, attempt_submit
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def _start(user, **fields):
    make_bank(per_domain=5)
    blueprint = short_blueprint(question_count=5, **fields)
    return attempt_start(user=user, blueprint=blueprint, rng=random.Random(5))


@pytest.fixture
def attempt(student):
    return _start(student)


@pytest.fixture
def practice(student):
    return _start(
        student, slug="practice", mode="practice", feedback="after_each", duration_minutes=None
    )


def _item(attempt, position=1) -> AttemptItem:
    return AttemptItem.objects.get(attempt=attempt, position=position)


# --- Practice: "Check answer" needs an answer ---------------------------------------------------


def test_checking_an_empty_answer_is_refused_and_locks_nothing(client, student, practice):
    client.force_login(student)
    url = reverse("exams:answer", args=[practice.pk, 1])
    response = client.post(url, {"seq": 1, "go": "check"}, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Choose an answer before checking it." in body
    assert "Correct answer" not in body
    item = _item(practice)
    assert item.checked is False
    assert item.is_correct is None


def test_checking_a_chosen_answer_still_shows_feedback(client, student, practice):
    client.force_login(student)
    item = _item(practice)
    url = reverse("exams:answer", args=[practice.pk, 1])
    response = client.post(url, {"seq": 1, "go": "check", "option": item.option_order[0]})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.checked is True
    page = client.get(reverse("exams:question", args=[practice.pk, 1])).content.decode()
    assert "Your answer" in page
    assert 'id="feedback"' in page


# --- Finish button named after the mode -------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "label"),
    [("exam", "Submit exam"), ("practice", "Finish practice"), ("drill", "Finish drill")],
)
def test_the_finish_button_says_what_it_finishes(client, student, mode, label):
    fields = {"mode": mode}
    if mode == "drill":
        from questions.models import Domain

        fields["drill_domain"] = Domain.objects.get(guide__code="DVA-C01", name="Deployment")
    attempt = _start(student, **fields)
    client.force_login(student)
    body = client.get(reverse("exams:question", args=[attempt.pk, 1])).content.decode()
    assert f">{label}</button>" in body
    if mode != "exam":
        assert ">Submit exam</button>" not in body


# --- Eliminator -------------------------------------------------------------------------------


def test_striking_out_an_option_is_saved_restored_and_undone(client, student, attempt):
    client.force_login(student)
    item = _item(attempt, 2)
    url = reverse("exams:eliminate", args=[attempt.pk, 2])
    first, second = item.option_order[1], item.option_order[3]
    for option in (second, first):
        response = client.post(url, {"option": option, "eliminated": "true"}, **JSON)
        assert response.status_code == 200, response.content
    item.refresh_from_db()
    assert item.eliminated == [first, second]  # kept in the order shown
    page = client.get(reverse("exams:question", args=[attempt.pk, 2])).content.decode()
    assert 'aria-label="Eliminate option B" aria-pressed="true"' in page
    assert 'aria-label="Eliminate option D" aria-pressed="true"' in page
    assert 'aria-label="Eliminate option A" aria-pressed="false"' in page
    assert page.count("is-eliminated") == 2
    client.post(url, {"option": first, "eliminated": "false"}, **JSON)
    item.refresh_from_db()
    assert item.eliminated == [second]


def test_struck_out_options_never_change_the_score(client, student, attempt):
    client.force_login(student)
    item = _item(attempt, 1)
    keyed = [o.pk for o in item.version.options.all() if o.is_correct]
    answer_save(user=student, attempt_id=attempt.pk, position=1, option_ids=keyed, seq=1)
    # Striking out the chosen key (and everything else) is only a study aid.
    for option in item.option_order:
        client.post(
            reverse("exams:eliminate", args=[attempt.pk, 1]),
            {"option": option, "eliminated": "true"},
            **JSON,
        )
    assert _item(attempt, 1).eliminated == item.option_order
    finished = attempt_submit(user=student, attempt_id=attempt.pk)
    assert finished.correct_count == 1
    assert _item(attempt, 1).is_correct is True


@pytest.mark.parametrize(
    "data",
    [
        {"option": "²", "eliminated": "true"},
        {"option": str(2**70), "eliminated": "true"},
        {"option": "-3", "eliminated": "true"},
        {"eliminated": "true"},
        {"option": "1", "eliminated": "maybe"},
    ],
)
def test_malformed_strike_outs_are_400_and_write_nothing(client, student, attempt, data):
    client.force_login(student)
    response = client.post(reverse("exams:eliminate", args=[attempt.pk, 1]), data, **JSON)
    assert response.status_code == 400
    assert response.json()["error"]
    assert _item(attempt, 1).eliminated == []


def test_an_option_of_another_question_cannot_be_struck_out(client, student, attempt):
    client.force_login(student)
    foreign = _item(attempt, 2).option_order[0]
    response = client.post(
        reverse("exams:eliminate", args=[attempt.pk, 1]),
        {"option": foreign, "eliminated": "true"},
        **JSON,
    )
    assert response.status_code == 400
    assert "does not belong" in response.json()["error"]
    assert _item(attempt, 1).eliminated == []


def test_only_the_owner_strikes_out_and_only_while_open(client, student, other_student, attempt):
    option = _item(attempt, 1).option_order[0]
    url = reverse("exams:eliminate", args=[attempt.pk, 1])
    client.force_login(other_student)
    assert client.post(url, {"option": option, "eliminated": "true"}, **JSON).status_code == 404
    assert _item(attempt, 1).eliminated == []
    attempt_submit(user=student, attempt_id=attempt.pk)
    client.force_login(student)
    response = client.post(url, {"option": option, "eliminated": "true"}, **JSON)
    assert response.status_code == 409
    assert response.json()["closed"] is True
    assert _item(attempt, 1).eliminated == []


def test_strike_outs_need_a_csrf_token(student, attempt):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    option = _item(attempt, 1).option_order[0]
    response = client.post(
        reverse("exams:eliminate", args=[attempt.pk, 1]),
        {"option": option, "eliminated": "true"},
        **JSON,
    )
    assert response.status_code == 403
    assert _item(attempt, 1).eliminated == []


# --- Text size ----------------------------------------------------------------------------------


def test_text_size_is_remembered_and_applied_on_every_exam_page(client, student, attempt):
    client.force_login(student)
    response = client.post(reverse("exams:text_size"), {"size": 4}, **JSON)
    assert response.status_code == 200
    assert response.json() == {"ok": True, "size": 4}
    assert User.objects.get(pk=student.pk).text_size == 4
    for url in (
        reverse("exams:question", args=[attempt.pk, 3]),
        reverse("exams:review", args=[attempt.pk]),
        reverse("exams:submit", args=[attempt.pk]),
    ):
        body = client.get(url).content.decode()
        assert 'data-text-size="4"' in body, url
        assert 'data-step="1" disabled>A+' in body, url


def test_text_size_without_script_goes_back_to_the_page(client, student, attempt):
    client.force_login(student)
    page = reverse("exams:question", args=[attempt.pk, 2])
    response = client.post(reverse("exams:text_size"), {"size": 1, "next": page})
    assert response.status_code == 302
    assert response.url == page
    # Somewhere else entirely is not followed.
    response = client.post(reverse("exams:text_size"), {"size": 1, "next": "https://evil.test/"})
    assert response.url == reverse("exams:list")


@pytest.mark.parametrize("size", ["5", "-1", "²", "", str(2**70)])
def test_text_size_out_of_range_is_400_and_unchanged(client, student, size):
    client.force_login(student)
    response = client.post(reverse("exams:text_size"), {"size": size}, **JSON)
    assert response.status_code == 400
    assert User.objects.get(pk=student.pk).text_size == 2
