"""Writes for site-wide records."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import WorkerHeartbeat


@transaction.atomic
def worker_heartbeat_record(*, hostname: str) -> WorkerHeartbeat:
    """Record that a worker on `hostname` is alive; safe to run any number of times."""
    beat, created = WorkerHeartbeat.objects.select_for_update().get_or_create(
        hostname=hostname, defaults={"last_seen": timezone.now(), "beats": 1}
    )
    if not created:
        WorkerHeartbeat.objects.filter(pk=beat.pk).update(
            last_seen=timezone.now(), beats=F("beats") + 1
        )
        beat.refresh_from_db()
    return beat
