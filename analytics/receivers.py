"""What analytics does when the apps below it announce something (connected in apps.py)."""

from __future__ import annotations

import logging

from django.db import transaction

from exams.models import Blueprint

from .services import calibration
from .tasks import attempt_analytics, blueprint_statistics, equate_attempt, reequate_attempt

logger = logging.getLogger(__name__)


def queue_attempt_analytics(sender, *, attempt_id: int, **kwargs) -> None:
    """Queue the per-attempt analytics after commit; a rolled-back submit dispatches nothing."""

    def send():
        try:
            attempt_analytics.delay(attempt_id)
            # The equated score (when the bank is calibrated) within seconds of the submit.
            equate_attempt.delay(attempt_id)
        except Exception:  # noqa: BLE001 - the broker being down must never fail a submit
            logger.warning(
                "Analytics for attempt %s not queued (broker down); catch_up_missing_analytics "
                "(every 5 minutes) will send it.",
                attempt_id,
            )

    transaction.on_commit(send)


def results_panel(sender, *, attempt, **kwargs) -> dict | None:
    """The equated score of a finished exam attempt, with every later re-estimate."""
    if attempt.mode != Blueprint.Mode.EXAM:
        return None
    equatings = calibration.results_for_attempt(attempt_id=attempt.pk)
    if not equatings:
        return None
    return {
        "template": "analytics/panels/results_equated.html",
        "context": {"first": equatings[0], "later": equatings[1:], "attempt": attempt},
        "calibrated": True,
    }


def blueprint_panel(sender, *, blueprint, **kwargs) -> dict | None:
    """θ_cut of an exam blueprint under the latest calibration (or why there is none yet)."""
    if blueprint.mode != Blueprint.Mode.EXAM:
        return None
    return {
        "template": "analytics/panels/blueprint_cut.html",
        "context": {
            "cut": calibration.blueprint_cut(blueprint=blueprint),
            "blueprint": blueprint,
            "min_items": calibration.REFERENCE_MIN_ITEMS,
            "min_attempts": calibration.calibrated_min_attempts(),
        },
    }


def queue_regraded_analytics(sender, *, attempt_id: int, **kwargs) -> None:
    """A key correction regraded an attempt: its domain rows, standings and equating follow
    (after commit: a preview, rolled back, queues nothing)."""

    def send():
        try:
            attempt_analytics.delay(attempt_id)
            reequate_attempt.delay(attempt_id)
        except Exception:  # noqa: BLE001 - the nightly recompute rebuilds them anyway
            logger.warning("Analytics for regraded attempt %s not queued.", attempt_id)

    transaction.on_commit(send)


def queue_correction_statistics(sender, *, blueprint_ids, **kwargs) -> None:
    """Once per key correction: the item statistics of every blueprint it touched."""

    def send():
        for blueprint_id in blueprint_ids:
            try:
                blueprint_statistics.delay(blueprint_id)
            except Exception:  # noqa: BLE001 - the nightly recompute rebuilds them anyway
                logger.warning("Statistics for blueprint %s not queued.", blueprint_id)

    transaction.on_commit(send)


def regrade_panel(sender, *, user, **kwargs) -> dict | None:
    """The student's regraded attempts (a key correction), with the reason."""
    from exams.services.regrade import regrades_for_user

    regrades = regrades_for_user(user=user)
    if not regrades:
        return None
    return {"template": "exams/partials/regrade_notices.html", "context": {"regrades": regrades}}
