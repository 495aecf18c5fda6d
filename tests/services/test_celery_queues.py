"""Exam-critical tasks on the `exams` queue, analytics on `analytics`; none on the default."""

import re

import pytest

from config.celery import ANALYTICS_QUEUE, EXAM_QUEUE, QUEUES, app, worker_argv

# Where each app's tasks belong (a new app with tasks must be added here and to the routes).
EXPECTED_QUEUE = {"exams": EXAM_QUEUE, "core": EXAM_QUEUE, "analytics": ANALYTICS_QUEUE}


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
