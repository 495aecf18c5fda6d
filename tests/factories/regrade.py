"""Finished attempts on a question whose key is then corrected (the key-correction tests)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from exams.models import Attempt, AttemptItem, ItemSelection
from exams.services import attempt_start, attempt_submit
from questions.models import Question
from questions.services import question_as_data, question_update
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank, make_question


@dataclass
class World:
    question: Question
    attempts: list[Attempt]
    others: list[Question]


def finished_attempts(
    n: int = 6, *, question_kind: str = "multiple_choice", slug: str = "short", choices=None
) -> World:
    """`n` students each finish a 10-question exam holding the question under test
    (somewhere: the form is shuffled). Their answers to it cycle through `choices` (option
    letters; default: the key A, the soon-to-be key B, blank, C); every other item is answered
    right for the first half of the students (around the pass mark), wrong for the rest."""
    choices = choices or ["A", "B", "", "C"]
    bank = make_bank(per_domain=2)
    question = make_question(kind=question_kind, domain="Deployment")
    others = [q for q in bank if q.kind == "multiple_choice"][:9]
    blueprint = short_blueprint(slug=slug, question_count=10)
    attempts = []
    for k in range(n):
        student = UserFactory(role="Student")
        attempt = attempt_start(
            user=student,
            blueprint=blueprint,
            rng=random.Random(k),
            question_ids=[question.pk] + [q.pk for q in others],
        )
        items = list(attempt.items.select_related("version").prefetch_related("version__options"))
        for item in items:
            options = list(item.version.options.all())
            if item.question_id == question.pk:
                chosen = [o for o in options if _letter(o.position) in choices[k % len(choices)]]
            else:
                right = [o for o in options if o.is_correct]
                wrong = [o for o in options if not o.is_correct][: len(right)]
                # 7 of 9 others right for the first half: 7 or 8 of 10 around the 72 % cut.
                good = k < n // 2 and item.position % 9 not in (0, 1)
                chosen = right if good else wrong
            ItemSelection.objects.bulk_create(ItemSelection(item=item, option=o) for o in chosen)
        attempts.append(attempt_submit(user=student, attempt_id=attempt.pk))
    return World(question=question, attempts=attempts, others=others)


def _letter(position: int) -> str:
    return chr(65 + position)


def change_key(question: Question, *, correct: str, add_option: bool = False) -> None:
    """Save a new version keying the options `correct` (letters, e.g. "B" or "AC")."""
    question.refresh_from_db()
    data = question_as_data(question)
    for position, option in enumerate(data["options"]):
        option["correct"] = _letter(position) in correct
    if add_option:  # one more distractor: positions no longer match the older version's
        data["options"].append({"text": "A new distractor", "correct": False, "rationale": "No."})
    question_update(question=question, data=data, change_note="Key corrected")
    question.refresh_from_db()


def item_of(attempt: Attempt, question: Question) -> AttemptItem:
    return attempt.items.get(question=question)


def key_changed(question: Question) -> Question:
    """Give `question` a new version keying the next options (A,B -> B,C), once."""
    from exams.services.regrade import key_changes

    if not key_changes(question=question):
        question.refresh_from_db()
        options = list(question.current_version.options.all())
        keyed = [o.position for o in options if o.is_correct]
        shifted = {_letter((p + 1) % len(options)) for p in keyed}
        change_key(question, correct="".join(sorted(shifted)))
    return question


def sample_correction(question: Question, *, state: str = "done"):
    """A key correction row of `question` (made on first use), for the page matrices."""
    from exams.models import KeyCorrection

    correction, _ = KeyCorrection.objects.get_or_create(
        question=question,
        reason="Sample correction",
        defaults={
            "version": question.current_version,
            "policy": KeyCorrection.Policy.CORRECTED,
            "state": state,
        },
    )
    return correction
