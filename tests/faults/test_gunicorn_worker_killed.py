"""Gunicorn workers SIGKILLed under autosave traffic: no acknowledged answer is lost.

The app runs under real gunicorn (2 sync workers) on the test's PostgreSQL database. A few
client threads autosave answers as the exam page does, retrying a request that failed at
the connection level, while the test kills a worker now and then. Afterwards, for every
question, the newest answer the server acknowledged is exactly what the database holds.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from exams.models import AttemptEvent, ItemSelection
from tests.conftest import REPO_ROOT, _db_url_for_current_test_database
from tests.factories.accounts import PASSWORD, UserFactory
from tests.faults.conftest import (
    assert_went_through_pgbouncer,
    child_pids,
    started_attempt,
    wait_for,
)
from tests.servers import free_port

pytestmark = [
    pytest.mark.services("postgresql"),
    pytest.mark.django_db(transaction=True),
]

WORKERS = 2
CLIENT_THREADS = 4
TRAFFIC_SECONDS = 10
KILLS = 4
REQUEST_TIMEOUT = 10
# How long a client keeps retrying one save after the traffic stops (the page never gives up).
SETTLE_SECONDS = 30


def _gunicorn_binary() -> str:
    beside_python = Path(sys.executable).parent / "gunicorn"
    return str(beside_python) if beside_python.exists() else shutil.which("gunicorn")


class Gunicorn:
    def __init__(self, database_url: str):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url,
            "ALLOWED_HOSTS": "127.0.0.1",
            # The limiter counts per worker (in-process cache); this traffic is a script's.
            "AUTOSAVE_RATE_LIMIT": "1000000",
        }
        self.env.pop("REDIS_URL", None)  # in-process cache, eager Celery: only the web tier
        fd, name = tempfile.mkstemp(prefix="gunicorn-", suffix=".log")
        os.close(fd)
        self.log_path = Path(name)
        self.process: subprocess.Popen | None = None

    def start(self) -> Gunicorn:
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                _gunicorn_binary(),
                "config.wsgi:application",
                "--workers",
                str(WORKERS),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
            ],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.output()}")
            try:
                response = requests.get(f"{self.base_url}/accounts/login/", timeout=2)
            except requests.RequestException:
                return False
            return response.status_code == 200 and len(self.worker_pids()) == WORKERS

        if not wait_for(ready, timeout=30):
            raise RuntimeError(f"gunicorn not ready in 30 s:\n{self.output()}")
        return self

    def worker_pids(self) -> list[int]:
        return child_pids(self.process.pid)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log.close()
        self.log_path.unlink(missing_ok=True)


@pytest.fixture
def gunicorn(database_route, transactional_db):
    """gunicorn on the test database, directly and (database_route) through PgBouncer."""
    server = Gunicorn(_db_url_for_current_test_database()).start()
    try:
        yield server
    finally:
        server.stop()


def log_in(
    base_url: str, username: str, *, session: requests.Session | None = None
) -> requests.Session:
    """Log `username` in through the login form (on `session`, a new one by default)."""
    session = session or requests.Session()
    session.get(f"{base_url}/accounts/login/", timeout=REQUEST_TIMEOUT).raise_for_status()
    response = session.post(
        f"{base_url}/accounts/login/",
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        allow_redirects=False,
        timeout=REQUEST_TIMEOUT,
    )
    assert response.status_code == 302, response.text[:500]
    assert "sessionid" in session.cookies
    return session


@dataclass
class Ledger:
    """What the clients sent and what the server confirmed, shared by the client threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    seqs: itertools.count = field(default_factory=lambda: itertools.count(1))
    sent: dict = field(default_factory=dict)  # seq -> (position, frozenset of option ids)
    acked: dict = field(default_factory=lambda: defaultdict(list))  # position -> [seq, ...]
    unconfirmed: list = field(default_factory=list)
    refused: list = field(default_factory=list)
    went_backwards: list = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)

    def new_save(self, position: int, options: frozenset) -> int:
        with self.lock:
            seq = next(self.seqs)
            self.sent[seq] = (position, options)
            return seq

    def newest_acked(self, position: int) -> int:
        with self.lock:
            return max(self.acked[position], default=0)


