"""Grade passback from Celery (queue "analytics": network calls to an LMS never hold up the
exams queue's auto-submits)."""

import logging

from celery import shared_task
from django.conf import settings

from . import services

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=None)
def grade_passback(self, passback_id: int):
    """Send one attempt's score to its platform; retry network errors and 5xx with backoff.

    Idempotent: a passback already sent is not sent again, and a redelivered task finds it so.
    After LTI_PASSBACK_MAX_RETRIES retries the record is marked failed (audited) and an admin
    or instructor can resend it from the course page.
    """
    max_retries = settings.LTI_PASSBACK_MAX_RETRIES
    if self.request.is_eager:
        # Run in process (`make run` without Redis): retry at once, in a loop, since an eager
        # task's retry would only raise (CELERY_TASK_EAGER_PROPAGATES).
        for attempt in range(max_retries + 1):
            try:
                passback = services.passback_send(
                    passback_id=passback_id, final=attempt == max_retries
                )
            except services.PassbackRetry as exc:
                logger.warning("Grade passback %s failed, retrying: %s", passback_id, exc)
                continue
            return passback.state if passback is not None else None
        return None
    final = self.request.retries >= max_retries
    try:
        passback = services.passback_send(passback_id=passback_id, final=final)
    except services.PassbackRetry as exc:
        countdown = min(
            settings.LTI_PASSBACK_BACKOFF_SECONDS * (2**self.request.retries),
            settings.LTI_PASSBACK_BACKOFF_MAX_SECONDS,
        )
        logger.warning("Grade passback %s will retry in %ss: %s", passback_id, countdown, exc)
        raise self.retry(exc=exc, countdown=countdown, max_retries=max_retries + 1) from exc
    return passback.state if passback is not None else None


def dispatch_passback(passback_id: int) -> None:
    """Queue the grade passback task (handed to the services, which do not import tasks)."""
    grade_passback.delay(passback_id)
