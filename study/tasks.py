"""Thin Celery tasks for study: ids in, a service call. Late acks, retries, idempotent."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from . import services

TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (Exception,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 8,
}


@shared_task(ignore_result=True, **TASK_OPTIONS)
def cards_from_attempt(attempt_id: int) -> dict:
    """Make and rate the review cards of a finished attempt (idempotent)."""
    return services.cards_from_attempt(attempt_id=attempt_id)


@shared_task(ignore_result=True, **TASK_OPTIONS)
def recompute_due_summaries() -> int:
    """Nightly: every student's due today, 14-day forecast and predicted recall (set-based)."""
    return services.due_summaries_recompute()


@shared_task(ignore_result=True, **TASK_OPTIONS)
def catch_up_cards() -> int:
    """Every 10 minutes: cards of the last two days' attempts whose task was never queued."""
    return services.cards_catch_up(since=timezone.now() - timedelta(days=2))
