"""What study does when the apps below it announce something (connected in apps.py)."""

from __future__ import annotations

import logging

from django.db import transaction

from . import selectors, services
from .tasks import cards_from_attempt

logger = logging.getLogger(__name__)


def queue_cards(sender, *, attempt_id: int, **kwargs) -> None:
    """Queue the finished attempt's cards after commit; a broker outage never fails a submit."""

    def send():
        try:
            cards_from_attempt.delay(attempt_id)
        except Exception:  # noqa: BLE001 - the broker being down must never fail a submit
            logger.warning(
                "Review cards of attempt %s not queued (broker down); study.tasks.catch_up_cards "
                "(every 10 minutes) will make them.",
                attempt_id,
            )

    transaction.on_commit(send)


def rate_checked_item(sender, *, attempt_id: int, item_id: int, now=None, **kwargs) -> None:
    """Rate the card of a checked item in the check's transaction (one locked card row).

    In a savepoint: should rating fail, the check itself still succeeds (logged).
    """
    try:
        with transaction.atomic():
            services.item_rate(attempt_id=attempt_id, item_id=item_id, now=now)
    except Exception:  # noqa: BLE001 - a study failure must not take the feedback away
        logger.exception("Rating the review card of item %s failed", item_id)


def dashboard_panel(sender, *, user, guide_code: str = "", **kwargs) -> dict | None:
    """The review deck and the study plan on the student dashboard."""
    overview = selectors.deck_overview(user=user)
    actions = selectors.study_plan(user=user, guide_code=guide_code, overview=overview)
    if not overview.counts.size and not actions:
        return None
    return {
        "template": "study/panels/dashboard.html",
        "context": {"o": overview, "actions": actions, "guide": guide_code},
    }
