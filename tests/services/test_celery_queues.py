"""Exam-critical tasks on the `exams` queue, analytics on `analytics`; none on the default."""

import re

import pytest

from config.celery import ANALYTICS_QUEUE, EXAM_QUEUE, QUEUES, app, worker_argv

# Where each app's tasks belong (a new app with tasks must be added here and to the routes).
EXPECTED_QUEUE = {
    "exams": EXAM_QUEUE,
    "core": EXAM_QUEUE,
    "analytics": ANALYTICS_QUEUE,
    "study": ANALYTICS_QUEUE,
    "lti": ANALYTICS_QUEUE,  # grade passback: network calls to an LMS, never on "exams"
}


def _project_tasks() -> list[str]:
    app.loader.import_default_modules()  # autodiscovery: every app's tasks.py
    return sorted(name for name in app.tasks if not name.startswith("celery."))


def test_every_registered_task_is_routed_to_its_queue():
    names = _project_tasks()
    assert "exams.tasks.expire_overdue_attempts" in names
    assert "analytics.tasks.recompute_all_analytics" in names
    routed = {name: app.amqp.router.route({}, name)["queue"].name for name in names}
    assert routed == {name: EXPECTED_QUEUE[name.split(".")[0]] for name in names}
    assert app.conf.task_default_queue not in routed.values()


def test_beat_only_schedules_routed_tasks():
    for entry in app.conf.beat_schedule.values():
        assert app.amqp.router.route({}, entry["task"])["queue"].name in QUEUES, entry


def test_workers_started_by_tests_and_benchmark_consume_both_queues():
    argv = worker_argv("--concurrency=1")
    assert argv[argv.index("-Q") + 1] == "exams,analytics"


@pytest.mark.services("postgresql", "redis")
def test_tasks_land_on_their_queue_in_redis(celery_app_on_redis, redis_url):
    import redis

    from analytics.tasks import attempt_analytics, recompute_all_analytics
    from core.tasks import worker_heartbeat
    from exams.tasks import expire_overdue_attempts

    broker = redis.Redis.from_url(redis_url)
    expire_overdue_attempts.delay()
    worker_heartbeat.delay("somewhere")
    attempt_analytics.delay(1)
    recompute_all_analytics.delay()
    assert broker.llen("exams") == 2
    assert broker.llen("analytics") == 2
    assert broker.llen("celery") == 0


def test_the_real_worker_consumes_both_queues(celery_worker_process):
    from core.tasks import worker_heartbeat

    assert worker_heartbeat.delay("queues-host").get(timeout=60) == 1
    banner = celery_worker_process.output()
    listed = set(re.findall(r"^\s*\.> (\w+)\s+exchange=", banner, re.MULTILINE))
    assert listed == {"exams", "analytics"}, banner


def test_a_busy_analytics_worker_does_not_delay_the_auto_submit(
    celery_app_on_redis, redis_url, transactional_db
):
    """The compose layout: one worker per queue. Analytics held 25 s; auto-submit at once."""
    import random
    import time
    from datetime import timedelta

    from django.utils import timezone

    from exams.models import Attempt
    from exams.services import attempt_start, attempt_submit
    from exams.tasks import expire_overdue_attempts
    from tests.conftest import WorkerProcess, _db_url_for_current_test_database
    from tests.factories.accounts import UserFactory
    from tests.factories.exams import short_blueprint
    from tests.factories.questions import make_bank

    make_bank(per_domain=6)
    blueprint = short_blueprint()
    database_url = _db_url_for_current_test_database()
    workers = [
        WorkerProcess(
            redis_url,
            database_url,
            env={"ANALYTICS_FAULT_PAUSE_SECONDS": "25"},
            queues=(ANALYTICS_QUEUE,),
        ),
        WorkerProcess(redis_url, database_url, queues=(EXAM_QUEUE,)),
    ]
    try:
        analytics, exams = (worker.start() for worker in workers)
        busy = UserFactory(role="Student")
        submitted = attempt_start(user=busy, blueprint=blueprint, rng=random.Random(1))
        attempt_submit(user=busy, attempt_id=submitted.pk)  # queues analytics: held 25 s
        deadline = time.monotonic() + 30
        while "attempt_analytics[" not in analytics.output() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "attempt_analytics[" in analytics.output(), analytics.output()

        late = UserFactory(role="Student")
        overdue = attempt_start(user=late, blueprint=blueprint, rng=random.Random(2))
        Attempt.objects.filter(pk=overdue.pk).update(deadline=timezone.now() - timedelta(hours=1))
        started = time.monotonic()
        assert expire_overdue_attempts.delay().get(timeout=15) == 1, exams.output()
        assert time.monotonic() - started < 15
        overdue.refresh_from_db()
        assert overdue.state == Attempt.State.EXPIRED
        assert "attempt_analytics[" not in exams.output()
        assert "attempt_analytics[" in analytics.output()
        # Still busy with the held task (other analytics-queue tasks, such as the study
        # cards of the same submit, may have finished meanwhile).
        held = re.search(r"attempt_analytics\[[^\]]+\] succeeded", analytics.output())
        assert held is None, analytics.output()
    finally:
        for worker in workers:
            if worker.process is not None:
                worker.stop()
