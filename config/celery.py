"""The Celery application, configured from Django settings (CELERY_* names)."""

import os
import sys

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("dva_mock")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Exam-critical tasks (auto-submit of overdue attempts, the worker heartbeat) and analytics
# (statistics, recompute, calibration, equating) travel on separate queues, so a nightly
# recompute never delays an auto-submit: settings.CELERY_TASK_ROUTES routes them, production
# runs one worker per queue (docker-compose.yml), the tests and the benchmark one for both.
EXAM_QUEUE = "exams"
ANALYTICS_QUEUE = "analytics"
QUEUES = (EXAM_QUEUE, ANALYTICS_QUEUE)


def worker_argv(*options: str, queues: tuple[str, ...] = QUEUES) -> list[str]:
    """Return the command that starts a worker of this app here, with `options` appended.

    The benchmark and the tests start real workers that consume every queue (`-Q
    exams,analytics`) so nothing they send stalls; gossip and mingle only slow a lone
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
        "-Q",
        ",".join(queues),
        *options,
    ]
