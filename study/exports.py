"""The student's review deck as an Anki package, to review offline on a phone."""

from __future__ import annotations

from core.errors import ApplicationError
from exams.anki_export import held_question_ids
from questions.formats.anki import anki_package_for_questions

from .selectors import deck

REVIEW_DECK_NAME = "AWS Developer: my review deck"


def review_deck_package(*, user) -> bytes:
    """Return the .apkg of the questions in the user's deck (ApplicationError when none).

    The questions of an exam the student has open are left out: a deck shows the keys.
    """
    held = held_question_ids(user=user)
    ids = [
        question_id
        for question_id in deck(user=user).order_by("due").values_list("question_id", flat=True)
        if question_id not in held
    ]
    if not ids:
        raise ApplicationError(
            "Your review deck is empty: questions you miss, or answer while unsure, join it."
        )
    return anki_package_for_questions(question_ids=ids, deck_name=REVIEW_DECK_NAME)
