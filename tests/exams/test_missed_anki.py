"""A student's recently missed questions as their own Anki deck (/exams/missed.apkg)."""

import random

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from exams.anki_export import MISSED_DECK_NAME
from exams.services import attempt_start, attempt_submit
from questions.formats import anki
from questions.models import Question
from questions.services import question_set_status
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank
from tests.questions.test_anki_export import read_apkg

pytestmark = pytest.mark.django_db


def _keys(attempt) -> set[str]:
    return set(attempt.items.values_list("question__key", flat=True))


def test_the_deck_holds_missed_questions_but_not_the_open_exams(client, student, other_student):
    make_bank(per_domain=3)  # 15 questions: two forms of 10 must share some
    blueprint = short_blueprint()
    finished = attempt_start(user=student, blueprint=blueprint, rng=random.Random(1))
    attempt_submit(user=student, attempt_id=finished.pk)  # nothing answered: all missed
    missed = _keys(finished)
    retired = Question.objects.get(key=sorted(missed)[0])
    question_set_status(question=retired, status=Question.Status.RETIRED, user=None)

    client.force_login(student)
    url = reverse("exams:missed_anki")
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/apkg"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{anki.deck_filename(MISSED_DECK_NAME)}"'
    )
    deck = read_apkg(response.content)
    assert set(deck["notes"]) == missed - {retired.key}
    assert deck["card_decks"] == {anki.deck_id_for(MISSED_DECK_NAME)}

    # An exam in progress keeps its keys: its questions leave the deck until it is over.
    open_exam = attempt_start(user=student, blueprint=blueprint, rng=random.Random(2))
    held = _keys(open_exam)
    assert held & missed
    deck = read_apkg(client.get(url).content)
    assert set(deck["notes"]) == missed - held - {retired.key}

    # Someone who missed nothing is told so and sent back.
    client.force_login(other_student)
    response = client.get(url, HTTP_REFERER="http://testserver/exams/")
    assert response.status_code == 302
    assert response["Location"].endswith("/exams/")
    assert "no missed questions" in str(list(get_messages(response.wsgi_request))[0])
