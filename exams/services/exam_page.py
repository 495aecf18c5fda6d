"""Writes for the exam page's study aids: struck-out options and the text size."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.errors import ApplicationError

from ..models import AttemptItem
from .attempts import open_item_locked


@transaction.atomic
def item_eliminate_set(
    *,
    user,
    attempt_id: int,
    position: int,
    option_id: int,
    eliminated: bool,
    now: datetime | None = None,
) -> AttemptItem:
    """Strike an option out (or back in) on the user's open attempt; scoring never reads it."""
    now = now or timezone.now()
    _, item = open_item_locked(attempt_id=attempt_id, user=user, position=position, now=now)
    if option_id not in item.option_order:
        raise ApplicationError("That option does not belong to this question.")
    struck = set(item.eliminated) - {option_id}
    if eliminated:
        struck.add(option_id)
    # Kept in the order shown, so the stored list reads like the page.
    new = [i for i in item.option_order if i in struck]
    if new != item.eliminated:
        item.eliminated = new
        item.full_clean(validate_unique=False, validate_constraints=False)
        item.save(update_fields=["eliminated"])
    return item


@transaction.atomic
def user_text_size_set(*, user: User, size: int) -> User:
    """Remember the user's text size step for every exam page."""
    user.text_size = size
    user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    user.save(update_fields=["text_size"])
    return user
