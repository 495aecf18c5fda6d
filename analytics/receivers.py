"""What analytics does when the apps below it announce something (connected in apps.py)."""

from __future__ import annotations

import logging

from django.db import transaction

from .tasks import attempt_analytics

logger = logging.getLogger(__name__)


def queue_attempt_analytics(sender, *, attempt_id: int, **kwargs) -> None:
    """Queue the per-attempt analytics after commit; a rolled-back submit dispatches nothing."""

    def send():
        try:
            attempt_analytics.delay(attempt_id)
        except Exception:  # noqa: BLE001 - the broker being down must never fail a submit
            logger.warning(
                "Analytics for attempt %s not queued (broker down); catch_up_missing_analytics "
                "(every 5 minutes) will send it.",
                attempt_id,
            )

    transaction.on_commit(send)
