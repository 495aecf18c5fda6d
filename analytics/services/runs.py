"""Recompute runs an instructor started, with progress for the page."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from ..models import AnalyticsRun


def run_progress(run_id: int, percent: int, message: str, *, failed: bool = False) -> None:
    """Record progress (the statistics are computed outside a transaction, so it shows)."""
    status = (
        AnalyticsRun.Status.FAILED
        if failed
        else AnalyticsRun.Status.DONE
        if percent >= 100
        else AnalyticsRun.Status.RUNNING
    )
    AnalyticsRun.objects.filter(pk=run_id).update(
        progress=percent,
        message=message[:200],
        status=status,
        finished_at=timezone.now() if status in ("done", "failed") else None,
    )


@transaction.atomic
def run_request(
    *, blueprint, user, dispatch: Callable[[int, int], object]
) -> tuple[AnalyticsRun, bool]:
    """Queue a recompute unless one is already queued or running for this blueprint.

    `dispatch(blueprint_id, run_id)` queues the work after commit (the view passes the task's
    `delay`: tasks call services, so services do not import tasks).
    """
    active = (
        AnalyticsRun.objects.select_for_update()
        .filter(
            blueprint=blueprint,
            status__in=[AnalyticsRun.Status.QUEUED, AnalyticsRun.Status.RUNNING],
        )
        .first()
    )
    if active is not None:
        return active, False
    run = AnalyticsRun.objects.create(blueprint=blueprint, requested_by=user)
    transaction.on_commit(lambda: dispatch(blueprint.pk, run.pk))
    return run, True
