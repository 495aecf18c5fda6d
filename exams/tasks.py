"""Thin Celery tasks for exams."""

from celery import shared_task

from .services import attempts_expire_overdue


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def expire_overdue_attempts() -> int:
    """Submit abandoned attempts whose deadline has passed (run by celery beat)."""
    return attempts_expire_overdue()
