"""Spaced-review helpers: sit an attempt with chosen answers, answer a review session."""

from __future__ import annotations

import random

from exams.models import Attempt, AttemptItem
from exams.services import answer_save, attempt_start, attempt_submit, item_check

RIGHT, WRONG, BLANK = "right", "wrong", None


def answer_ids(item: AttemptItem, how: str | None) -> list[int]:
    """The option ids answering `item` right or wrong (none for blank)."""
    options = {o.pk: o for o in item.version.options.all()}
    if how == RIGHT:
        return [o for o in item.option_order if options[o].is_correct]
    if how == WRONG:
        return [o for o in item.option_order if not options[o].is_correct][:1]
    return []


def items_of(attempt: Attempt) -> list[AttemptItem]:
    return list(
        attempt.items.select_related("version")
        .prefetch_related("version__options")
        .order_by("position")
    )


def sit(student, blueprint, answers: dict[int, tuple[str | None, str]], *, seed: int = 1):
    """Start `blueprint` and answer by position: {position: (RIGHT|WRONG|BLANK, confidence)}.

    Positions not given are answered right with no confidence. Returns the open attempt.
    """
    attempt = attempt_start(user=student, blueprint=blueprint, rng=random.Random(seed))
    for item in items_of(attempt):
        how, confidence = answers.get(item.position, (RIGHT, ""))
        ids = answer_ids(item, how)
        if ids:
            answer_save(
                user=student, attempt_id=attempt.pk, position=item.position, option_ids=ids, seq=1
            )
        if confidence:
            AttemptItem.objects.filter(pk=item.pk).update(confidence=confidence)
    return attempt


def sit_and_submit(student, blueprint, answers, *, seed: int = 1) -> Attempt:
    attempt = sit(student, blueprint, answers, seed=seed)
    return attempt_submit(user=student, attempt_id=attempt.pk)


def answer_and_check(student, attempt: Attempt, item: AttemptItem, how: str, *, seq: int = 1):
    """Answer one practice item and check it (the rating happens in the check)."""
    answer_save(
        user=student,
        attempt_id=attempt.pk,
        position=item.position,
        option_ids=answer_ids(item, how),
        seq=seq,
    )
    return item_check(user=student, attempt_id=attempt.pk, position=item.position)
