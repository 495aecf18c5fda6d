"""Gauges that read the apps' tables for /metrics (settings.METRICS_GAUGES names them).

They live in config, which may import every app, so that core (which serves /metrics) imports
none.
"""

from exams.models import Attempt


def open_attempts() -> int:
    """Attempts in progress (students sitting an exam or who left one open)."""
    return Attempt.objects.in_progress().count()
