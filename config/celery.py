"""The Celery application, configured from Django settings (CELERY_* names)."""

import os
import sys

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("dva_mock")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def worker_argv(*options: str) -> list[str]:
    """Return the command that starts a worker of this app here, with `options` appended.

    The benchmark and the tests start real workers; gossip and mingle only slow a lone
    worker's start.
    """
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        *options,
    ]
