"""Analytics through a real Redis broker and real Celery worker processes on PostgreSQL."""

import json
import os
import random
import re
import signal
import subprocess
import time

import pytest
from django.db import transaction
from django.urls import reverse

from analytics.models import AttemptDomainResult, StudentDomainStanding
from exams.services import answer_save, attempt_start, attempt_submit
from tests.factories.accounts import UserFactory
from tests.factories.exams import reported_domain_rows, short_blueprint, stored_domain_rows
from tests.factories.questions import make_bank
from tests.faults.conftest import wait_for

pytestmark = pytest.mark.services("postgresql", "redis")


def _sit(student, *, correct=(1, 2, 3, 4)):
    blueprint = short_blueprint(slug=f"short-{student.pk}")
    attempt = attempt_start(user=student, blueprint=blueprint, rng=random.Random(5))
    for item in attempt.items.select_related("version").prefetch_related("version__options"):
        options = {o.pk: o for o in item.version.options.all()}
        keyed = [o for o in item.option_order if options[o].is_correct]
        wrong = [o for o in item.option_order if not options[o].is_correct][:1]
        answer_save(
            user=student,
            attempt_id=attempt.pk,
            position=item.position,
            option_ids=keyed if item.position in correct else wrong,
            seq=1,
        )
    return attempt


def test_submission_goes_through_redis_to_a_worker_and_the_dashboard_shows_it(start_worker, client):
    worker = start_worker(ANALYTICS_DEBOUNCE_SECONDS=1)
    make_bank(per_domain=6)
    student = UserFactory(role="Student")
    attempt = attempt_submit(user=student, attempt_id=_sit(student).pk)
    standing = StudentDomainStanding.objects.filter(user=student)
    assert wait_for(standing.exists, timeout=60), worker.output()
    assert stored_domain_rows(attempt) == reported_domain_rows(attempt)
    client.force_login(student)
    body = client.get(reverse("analytics:dashboard")).content.decode()
    security = next(r for r in reported_domain_rows(attempt) if r[0] == "Security")
    assert f"{security[1]} / {security[2]}" in body
    assert "analytics.tasks.attempt_analytics" in worker.output()


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_a_worker_killed_mid_task_gets_the_task_again_with_identical_results(start_worker):
    worker = start_worker(ANALYTICS_FAULT_PAUSE_SECONDS=4, ANALYTICS_DEBOUNCE_SECONDS=60)
    make_bank(per_domain=6)
    student = UserFactory(role="Student")
    attempt = attempt_submit(user=student, attempt_id=_sit(student).pk)
    received = re.compile(r"attempt_analytics\[[^\]]+\] received")
    assert wait_for(lambda: received.search(worker.output()), timeout=60), worker.output()
    time.sleep(1.5)  # the task is now inside its transaction, paused
    children = _children(worker.process.pid)
    assert children, worker.output()
    for child in children:
        os.kill(child, signal.SIGKILL)
    assert wait_for(
        lambda: re.search(r"attempt_analytics\[[^\]]+\] succeeded", worker.output()), timeout=90
    ), worker.output()
    # Delivered twice: once to the killed process, once more after the worker noticed.
    assert len(received.findall(worker.output())) == 2, worker.output()
    assert "WorkerLostError" in worker.output()
    assert stored_domain_rows(attempt) == reported_domain_rows(attempt)
    assert AttemptDomainResult.objects.filter(attempt=attempt).count() == len(
        reported_domain_rows(attempt)
    )


def test_a_rolled_back_submission_dispatches_nothing(
    celery_app_on_redis, redis_url, transactional_db
):
    import redis

    queue = redis.Redis.from_url(redis_url)
    make_bank(per_domain=6)
    student = UserFactory(role="Student")
    attempt = _sit(student)
    with pytest.raises(RuntimeError), transaction.atomic():
        attempt_submit(user=student, attempt_id=attempt.pk)
        raise RuntimeError("the request failed after submitting")
    assert queue.llen("analytics") == 0
    attempt_submit(user=student, attempt_id=attempt.pk)
    # The same check does see a committed submission's tasks, on the analytics queue.
    sent = [json.loads(raw)["headers"]["task"] for raw in queue.lrange("analytics", 0, -1)]
    assert sent.count("analytics.tasks.attempt_analytics") == 1, sent
    assert queue.llen("celery") == queue.llen("exams") == 0
