"""Reads for exams, always scoped to the user asking."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from core.errors import ApplicationError
from questions.models import Option

from .confidence import ConfidenceItem
from .models import (
    Attempt,
    AttemptEvent,
    AttemptItem,
    Blueprint,
    ItemSelection,
    KeyCorrectionOption,
    KeyCorrectionVersion,
)
from .scoring import key_in_force


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


# The dashboard lists this many recently missed questions, and "Practise these again" draws them.
MISSED_LIMIT = 8


def missed_items_for_user(*, user, limit: int = MISSED_LIMIT) -> list[AttemptItem]:
    """Return the user's most recently missed scored items of finished attempts, newest first."""
    return list(
        AttemptItem.objects.filter(
            attempt__in=Attempt.objects.finished().filter(user=user),
            is_correct=False,
            scored=True,
        )
        .select_related("version", "domain", "attempt")
        .order_by("-attempt__finished_at", "position")[:limit]
    )


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

    @property
    def label(self) -> str:
        """The position as text: a template localizes an int each time it shows it (four
        times per cell, 65 cells per question page)."""
        return str(self.position)


def _items_in_order(attempt: Attempt) -> QuerySet[AttemptItem]:
    """The attempt's items in position order, each annotated with whether it has an answer."""
    return (
        AttemptItem.objects.filter(attempt=attempt)
        .annotate(has_answer=Exists(ItemSelection.objects.filter(item=OuterRef("pk"))))
        .order_by("position")
    )


def attempt_navigator(*, attempt: Attempt) -> list[NavEntry]:
    """Answered/flagged state of every item, in one query."""
    rows = _items_in_order(attempt).values_list("position", "has_answer", "flagged")
    return [NavEntry(position=p, answered=a, flagged=f) for p, a, f in rows]


@dataclass
class DisplayItem:
    item: AttemptItem
    options: list[Option]
    selected: set[int]
    # The options shown as the key: the version's own, or a key correction's in force (then
    # `also_accepted` holds the version's own key when the correction accepts either).
    keyed: frozenset[int] = frozenset()
    also_accepted: frozenset[int] = frozenset()
    key_corrected: bool = False

    @property
    def version(self):
        return self.item.version


def options_with_key_in_force() -> QuerySet[Option]:
    """Options annotated with the key correction in force for their version, if any.

    Read in the options' own query (no query more), so the key a page shows is the key the
    grading used (`exams.scoring`: a correction in force replaces the version's key, or is
    accepted beside it).
    """
    entry = KeyCorrectionVersion.objects.filter(
        version=OuterRef("version_id"), in_force=True, regradable=True
    )
    return Option.objects.order_by("position").annotate(
        in_corrected_key=Exists(
            KeyCorrectionOption.objects.filter(
                option=OuterRef("pk"), entry__in_force=True, entry__regradable=True
            )
        ),
        key_corrected=Exists(entry),
        original_accepted=Exists(entry.filter(accept_original=True)),
    )


def _display(item: AttemptItem, *, answered: bool = True) -> DisplayItem:
    by_id = {o.pk: o for o in item.version.options.all()}
    key = key_in_force(by_id.values())
    return DisplayItem(
        item=item,
        options=[by_id[i] for i in item.option_order if i in by_id],
        selected={s.option_id for s in item.selections.all()} if answered else set(),
        keyed=key.keyed,
        also_accepted=key.also_accepted,
        key_corrected=key.corrected is not None,
    )


def attempt_item_for_display(
    *, attempt: Attempt, position: int, answered: bool | None = None
) -> DisplayItem:
    """One item with its options in the order this attempt froze, and the current answer.

    `answered=False` (the navigator, read just before, found no selection) skips reading the
    selection: most question pages, and every first page after a start, show unanswered items.
    """
    options = Prefetch("version__options", queryset=options_with_key_in_force())
    prefetch = [options] if answered is False else [options, "selections"]
    item = (
        AttemptItem.objects.select_related("version", "domain")
        .prefetch_related(*prefetch)
        .get(attempt=attempt, position=position)
    )
    return _display(item, answered=answered is not False)


class ReviewNotOpen(ApplicationError):
    """Keys and explanations were asked for before the attempt was submitted."""


def attempt_review_items(
    *, attempt: Attempt, show: str = "all", domain_id: int | None = None
) -> list[DisplayItem]:
    """Every item with options, key, explanation and answer (only for submitted attempts).

    `show` narrows to "incorrect" (including unanswered) or "flagged" items; `domain_id` to
    one domain.
    """
    if attempt.state == Attempt.State.IN_PROGRESS:
        raise ReviewNotOpen("The review with keys opens only after submission.", status=403)
    items = AttemptItem.objects.filter(attempt=attempt)
    if show == "incorrect":
        items = items.filter(is_correct=False)
    elif show == "flagged":
        items = items.filter(flagged=True)
    if domain_id is not None:
        items = items.filter(domain_id=domain_id)
    items = (
        items.select_related("version", "domain")
        .prefetch_related(
            Prefetch("version__options", queryset=options_with_key_in_force()),
            "selections",
        )
        .order_by("position")
    )
    return [_display(item) for item in items]


@dataclass(frozen=True)
class ReviewRow(NavEntry):
    """A navigator entry with the item's stem, for the review screen (no keys)."""

    stem: str


def attempt_review_rows(*, attempt: Attempt) -> list[ReviewRow]:
    """Answered/flagged state and stem of every item, in one query."""
    rows = _items_in_order(attempt).values_list(
        "position", "has_answer", "flagged", "version__stem"
    )
    return [ReviewRow(position=p, answered=a, flagged=f, stem=s) for p, a, f, s in rows]


@dataclass(frozen=True)
class ResultCounts:
    """How many items each results filter would show, and the attempt's domains."""

    total: int
    incorrect: int
    flagged: int
    domains: list[tuple[int, str, int]]  # (domain id, name, items)


def attempt_result_counts(*, attempt: Attempt) -> ResultCounts:
    """Count the submitted attempt's items per filter and per domain, in one query."""
    rows = list(
        AttemptItem.objects.filter(attempt=attempt)
        .values("domain_id", "domain__name", "domain__position")
        .annotate(
            n=Count("pk"),
            wrong=Count("pk", filter=Q(is_correct=False)),
            flags=Count("pk", filter=Q(flagged=True)),
        )
        .order_by("domain__position", "domain__name")
    )
    return ResultCounts(
        total=sum(r["n"] for r in rows),
        incorrect=sum(r["wrong"] for r in rows),
        flagged=sum(r["flags"] for r in rows),
        domains=[(r["domain_id"], r["domain__name"], r["n"]) for r in rows],
    )


def audit_event_list() -> QuerySet[AttemptEvent]:
    """Every attempt audit event, newest first, with what the audit log page shows preloaded."""
    return AttemptEvent.objects.select_related(
        "actor", "attempt__user", "attempt__blueprint"
    ).order_by("-at", "-pk")


def attempt_confidence_items(*, attempt: Attempt) -> list[ConfidenceItem]:
    """Every item's confidence, answer state, correctness, domain and stem, in one query (for
    `exams.confidence.calibrate`; only for submitted attempts, whose correctness is known)."""
    if attempt.state == Attempt.State.IN_PROGRESS:
        raise ReviewNotOpen("The review with keys opens only after submission.", status=403)
    rows = _items_in_order(attempt).values_list(
        "position", "confidence", "has_answer", "is_correct", "domain__name", "version__stem"
    )
    return [
        ConfidenceItem(
            position=p, confidence=c, answered=a, correct=bool(ok), domain=d or "", stem=s
        )
        for p, c, a, ok, d, s in rows
    ]
