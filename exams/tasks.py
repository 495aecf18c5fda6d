"""Thin Celery tasks for exams."""

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import KeyCorrection
from .services import attempts_expire_overdue, sitting_prepare, sittings_prepare_due
from .services.regrade import correction_run
from .services.sittings import prepare_lead

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def expire_overdue_attempts() -> int:
    """Submit abandoned attempts whose deadline has passed (run by celery beat)."""
    return attempts_expire_overdue()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def sitting_prepare_task(sitting_id: int) -> int:
    """Draw the forms of a scheduled sitting's members (idempotent)."""
    return sitting_prepare(sitting_id=sitting_id)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def prepare_due_sittings() -> int:
    """Beat sweep: prepare every sitting opening within SITTING_PREPARE_LEAD (idempotent)."""
    return sittings_prepare_due()


def queue_sitting_prepare(sitting_id: int, opens_at: datetime, *, now: datetime | None = None):
    """Queue `sitting_prepare_task` for SITTING_PREPARE_LEAD before `opens_at` (at once when
    that is past); given to `sitting_schedule` as its `dispatch`.

    A Redis broker redelivers a task held longer than its visibility timeout, so a sitting
    further ahead than half of it is left to the beat sweep (every minute), as is any sitting
    whose task could not be queued because the broker was down. Without a broker (tasks
    eager, no beat) the forms are drawn at once.
    """
    now = now or timezone.now()
    eta = opens_at - prepare_lead()
    horizon = timedelta(
        seconds=settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600) / 2
    )
    try:
        # Without a broker (`make run`) tasks run in process and no beat runs: prepare now.
        if eta <= now or sitting_prepare_task.app.conf.task_always_eager:
            return sitting_prepare_task.apply_async(args=[sitting_id])
        if eta - now <= horizon:
            return sitting_prepare_task.apply_async(args=[sitting_id], eta=eta)
    except Exception:  # noqa: BLE001 - a broker that is down must not fail the schedule
        logger.warning(
            "Sitting %s not queued (broker down); the beat sweep prepares it.", sitting_id
        )
    return None


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def key_correction_apply(correction_id: int) -> int:
    """Regrade the attempts a key correction affects, 200 per transaction (idempotent: a
    retry or a redelivery skips the attempts done already)."""
    try:
        return correction_run(correction_id=correction_id).attempts_done
    except Exception:
        if key_correction_apply.request.retries >= key_correction_apply.max_retries:
            KeyCorrection.objects.filter(pk=correction_id).exclude(
                state=KeyCorrection.State.DONE
            ).update(state=KeyCorrection.State.FAILED)
        raise
