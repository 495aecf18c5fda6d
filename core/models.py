"""Site-wide records that belong to no product app."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker host ran the heartbeat task (shown by /healthz)."""

    hostname = models.CharField(max_length=255, unique=True)
    last_seen = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.hostname} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"
