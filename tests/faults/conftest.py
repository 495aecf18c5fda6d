"""Fixtures for fault tests: a private Redis, Celery pointed at it, Chromium, helpers.

Every process these tests start listens on 127.0.0.1 only and is stopped by its fixture.
"""

from __future__ import annotations

import os
import random
import shlex
import shutil
import subprocess
import threading
import time
from contextlib import contextmanager

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.servers import RedisServer, _demote_cmd

# Playwright's sync API runs an event loop in its thread; the ORM calls the browser test
# makes there are still synchronous (as in tests/browser/conftest.py).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def wait_for(predicate, timeout: float = 30, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def child_pids(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def short_blueprint(*, slug: str, question_count: int = 10):
    from exams.models import Blueprint
    from questions.models import ExamGuide

    return Blueprint.objects.create(
        title=f"Fault check {slug}",
        slug=slug,
        question_count=question_count,
        duration_minutes=30,
        guide=ExamGuide.objects.get(code="DVA-C01"),
    )


def started_attempt(student, *, slug: str, seed: int = 7):
    """A bank, a short blueprint and a started attempt, all through the services."""
    from exams.services import attempt_start
    from tests.factories.questions import make_bank

    make_bank(per_domain=6)
    return attempt_start(
        user=student, blueprint=short_blueprint(slug=slug), rng=random.Random(seed)
    )


def _reset_celery_connections(app) -> None:
    """Forget the app's cached broker pools and result backend, so the next use reconnects."""
    from kombu import pools

    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    pools.reset()  # kombu keeps pools per broker URL in a process-wide registry
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


@contextmanager
def celery_app_pointed_at(url: str):
    """Point the project's Celery app (broker and results) at `url`, then restore it."""
    from config.celery import app

    saved = {
        "broker_url": app.conf.broker_url,
        "result_backend": app.conf.result_backend,
        "task_always_eager": app.conf.task_always_eager,
    }
    app.conf.broker_url = url
    app.conf.result_backend = url
    app.conf.task_always_eager = False
    _reset_celery_connections(app)
    try:
        yield app
    finally:
        for key, value in saved.items():
            setattr(app.conf, key, value)
        _reset_celery_connections(app)


@pytest.fixture
def private_redis():
    """A Redis server of this test's own, so stopping it cannot disturb any other test."""
    from tests.plugin import require

    require("redis")
    server = RedisServer(shutil.which("redis-server")).start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def celery_app_on_private_redis(private_redis, settings, transactional_db):
    """Like `celery_app_on_redis` in tests/conftest.py, but on `private_redis`.

    Broker and result backend both point at it, as REDIS_URL does in production.
    """
    from tests.plugin import require

    require("postgresql")
    settings.REDIS_URL = private_redis.url
    with celery_app_pointed_at(private_redis.url) as app:
        yield app


@pytest.fixture
def run_in_chromium(live_server):
    """Run `scenario(page)` on a Chromium page of the live server, in a thread of its own.

    Not the `page` fixture of tests/browser/conftest.py: imported here it would be a second
    session-scoped `browser`, and Playwright refuses a second sync instance in the thread
    where tests/browser's is still open ("using Playwright Sync API inside the asyncio
    loop"). A thread of its own has no such loop. Same Chromium binary and flags.
    """
    from tests.plugin import require

    require("chromium")

    def run(scenario, *, timeout: float = 120) -> None:
        outcome: dict[str, BaseException] = {}

        def target():
            from django.db import connections
            from playwright.sync_api import sync_playwright

            try:
                with sync_playwright() as pw:
                    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                    try:
                        context = browser.new_context(
                            base_url=live_server.url, viewport={"width": 1280, "height": 900}
                        )
                        context.set_default_timeout(15_000)
                        scenario(context.new_page())
                    finally:
                        # Closed while Playwright's loop still runs: with a running loop
                        # Django keeps this thread's connections in context-local storage.
                        connections.close_all()
                        browser.close()
            except BaseException as exc:  # re-raised in the test's thread below
                outcome["error"] = exc

        thread = threading.Thread(target=target, name="chromium-scenario", daemon=True)
        thread.start()
        thread.join(timeout)
        if thread.is_alive():
            raise TimeoutError(f"the browser scenario did not finish in {timeout} s")
        if "error" in outcome:
            raise outcome["error"]

    return run


