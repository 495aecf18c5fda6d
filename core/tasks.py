"""Thin Celery tasks: take plain values, call a service."""

import socket

from celery import shared_task

from .services import worker_heartbeat_record


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def worker_heartbeat(hostname: str | None = None) -> int:
    beat = worker_heartbeat_record(hostname=hostname or socket.gethostname())
    return beat.beats
