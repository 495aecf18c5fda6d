"""A student's own Anki deck of the questions they recently missed (offline review).

The package itself is `questions.formats.anki`'s (current published versions only). Questions of
the student's open exam-mode attempts are left out, as every other form leaves them out: a deck
shows keys, and an open exam must not have its keys handed out.
"""

from __future__ import annotations

from core.errors import ApplicationError
from questions.formats.anki import anki_package_for_questions

from .models import Attempt, AttemptItem, Blueprint
from .selectors import missed_items_for_user

MISSED_DECK_NAME = "AWS Developer: my missed questions"
# How many recently missed items the deck reads (the dashboard lists only a few).
MISSED_DECK_ITEMS = 500


def held_question_ids(*, user) -> set[int]:
    """The questions of the user's exam-mode attempts in progress (their keys stay hidden)."""
    return set(
        AttemptItem.objects.filter(
            attempt__user=user,
            attempt__state=Attempt.State.IN_PROGRESS,
            attempt__mode=Blueprint.Mode.EXAM,
        ).values_list("question_id", flat=True)
    )


def missed_deck_for_user(*, user) -> bytes:
    """Return the .apkg of the user's recently missed questions (ApplicationError if none)."""
    held = held_question_ids(user=user)
    missed = missed_items_for_user(user=user, limit=MISSED_DECK_ITEMS)
    ids = [item.question_id for item in missed if item.question_id not in held]
    if not ids:
        raise ApplicationError(
            "You have no missed questions to export yet: finish a mock or a practice first."
        )
    return anki_package_for_questions(question_ids=ids, deck_name=MISSED_DECK_NAME)
