"""Reads for exams, always scoped to the user asking."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from questions.models import Option

from .models import Attempt, AttemptItem, Blueprint, ItemSelection


def blueprint_list_for_student(*, user) -> QuerySet[Blueprint]:
    """Active blueprints, each with the id of the user's attempt in progress (if any)."""
    open_attempt = Attempt.objects.in_progress().filter(user=user, blueprint=OuterRef("pk"))
    return (
        Blueprint.objects.active()
        .select_related("guide", "drill_domain")
        .annotate(open_attempt_id=Subquery(open_attempt.values("pk")[:1]))
    )


def attempt_get_for_user(*, user, attempt_id: int) -> Attempt:
    """Return the user's own attempt; anyone else's raises Attempt.DoesNotExist (a 404)."""
    return Attempt.objects.select_related("blueprint", "blueprint__guide").get(
        pk=attempt_id, user=user
    )


def attempt_list_for_user(*, user) -> QuerySet[Attempt]:
    return Attempt.objects.filter(user=user).select_related("blueprint", "blueprint__guide")


def remaining_seconds(attempt: Attempt, now: datetime | None = None) -> int | None:
    if attempt.deadline is None:
        return None
    now = now or timezone.now()
    # Rounded up, so the page never believes time ran out before the server does.
    return max(0, math.ceil((attempt.deadline - now).total_seconds()))


@dataclass(frozen=True)
class NavEntry:
    position: int
    answered: bool
    flagged: bool


def attempt_navigator(*, attempt: Attempt) -> list[NavEntry]:
    """Answered/flagged state of every item, in one query."""
    rows = (
        AttemptItem.objects.filter(attempt=attempt)
        .annotate(has_answer=Exists(ItemSelection.objects.filter(item=OuterRef("pk"))))
        .order_by("position")
        .values_list("position", "has_answer", "flagged")
    )
    return [NavEntry(p, a, f) for p, a, f in rows]


@dataclass
class DisplayItem:
    item: AttemptItem
    options: list[Option]
    selected: set[int]

    @property
    def version(self):
        return self.item.version


def _display(item: AttemptItem) -> DisplayItem:
    by_id = {o.pk: o for o in item.version.options.all()}
    return DisplayItem(
        item=item,
        options=[by_id[i] for i in item.option_order if i in by_id],
        selected={s.option_id for s in item.selections.all()},
    )


def attempt_item_for_display(*, attempt: Attempt, position: int) -> DisplayItem:
    """One item with its options in the order this attempt froze, and the current answer."""
    item = (
        AttemptItem.objects.select_related("version", "domain")
        .prefetch_related("version__options", "selections")
        .get(attempt=attempt, position=position)
    )
    return _display(item)


def attempt_review_items(*, attempt: Attempt) -> list[DisplayItem]:
    """Every item with options, key, explanation and answer (only for submitted attempts)."""
    if attempt.state == Attempt.State.IN_PROGRESS:
        raise PermissionError("The review with keys opens only after submission.")
    items = (
        AttemptItem.objects.filter(attempt=attempt)
        .select_related("version", "domain")
        .prefetch_related(
            Prefetch("version__options", queryset=Option.objects.order_by("position")),
            "selections",
        )
        .order_by("position")
    )
    return [_display(item) for item in items]
