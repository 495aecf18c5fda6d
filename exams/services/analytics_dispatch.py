"""Hand a submitted attempt to the analytics pipeline once the transaction commits."""

from django.db import transaction


def dispatch_attempt_analytics(attempt_id: int) -> None:
    """Queue the per-attempt analytics after commit; a rolled-back submit dispatches nothing."""
    # The analytics task arrives with the analytics issue; until then there is nothing to run.
    try:
        from analytics.tasks import attempt_analytics
    except ImportError:
        return

    def send():
        try:
            attempt_analytics.delay(attempt_id)
        except Exception:  # noqa: BLE001 - the broker being down must never fail a submit
            import logging

            logging.getLogger(__name__).warning(
                "Analytics for attempt %s not queued (broker down); the nightly recompute "
                "will catch up.",
                attempt_id,
            )

    transaction.on_commit(send)
