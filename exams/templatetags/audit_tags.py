"""Audit log rows in words: "Question 6: chose B, C" instead of the stored JSON."""

from __future__ import annotations

from django import template
from django.db.models import Q

from ..models import AttemptEvent, AttemptItem

register = template.Library()


def _letters(option_ids, order: list[int] | None) -> str:
    # Letters as the student saw them: the item pins the order its options were shown in.
    order = order or []
    return ", ".join(
        chr(ord("A") + order.index(i)) if i in order else f"option #{i}" for i in option_ids
    )


def describe(event: AttemptEvent, orders: dict[tuple[int, int], list[int]]) -> str:
    """Return what an event's detail says, in a sentence an admin can read."""
    detail = dict(event.detail or {})
    position = detail.pop("position", None)
    where = f"Question {position}: " if position is not None else ""
    kind = event.kind
    if kind == AttemptEvent.Kind.SAVE and "options" in detail:
        chosen = detail.pop("options") or []
        seq = detail.pop("seq", None)
        order = orders.get((event.attempt_id, position))
        text = f"{where}chose {_letters(chosen, order)}" if chosen else f"{where}cleared the answer"
        text += f" (save no. {seq})" if seq is not None else ""
    elif kind == AttemptEvent.Kind.FLAG and "flagged" in detail:
        text = where + ("flagged for review" if detail.pop("flagged") else "flag removed")
    elif kind == AttemptEvent.Kind.REFUSED:
        text = f"{where}answer refused: it arrived after the deadline"
    elif kind == AttemptEvent.Kind.START and "items" in detail:
        items = detail.pop("items")
        text = f"{items} question{'s' if items != 1 else ''} drawn"
    elif kind == AttemptEvent.Kind.REGRADE and "after" in detail:
        before, after = detail.pop("before", None), detail.pop("after")
        text = f"Scaled score {before if before is not None else '—'} → {after}"
        reason = detail.pop("reason", "")
        text += f" ({reason})" if reason else ""
    else:
        text = where.removesuffix(": ")
    rest = "; ".join(f"{key.replace('_', ' ')}: {value}" for key, value in detail.items())
    return "; ".join(part for part in (text, rest) if part) or "—"


@register.simple_tag
def audit_rows(events) -> list[tuple[AttemptEvent, str]]:
    """Return (event, description) pairs for a page of events, with one query for the items."""
    events = list(events)
    wanted = {
        (e.attempt_id, e.detail["position"])
        for e in events
        if e.kind == AttemptEvent.Kind.SAVE and isinstance(e.detail.get("position"), int)
    }
    orders = {}
    if wanted:
        condition = Q()
        for attempt_id, position in wanted:
            condition |= Q(attempt_id=attempt_id, position=position)
        orders = {
            (attempt_id, position): order
            for attempt_id, position, order in AttemptItem.objects.filter(condition).values_list(
                "attempt_id", "position", "option_order"
            )
        }
    return [(e, describe(e, orders)) for e in events]
