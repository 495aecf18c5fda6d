"""Thin Celery tasks for analytics: take ids, call a service. Late acks, retries, idempotent."""

from __future__ import annotations

import time

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from exams.models import Attempt

from .services import (
    attempt_results_compute,
    blueprint_statistics_compute,
    calibration,
    nightly_recompute,
    standings_compute,
)
from .services.runs import run_progress

TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (Exception,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 8,
}


def _debounce_key(blueprint_id: int) -> str:
    return f"analytics:blueprint:{blueprint_id}:scheduled"


def schedule_blueprint_statistics(blueprint_id: int) -> bool:
    """Queue one statistics run per blueprint per debounce window, not one per submission."""
    delay = settings.ANALYTICS_DEBOUNCE_SECONDS
    if not cache.add(_debounce_key(blueprint_id), 1, timeout=delay * 3):
        return False
    blueprint_statistics.apply_async((blueprint_id,), countdown=delay)
    return True


def _fault_pause() -> None:
    """Fault-injection point for the tests: hold the task open so a worker can be killed."""
    pause = settings.ANALYTICS_FAULT_PAUSE_SECONDS
    if pause:
        time.sleep(pause)


# Nobody waits on these results, and not storing them keeps a submit from touching the result
# backend at all (which would otherwise retry for seconds while Redis is down).
@shared_task(ignore_result=True, **TASK_OPTIONS)
def attempt_analytics(attempt_id: int) -> dict:
    """Store a submitted attempt's domain rows and the student's standings."""
    attempt = Attempt.objects.only("user_id", "blueprint_id").get(pk=attempt_id)
    with transaction.atomic():
        rows = attempt_results_compute(attempt_id=attempt_id)
        _fault_pause()
        standings_compute(user_id=attempt.user_id)
    schedule_blueprint_statistics(attempt.blueprint_id)
    return {"attempt": attempt_id, "domain_rows": rows}


@shared_task(ignore_result=True, **TASK_OPTIONS)
def blueprint_statistics(blueprint_id: int, run_id: int | None = None) -> int:
    """Recompute a blueprint's item analysis; a run id reports progress to the page."""
    cache.delete(_debounce_key(blueprint_id))
    lock = f"analytics:blueprint:{blueprint_id}:lock"
    if not cache.add(lock, 1, timeout=600):
        # Another run is computing the same blueprint; try again shortly rather than twice.
        raise blueprint_statistics.retry(countdown=5, max_retries=60)
    try:
        stats = blueprint_statistics_compute(
            blueprint_id=blueprint_id,
            progress=(lambda p, m: run_progress(run_id, p, m)) if run_id else None,
        )
    except Exception:
        if run_id:
            run_progress(run_id, 100, "Failed", failed=True)
        raise
    finally:
        cache.delete(lock)
    return stats.attempts


@shared_task(**TASK_OPTIONS)
def recompute_all_analytics() -> dict:
    """Nightly: rebuild every derived number from the raw answers."""
    return nightly_recompute()


@shared_task(**TASK_OPTIONS)
def catch_up_missing_analytics() -> int:
    """Compute attempts whose analytics never ran (the broker was down when they were sent)."""
    missing = list(
        Attempt.objects.finished()
        .filter(domain_rows__isnull=True)
        .values_list("pk", flat=True)[:500]
    )
    for attempt_id in missing:
        attempt_analytics.delay(attempt_id)
    return len(missing)


@shared_task(ignore_result=True, **TASK_OPTIONS)
def calibrate_items(run_id: int) -> None:
    """Run one IRT calibration (ids in; idempotent: a done run only adds missing equatings)."""
    lock = "analytics:calibration:lock"
    if not cache.add(lock, run_id, timeout=3600):
        raise calibrate_items.retry(countdown=30, max_retries=120)
    try:
        calibration.calibration_run(run_id=run_id)
    finally:
        cache.delete(lock)


@shared_task(ignore_result=True, **TASK_OPTIONS)
def calibrate_items_nightly() -> None:
    """Nightly: queue a calibration (none when one is already queued or running)."""
    calibration.calibration_request(user=None, dispatch=calibrate_items.delay)


@shared_task(ignore_result=True, **TASK_OPTIONS)
def equate_attempt(attempt_id: int) -> int:
    """Equate a just-finished attempt with the latest run (idempotent: one row per run)."""
    return calibration.equate_attempt(attempt_id=attempt_id)


@shared_task(ignore_result=True, **TASK_OPTIONS)
def reequate_attempt(attempt_id: int) -> int:
    """A regraded attempt (a key correction): replace its equating under the latest run, which
    was computed from the old marks (idempotent: delete and add in one transaction)."""
    from .models import AttemptEquating

    with transaction.atomic():
        run = calibration.latest_run()
        if run is None:
            return 0
        AttemptEquating.objects.filter(attempt_id=attempt_id, run=run).delete()
        return calibration.equate_attempts(run=run, attempt_ids=[attempt_id])
