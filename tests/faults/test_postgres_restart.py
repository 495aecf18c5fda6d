"""PostgreSQL stops while a student changes answers in Chromium, then comes back.

The page shows its retrying state while the database is gone, keeps the newest answer
queued, and once PostgreSQL is back it says "All answers saved" and the database holds the
answer the student chose last. The live server opens a new connection per request, so it
reconnects by itself.
"""

import time

import pytest
from playwright.sync_api import expect

from exams.models import ItemSelection
from tests.browser.conftest import log_in
from tests.factories.accounts import UserFactory
from tests.faults.conftest import assert_went_through_pgbouncer, pg_start, started_attempt

pytestmark = [
    pytest.mark.browser,
    pytest.mark.services("postgresql"),
    pytest.mark.django_db(transaction=True),
]

OFFLINE = "Offline — retrying…"  # static/js/exam.js, retryLater()
SAVED = "All answers saved"


def test_answers_changed_while_postgres_is_down_are_saved_once_it_is_back(
    database_route, run_in_chromium, suite_postgres
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
        # Direct, the save fails at once; through PgBouncer it waits in its queue for a server
        # connection until query_wait_timeout (10 s, tests/servers.py) and then fails.
        expect(status).to_have_text(OFFLINE, timeout=30_000)
        expect(status).to_have_attribute("data-state", "offline")
        page.locator(f"#opt-{last}").check()  # the student changes their mind while it is down
        time.sleep(1)
        expect(status).not_to_have_text(SAVED)
        assert 500 in autosaves, autosaves  # the server answered, without its database

        pg_start(suite_postgres)
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
    assert_went_through_pgbouncer(database_route)
