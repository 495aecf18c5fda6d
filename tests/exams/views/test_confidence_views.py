""" "How sure are you?" on the question page, the answer endpoint and the blueprint form."""

import random

import pytest
from django.urls import reverse

from exams.models import AttemptItem, Blueprint
from exams.services import answer_save, attempt_start, item_check
from tests.factories.exams import blueprint_form_data, short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def asking(student):
    make_bank(per_domain=6)
    blueprint = short_blueprint(
        slug="asks", ask_confidence=True, mode="practice", feedback="after_each"
    )
    return attempt_start(user=student, blueprint=blueprint, rng=random.Random(3))


@pytest.fixture
def not_asking(student):
    make_bank(per_domain=6)
    return attempt_start(user=student, blueprint=short_blueprint(), rng=random.Random(3))


def _mc(attempt) -> AttemptItem:
    return attempt.items.filter(version__kind="multiple_choice").order_by("position").first()


def _answer_url(attempt, item):
    return reverse("exams:answer", args=[attempt.pk, item.position])


def _confidence(item) -> str:
    return AttemptItem.objects.values_list("confidence", flat=True).get(pk=item.pk)


def test_the_autosave_stores_the_confidence(student_client, asking):
    item = _mc(asking)
    response = student_client.post(
        _answer_url(asking, item),
        {"option": item.option_order[0], "seq": 1, "confidence": "unsure"},
        **JSON,
    )
    assert response.status_code == 200, response.content
    assert response.json()["ok"] is True
    assert _confidence(item) == "unsure"


def test_the_page_button_post_stores_it_too(student_client, asking):
    item = _mc(asking)
    response = student_client.post(
        _answer_url(asking, item),
        {"option": item.option_order[0], "seq": 1, "confidence": "guess", "go": "next"},
    )
    assert response.status_code == 302
    assert _confidence(item) == "guess"


@pytest.mark.parametrize("value", ["certain", "SURE", "x" * 200])
def test_an_unknown_value_is_a_clear_400(student_client, asking, value):
    item = _mc(asking)
    response = student_client.post(
        _answer_url(asking, item),
        {"option": item.option_order[0], "seq": 1, "confidence": value},
        **JSON,
    )
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "error": "Say how sure you are with Sure, Unsure or Guess.",
    }
    assert _confidence(item) == ""


def test_an_attempt_that_does_not_ask_refuses_it_with_a_400(student_client, not_asking):
    item = _mc(not_asking)
    response = student_client.post(
        _answer_url(not_asking, item),
        {"option": item.option_order[0], "seq": 1, "confidence": "sure"},
        **JSON,
    )
    assert response.status_code == 400
    assert "does not ask how sure you are" in response.json()["error"]
    assert not item.selections.exists()


def test_another_students_attempt_is_still_a_404(client, other_student, asking):
    client.force_login(other_student)
    item = _mc(asking)
    response = client.post(
        _answer_url(asking, item), {"option": item.option_order[0], "seq": 1, "confidence": "sure"}
    )
    assert response.status_code == 404


def test_the_question_page_asks_only_when_the_attempt_does(student_client, asking, not_asking):
    item = _mc(asking)
    page = student_client.get(reverse("exams:question", args=[asking.pk, item.position]))
    html = page.content.decode()
    assert "<legend" in html and "How sure are you?" in html and "(optional)" in html
    for value in ("sure", "unsure", "guess"):
        assert f'name="confidence" value="{value}"' in html
    other = student_client.get(reverse("exams:question", args=[not_asking.pk, 1]))
    assert "How sure are you?" not in other.content.decode()


def test_after_feedback_the_choice_stays_visible_read_only(student, student_client, asking):
    item = _mc(asking)
    answer_save(
        user=student,
        attempt_id=asking.pk,
        position=item.position,
        option_ids=[item.option_order[0]],
        seq=1,
        confidence="sure",
    )
    item_check(user=student, attempt_id=asking.pk, position=item.position)
    html = student_client.get(
        reverse("exams:question", args=[asking.pk, item.position])
    ).content.decode()
    assert 'value="sure" id="confidence-sure" autocomplete="off" checked disabled' in html
    assert 'value="guess" id="confidence-guess" autocomplete="off" disabled' in html


def test_a_new_blueprint_saves_the_checkbox(client, instructor):
    make_bank(per_domain=6)
    client.force_login(instructor)
    page = client.get(reverse("exams:blueprint_new"))
    assert "Ask how sure the student is" in page.content.decode()
    response = client.post(
        reverse("exams:blueprint_new"),
        blueprint_form_data(slug="asks-too", mode="practice", ask_confidence="on"),
    )
    assert response.status_code == 302, response.content
    assert Blueprint.objects.get(slug="asks-too").ask_confidence is True
    response = client.post(reverse("exams:blueprint_new"), blueprint_form_data(slug="no-ask"))
    assert Blueprint.objects.get(slug="no-ask").ask_confidence is False


def test_seeded_practice_and_drills_ask_and_mocks_do_not(db):
    assert Blueprint.objects.get(slug="quick-practice").ask_confidence is True
    assert Blueprint.objects.get(slug="dva-c01-full-mock").ask_confidence is False
    drills = Blueprint.objects.filter(mode="drill")
    assert drills.exists() and all(b.ask_confidence for b in drills)


def test_an_attempt_freezes_the_blueprints_setting(student):
    make_bank(per_domain=6)
    blueprint = short_blueprint(slug="frozen", ask_confidence=True)
    attempt = attempt_start(user=student, blueprint=blueprint, rng=random.Random(1))
    Blueprint.objects.filter(pk=blueprint.pk).update(ask_confidence=False)
    attempt.refresh_from_db()
    assert attempt.ask_confidence is True


def test_the_exam_list_and_the_blueprint_list_say_which_ask(client, student, instructor):
    client.force_login(student)
    body = client.get(reverse("exams:list")).content.decode()
    assert "asks how sure you are" in body
    client.force_login(instructor)
    body = client.get(reverse("exams:blueprints")).content.decode()
    assert "asks how sure" in body
