"""Hit the start and answer endpoints at the same moment from threads; print what came back.

Run by test_sqlite_concurrency.py in a subprocess with `make run`'s settings on a SQLite file:
every thread has its own database connection, as runserver's request threads do.
"""

import json
import sys
import threading

import django

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from exams.models import Attempt  # noqa: E402

SLUG = "quick-practice"


def _client_for(username: str) -> Client:
    user = User.objects.create_user(username=username, password="x-unused-password-1")
    user.groups.add(Group.objects.get(name="Student"))
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _together(calls) -> list:
    """Run each call in its own thread, released at the same instant; return their results."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            response = call()
            results[index] = response.status_code
        except Exception as exc:  # noqa: BLE001 - reported to the test as text
            results[index] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def starts() -> dict:
    clients = [_client_for(f"starter{n}") for n in range(4)]
    codes = _together([lambda c=c: c.post(f"/exams/{SLUG}/start/") for c in clients])
    return {
        "codes": codes,
        "attempts": Attempt.objects.filter(user__username__startswith="starter").count(),
    }


def saves_and_submit() -> dict:
    client = _client_for("saver")
    client.post(f"/exams/{SLUG}/start/")
    attempt = Attempt.objects.get(user__username="saver")
    items = list(attempt.items.order_by("position"))[:8]

    def save(item):
        return client.post(
            f"/attempts/{attempt.pk}/q/{item.position}/answer/",
            {"option": item.option_order[0], "seq": 1},
            headers={"accept": "application/json"},
        )

    calls = [lambda i=i: save(i) for i in items]
    calls.append(lambda: client.post(f"/attempts/{attempt.pk}/submit/"))
    codes = _together(calls)
    attempt.refresh_from_db()
    return {
        "save_codes": codes[:-1],
        "submit_code": codes[-1],
        "state": attempt.state,
        "answered": attempt.items.filter(selections__isnull=False).distinct().count(),
    }


if __name__ == "__main__":
    print(json.dumps({"starts": starts(), "saves": saves_and_submit()}))
    sys.stdout.flush()