# --- The suite's PostgreSQL, stopped and started by the tests ------------------------------------


def pg_ctl(pg, *args: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        _demote_cmd([str(pg.bin_dir / "pg_ctl"), "-D", str(pg.root / "data"), *args]),
        check=check,
        capture_output=True,
        text=True,
    )


def pg_running(pg) -> bool:
    return pg_ctl(pg, "status").returncode == 0


def pg_options(pg) -> list[str]:
    """The server options of the last start, from the postmaster.opts file PostgreSQL keeps."""
    argv = shlex.split((pg.root / "data" / "postmaster.opts").read_text())[1:]
    if "-D" in argv:
        at = argv.index("-D")
        del argv[at : at + 2]
    return argv


def pg_start(pg, options: list[str] | None = None) -> None:
    """Start the stopped cluster with `options` (default: those it last ran with).

    PostgresServer.start() would run initdb again.
    """
    argv = pg_options(pg) if options is None else options
    opts = ["-o", shlex.join(argv), "-l", str(pg.root / "log"), "-w", "-t", "60", "start"]
    pg_ctl(pg, *opts, check=True)


@pytest.fixture
def suite_postgres(transactional_db):
    """The suite's own PostgreSQL server (tests/plugin.py), started again with its own
    options if a test left it stopped or changed them, so no later test runs without it."""
    from django.db import connections

    from tests.plugin import STATE, require

    pg = STATE["pg"]
    if pg is None:
        require("postgresql", "PostgreSQL was not started by tests/plugin.py (DATABASE_URL given)")
    original = pg_options(pg)
    try:
        yield pg
    finally:
        connections.close_all()
        if pg_running(pg) and pg_options(pg) != original:
            pg_ctl(pg, "-m", "fast", "-w", "stop", check=True)
        if not pg_running(pg):
            pg_start(pg, original)
        connections.close_all()  # this thread's connection died with the old server


# --- The same faults with PgBouncer between the app and PostgreSQL --------------------------------


@pytest.fixture(params=["direct", "pgbouncer"])
def database_route(request, transactional_db, monkeypatch):
    """Run the test twice: the app talks to PostgreSQL directly, then through PgBouncer.

    The "pgbouncer" run starts PgBouncer (transaction pooling, tests/servers.py) in front of
    the suite's PostgreSQL and points the test database's connection settings at it, so this
    process (the test client, the live server's threads) and every process started from
    `_db_url_for_current_test_database()` afterwards (gunicorn, Celery workers) go through it,
    with server-side cursors off as production behind PgBouncer runs. Request it before the
    fixtures that start those processes. Yields the PgBouncerServer, or None for "direct".
    """
    from django.db import connections

    from tests.plugin import STATE, require
    from tests.servers import PACKAGE_HINT, PgBouncerServer

    if request.param == "direct":
        yield None
        return
    if shutil.which("pgbouncer") is None:
        require("pgbouncer", PACKAGE_HINT["pgbouncer"])
    if STATE["pg"] is None:
        require("postgresql", "PostgreSQL was not started by tests/plugin.py (DATABASE_URL given)")
    bouncer = PgBouncerServer.in_front_of(STATE["pg"]).start()
    settings_dict = connections["default"].settings_dict  # shared by every thread's connection
    saved = {key: settings_dict.get(key) for key in ("HOST", "PORT", "DISABLE_SERVER_SIDE_CURSORS")}
    connections.close_all()
    settings_dict.update({"HOST": "127.0.0.1", "PORT": bouncer.port})
    settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
    monkeypatch.setenv("DISABLE_SERVER_SIDE_CURSORS", "true")
    try:
        yield bouncer
    finally:
        connections.close_all()
        settings_dict.update(saved)
        connections.close_all()
        bouncer.cleanup()


def assert_went_through_pgbouncer(bouncer) -> None:
    """With `database_route` on "pgbouncer", check the test's traffic was pooled by it."""
    if bouncer is None:
        return
    from django.db import connection

    served = bouncer.transactions_served(connection.settings_dict["NAME"])
    assert served > 0, bouncer.log()
