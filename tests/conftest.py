"""Shared fixtures: users per role, a real Celery worker, Chromium through Playwright."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from config.celery import QUEUES, worker_argv
from tests.factories.accounts import UserFactory

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """Restore what data migrations wrote, since transactional tests flush every table."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        from django.apps import apps

        from accounts.roles import sync_role_groups
        from exams.reference import sync_blueprints, sync_task_statement_drills
        from questions.reference import sync_exam_guides, sync_task_statements

        sync_role_groups(apps)
        sync_exam_guides(apps)
        sync_task_statements(apps)
        sync_blueprints(apps)
        sync_task_statement_drills(apps)


@pytest.fixture(autouse=True)
def _fresh_local_cache():
    """Start each test with an empty in-process cache, as with an empty database.

    Transactional tests flush the tables and reset the id sequences, so a later test's user can
    get an earlier one's id and inherit its rate-limit counters (keyed by user id) within the
    same window. A Redis cache is left alone: the tests that use one bring their own.
    """
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    backend = caches["default"]
    if isinstance(backend, LocMemCache):
        backend.clear()


@pytest.fixture
def student(db):
    return UserFactory(role="Student")


@pytest.fixture
def other_student(db):
    return UserFactory(role="Student")


@pytest.fixture
def instructor(db):
    return UserFactory(role="Instructor")


@pytest.fixture
def admin_user(db):
    return UserFactory(role="Admin")


@pytest.fixture
def student_client(client, student):
    client.force_login(student)
    return client


def _db_url_for_current_test_database() -> str:
    from django.db import connection

    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.fixture
def redis_url():
    """The suite's Redis (tests/plugin.py), emptied; skip, or fail under CI=true, without it."""
    from tests.plugin import require

    require("redis")
    url = os.environ["TEST_REDIS_URL"]
    import redis

    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def celery_app_on_redis(redis_url, settings):
    """Send this test's tasks through the real Redis broker instead of running them eagerly."""
    from config.celery import app

    assert app.conf.broker_url == redis_url, "test settings must wire TEST_REDIS_URL"
    settings.REDIS_URL = redis_url
    app.conf.task_always_eager = False
    try:
        yield app
    finally:
        app.conf.task_always_eager = True


class WorkerProcess:
    def __init__(
        self,
        redis_url: str,
        database_url: str,
        extra_args: list[str] | None = None,
        env: dict | None = None,
        queues: tuple[str, ...] = QUEUES,
    ):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            **(env or {}),
        }
        self.args = extra_args or []
        self.queues = queues
        self.log_path = (
            Path(os.environ.get("TMPDIR", "/tmp")) / f"celery-{os.getpid()}-{time.time_ns()}.log"
        )
        self.process: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            # Both queues (-Q exams,analytics) unless told: one worker serves everything sent.
            worker_argv(
                "--concurrency=1",
                "--pool=prefork",
                "--without-heartbeat",
                *self.args,
                queues=self.queues,
            ),
            cwd=REPO_ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if b"ready." in self.log_path.read_bytes():
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited:\n{self.log_path.read_text()}")
            time.sleep(0.2)
        raise RuntimeError(f"celery worker not ready in 60 s:\n{self.log_path.read_text()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(10)
        self.log.close()
        self.log_path.unlink(missing_ok=True)


@pytest.fixture
def start_worker(celery_app_on_redis, redis_url, transactional_db):
    """Start real `celery worker` processes (on Redis and the test's PostgreSQL database)."""
    from tests.plugin import require

    require("postgresql")
    workers = []

    def start(**env) -> WorkerProcess:
        worker = WorkerProcess(
            redis_url, _db_url_for_current_test_database(), env={k: str(v) for k, v in env.items()}
        ).start()
        workers.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            worker.stop()


@pytest.fixture
def celery_worker_process(start_worker):
    """One real worker with default settings."""
    return start_worker()
