"""PostgreSQL stops while a student changes answers in Chromium, then comes back.

The page shows its retrying state while the database is gone, keeps the newest answer
queued, and once PostgreSQL is back it says "All answers saved" and the database holds the
answer the student chose last. The live server opens a new connection per request, so it
reconnects by itself.
"""

import re
import shlex
import subprocess
import time

import pytest
from django.db import connections
from playwright.sync_api import expect

from exams.models import ItemSelection
from tests.factories.accounts import PASSWORD, UserFactory
from tests.faults.conftest import started_attempt
from tests.servers import _demote_cmd

pytestmark = [
    pytest.mark.browser,
    pytest.mark.services("postgresql"),
    pytest.mark.django_db(transaction=True),
]

OFFLINE = "Offline — retrying…"  # static/js/exam.js, retryLater()
SAVED = "All answers saved"


def _pg_ctl(pg, *args: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        _demote_cmd([str(pg.bin_dir / "pg_ctl"), "-D", str(pg.root / "data"), *args]),
        check=check,
        capture_output=True,
        text=True,
    )


def _pg_running(pg) -> bool:
    return _pg_ctl(pg, "status").returncode == 0


def _pg_start_again(pg) -> None:
    """Start the stopped cluster with the options it ran with (PostgresServer.start() would
    run initdb again), read from the postmaster.opts file PostgreSQL leaves behind."""
    argv = shlex.split((pg.root / "data" / "postmaster.opts").read_text())[1:]
    if "-D" in argv:
        at = argv.index("-D")
        del argv[at : at + 2]
    _pg_ctl(
        pg,
        "-o",
        shlex.join(argv),
        "-l",
        str(pg.root / "log"),
        "-w",
        "-t",
        "60",
        "start",
        check=True,
    )


@pytest.fixture
def suite_postgres(transactional_db):
    """The suite's own PostgreSQL server (tests/plugin.py), started again if a test left it
    stopped, so no later test runs without a database."""
    from tests.plugin import STATE, require

    pg = STATE["pg"]
    if pg is None:
        require("postgresql", "PostgreSQL was not started by tests/plugin.py (DATABASE_URL given)")
    try:
        yield pg
    finally:
        if not _pg_running(pg):
            _pg_start_again(pg)
        connections.close_all()  # this thread's connection died with the old server


def log_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()


def test_answers_changed_while_postgres_is_down_are_saved_once_it_is_back(
    run_in_chromium, suite_postgres
):
    student = UserFactory(role="Student")
    attempt = started_attempt(student, slug="postgres-restart")
    item = next(
        i for i in attempt.items.select_related("version") if i.version.kind == "multiple_choice"
    )
    first, second, last = item.option_order[:3]

    def scenario(page):
        autosaves = []
        page.on(
            "response",
            lambda r: autosaves.append(r.status) if r.url.endswith("/answer/") else None,
        )
        log_in(page, student)
        page.goto(f"/attempts/{attempt.pk}/q/{item.position}/")
        status = page.locator("#save-status")
        page.locator(f"#opt-{first}").check()
        expect(status).to_have_text(SAVED)

        suite_postgres.stop()  # fast shutdown: every open connection is cut
        page.locator(f"#opt-{second}").check()
        expect(status).to_have_text(OFFLINE)
        expect(status).to_have_attribute("data-state", "offline")
        page.locator(f"#opt-{last}").check()  # the student changes their mind while it is down
        time.sleep(1)
        expect(status).not_to_have_text(SAVED)
        assert 500 in autosaves, autosaves  # the server answered, without its database

        _pg_start_again(suite_postgres)
        started_again = time.monotonic()
        # The page retries with backoff (1, 2, 4, 8 s); the next retry reaches the new server.
        expect(status).to_have_text(SAVED, timeout=30_000)
        recovered_in = time.monotonic() - started_again
        assert recovered_in < 20, recovered_in

        # This thread's first query: a connection to the new server.
        chosen = set(ItemSelection.objects.filter(item=item).values_list("option_id", flat=True))
        assert chosen == {last}
        item.refresh_from_db()
        assert item.answered_at is not None
        # A fresh page load (new requests, new connections) shows the same answer.
        page.reload()
        expect(page.locator(f"#opt-{last}")).to_be_checked()
        expect(page.locator(f"#opt-{second}")).not_to_be_checked()

    run_in_chromium(scenario)
