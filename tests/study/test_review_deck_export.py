"""The student's review deck downloads as an Anki package holding their cards' questions."""

from __future__ import annotations

import random

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from exams.services import attempt_start
from questions.models import Question
from questions.services import question_set_status
from study.models import ReviewCard
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank
from tests.questions.test_anki_export import read_apkg

pytestmark = pytest.mark.django_db


def _card(user, question):
    return ReviewCard.objects.create(user=user, question=question, due=timezone.now())


def test_the_download_holds_the_deck_and_nothing_else(client, student, other_student):
    make_bank(per_domain=3)
    mine, also_mine, retired, theirs = Question.objects.published().order_by("pk")[:4]
    for question in (mine, also_mine, retired):
        _card(student, question)
    _card(other_student, theirs)
    question_set_status(question=retired, status=Question.Status.RETIRED)
    client.force_login(student)

    response = client.get(reverse("study:review_deck"))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Disposition"].endswith('.apkg"')
    notes = read_apkg(response.content)["notes"]
    # Retired questions left the deck; another student's card is not theirs to download.
    assert set(notes) == {mine.key, also_mine.key}
    assert notes[mine.key]["Stem"]
    assert notes[mine.key]["Answer"]


def test_an_open_exams_questions_stay_out(client, student):
    make_bank(per_domain=4)
    blueprint = short_blueprint(question_count=4)
    attempt = attempt_start(user=student, blueprint=blueprint, rng=random.Random(3))
    held = set(attempt.items.values_list("question_id", flat=True))
    free = Question.objects.published().exclude(pk__in=held).order_by("pk").first()
    for question_id in [*held, free.pk]:
        _card(student, Question.objects.get(pk=question_id))
    client.force_login(student)

    notes = read_apkg(client.get(reverse("study:review_deck")).content)["notes"]

    assert set(notes) == {free.key}


def test_an_empty_deck_is_refused_with_a_message(client, student):
    client.force_login(student)
    response = client.get(reverse("study:review_deck"))
    assert response.status_code == 302
    assert response["Location"] == reverse("study:review")
    assert "review deck is empty" in " ".join(str(m) for m in get_messages(response.wsgi_request))
