"""A whole Celery worker SIGKILLed mid-task: a new worker gets the task again.

tests/services/test_analytics_worker.py kills only the pool process; its own main process
notices and the task is redelivered at once. Here the main process is killed (its pool
processes die with it), so nobody is left to give the message back: the new worker gets it
from Redis once the broker's visibility timeout has passed, and computes the same rows.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analytics.models import AttemptDomainResult, StudentDomainStanding
from exams.services import answer_save, attempt_submit
from tests.conftest import REPO_ROOT
from tests.factories.accounts import UserFactory
from tests.factories.exams import reported_domain_rows, stored_domain_rows
from tests.faults.conftest import (
    assert_went_through_pgbouncer,
    child_pids,
    started_attempt,
    wait_for,
)

pytestmark = pytest.mark.services("postgresql", "redis")

RECEIVED = re.compile(r"attempt_analytics\[[^\]]+\] received")
SUCCEEDED = re.compile(r"attempt_analytics\[[^\]]+\] succeeded")

# Workers read CELERY_VISIBILITY_TIMEOUT from the environment; a short one lets a new worker
# take over the task of a worker killed outright within seconds instead of an hour.
FAULT_VISIBILITY_TIMEOUT = 5
SHORT_VISIBILITY = {"CELERY_VISIBILITY_TIMEOUT": str(FAULT_VISIBILITY_TIMEOUT)}


def _worker_transport_options(env: dict) -> dict:
    """The broker transport options a worker started with `env` would use."""
    code = (
        "import json; from config.celery import app; "
        "print(json.dumps(app.conf.broker_transport_options))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _unacked_tasks(broker) -> list[str]:
    """Task names of the messages kombu's Redis transport holds as delivered, not acked."""
    return sorted(
        json.loads(raw)[0]["headers"]["task"] for raw in broker.hgetall("unacked").values()
    )


def _dead(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"  # a zombie nobody has reaped yet


def _submitted_attempt(student):
    attempt = started_attempt(student, slug="whole-worker-killed")
    for item in attempt.items.select_related("version").prefetch_related("version__options"):
        keyed = [o.pk for o in item.version.options.all() if o.is_correct]
        answer_save(
            user=student,
            attempt_id=attempt.pk,
            position=item.position,
            option_ids=keyed if item.position % 3 else item.option_order[:1],
            seq=1,
        )
    return attempt_submit(user=student, attempt_id=attempt.pk)  # queues attempt_analytics


def test_a_new_worker_gets_the_task_of_a_whole_worker_killed_mid_task(
    database_route, start_worker, redis_url
):
    short_visibility = SHORT_VISIBILITY
    import redis

    options = _worker_transport_options(short_visibility)
    assert options.get("visibility_timeout") == FAULT_VISIBILITY_TIMEOUT, options

    first = start_worker(
        ANALYTICS_FAULT_PAUSE_SECONDS=60, ANALYTICS_DEBOUNCE_SECONDS=60, **short_visibility
    )
    student = UserFactory(role="Student")
    attempt = _submitted_attempt(student)
    assert wait_for(lambda: RECEIVED.search(first.output())), first.output()
    delivered_at = time.monotonic()
    time.sleep(1.5)  # the task now holds its transaction open (the fault pause)
    pool = child_pids(first.process.pid)
    assert pool, first.output()

    os.kill(first.process.pid, signal.SIGKILL)  # the main process only
    first.process.wait(10)
    # Its pool processes die with it (prefork sets PDEATHSIG), the task's transaction too.
    assert wait_for(lambda: all(_dead(pid) for pid in pool), timeout=10), pool
    assert not AttemptDomainResult.objects.filter(attempt=attempt).exists()
    assert not StudentDomainStanding.objects.filter(user=student).exists()
    # Nobody acknowledged or gave back the message: Redis holds it as delivered-unacked.
    broker = redis.Redis.from_url(redis_url)
    assert _unacked_tasks(broker) == ["analytics.tasks.attempt_analytics"]
    waiting = [json.loads(raw)["headers"]["task"] for raw in broker.lrange("analytics", 0, -1)]
    assert "analytics.tasks.attempt_analytics" not in waiting, waiting

    # A new worker scans for expired unacknowledged messages when it starts; start it once
    # the visibility timeout has passed so that first scan already finds this one.
    time.sleep(max(0.0, delivered_at + FAULT_VISIBILITY_TIMEOUT + 1 - time.monotonic()))
    second = start_worker(ANALYTICS_DEBOUNCE_SECONDS=60, **short_visibility)
    assert wait_for(lambda: SUCCEEDED.search(second.output()), timeout=30), second.output()
    assert len(RECEIVED.findall(second.output())) == 1, second.output()
    assert stored_domain_rows(attempt) == reported_domain_rows(attempt)
    assert StudentDomainStanding.objects.filter(user=student).exists()
    # Acknowledged this time (what stays unacked is the statistics run it scheduled, an ETA
    # task a worker holds until its countdown ends).
    assert wait_for(lambda: "analytics.tasks.attempt_analytics" not in _unacked_tasks(broker))
    assert_went_through_pgbouncer(database_route)