def save_until_confirmed(session, url, csrf, position, seq, options, ledger, give_up_at):
    """POST one autosave, retrying failed connections and 429/5xx, as static/js/exam.js does."""
    floor = ledger.newest_acked(position)
    data = [("seq", str(seq)), *(("option", str(o)) for o in sorted(options))]
    headers = {"X-CSRFToken": csrf, "Accept": "application/json"}
    while time.monotonic() < give_up_at:
        try:
            response = session.post(
                url, data=data, headers=headers, timeout=REQUEST_TIMEOUT, allow_redirects=False
            )
        except requests.RequestException as exc:  # reset, refused, cut short, timed out
            with ledger.lock:
                ledger.failures[type(exc).__name__] += 1
            time.sleep(0.05)
            continue
        if response.status_code == 429 or response.status_code >= 500:
            with ledger.lock:
                ledger.failures[f"HTTP {response.status_code}"] += 1
            time.sleep(0.05)
            continue
        body = response.json() if response.status_code == 200 else {}
        with ledger.lock:
            if response.status_code == 200 and body.get("ok") is True:
                ledger.acked[position].append(seq)
                if body["seq"] < max(seq, floor):
                    ledger.went_backwards.append((position, seq, floor, body["seq"]))
            else:
                ledger.refused.append((position, seq, response.status_code, response.text[:300]))
        return
    with ledger.lock:
        ledger.unconfirmed.append((position, seq))


def client_thread(index, session, base_url, attempt_id, items, ledger, stop_at):
    rng = random.Random(index)
    csrf = session.cookies["csrftoken"]
    while time.monotonic() < stop_at:
        position, option_order, select_count = rng.choice(items)
        url = f"{base_url}/attempts/{attempt_id}/q/{position}/answer/"
        with ledger.lock:
            older = list(ledger.acked[position][-5:-1])
        if older and rng.random() < 0.15:
            # A delayed duplicate of an older save: must be acknowledged and change nothing.
            seq = rng.choice(older)
            options = ledger.sent[seq][1]
        else:
            options = frozenset(rng.sample(option_order, rng.randint(0, select_count)))
            seq = ledger.new_save(position, options)
        save_until_confirmed(
            session, url, csrf, position, seq, options, ledger, stop_at + SETTLE_SECONDS
        )


def test_killed_gunicorn_workers_lose_no_acknowledged_answer(database_route, gunicorn):
    student = UserFactory(role="Student")
    attempt = started_attempt(student, slug="gunicorn-kill")
    items = [
        (item.position, list(item.option_order), item.version.select_count)
        for item in attempt.items.select_related("version")
    ]
    logged_in = log_in(gunicorn.base_url, student.username)
    ledger = Ledger()
    stop_at = time.monotonic() + TRAFFIC_SECONDS
    threads = []
    for index in range(CLIENT_THREADS):
        session = requests.Session()
        session.cookies.update(logged_in.cookies)
        thread = threading.Thread(
            target=client_thread,
            args=(index, session, gunicorn.base_url, attempt.pk, items, ledger, stop_at),
            daemon=True,
        )
        thread.start()
        threads.append(thread)

    killed = []
    for _ in range(KILLS):
        time.sleep(TRAFFIC_SECONDS / (KILLS + 1))
        assert wait_for(lambda: len(gunicorn.worker_pids()) == WORKERS, timeout=15), (
            gunicorn.output()
        )
        victim = random.choice(gunicorn.worker_pids())
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)
    for thread in threads:
        thread.join(TRAFFIC_SECONDS + SETTLE_SECONDS + REQUEST_TIMEOUT)
        assert not thread.is_alive()

    # The faults really happened: the master replaced each killed worker and carried on.
    assert gunicorn.process.poll() is None, gunicorn.output()
    assert wait_for(lambda: len(gunicorn.worker_pids()) == WORKERS, timeout=15)
    assert not set(killed) & set(gunicorn.worker_pids())
    assert sum(ledger.failures.values()) >= 1, "no request was ever cut off by a kill"
    # Every save was confirmed in the end; the server never refused one nor went backwards.
    assert not ledger.unconfirmed, (ledger.unconfirmed, ledger.failures, gunicorn.output())
    assert not ledger.refused, ledger.refused
    assert not ledger.went_backwards, ledger.went_backwards
    total_acks = sum(len(v) for v in ledger.acked.values())
    assert total_acks > 100, total_acks

    # For each question, the newest acknowledged save is what the database holds.
    stored = defaultdict(set)
    for item_position, option_id in ItemSelection.objects.filter(item__attempt=attempt).values_list(
        "item__position", "option_id"
    ):
        stored[item_position].add(option_id)
    for item in attempt.items.all():
        newest = max(ledger.acked[item.position], default=0)
        expected = ledger.sent[newest][1] if newest else frozenset()
        assert item.answer_seq == newest, (item.position, item.answer_seq, newest)
        assert stored[item.position] == expected, (item.position, stored[item.position], expected)
        assert (item.answered_at is not None) == bool(expected), item.position

    # Each save was applied at most once, despite the retries of saves whose reply was lost.
    applied = Counter(
        AttemptEvent.objects.filter(attempt=attempt, kind=AttemptEvent.Kind.SAVE).values_list(
            "detail__position", "detail__seq"
        )
    )
    assert applied, "no save event was logged"
    assert max(applied.values()) == 1, [k for k, n in applied.items() if n > 1]
    assert all(ledger.sent[seq][0] == position for position, seq in applied)
    assert_went_through_pgbouncer(database_route)
