"""Health checks for the database and the Celery broker."""

import redis
from django.conf import settings
from django.db import connection

from .models import WorkerHeartbeat


def database_status() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return False, f"error: {exc.__class__.__name__}"
    return True, connection.vendor


def broker_status() -> tuple[bool, str]:
    if not settings.REDIS_URL:
        return True, "eager (no broker configured)"
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
    except Exception as exc:  # any client error means "down"
        return False, f"error: {exc.__class__.__name__}"
    return True, "redis"


def worker_status() -> dict:
    """Report the newest worker heartbeat (informational: exams never wait on workers)."""
    beat = WorkerHeartbeat.objects.order_by("-last_seen").first()
    if beat is None:
        return {"last_heartbeat": None}
    return {"last_heartbeat": beat.last_seen.isoformat(), "hostname": beat.hostname}
