"""PostgreSQL crashes (`pg_ctl -m immediate`) during autosaves: no acknowledged answer is lost.

The suite's cluster runs with fsync and synchronous_commit off for speed; a crash would then
lose commits by design. This test restarts it durable (fsync, synchronous_commit and
full_page_writes on, as in production), keeps saving answers over HTTP while the server is
killed without a checkpoint and started again (crash recovery replays the WAL), and then checks
every answer the server acknowledged with 200: each item holds its newest acknowledged answer,
or a newer one that was sent but whose reply was lost with the server.
"""

import random
import threading
import time

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from exams.models import AttemptItem, ItemSelection
from tests.factories.accounts import UserFactory
from tests.faults.conftest import (
    assert_went_through_pgbouncer,
    pg_ctl,
    pg_options,
    pg_running,
    pg_start,
    started_attempt,
)

pytestmark = [pytest.mark.services("postgresql"), pytest.mark.django_db(transaction=True)]

DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}


def durable(options: list[str]) -> list[str]:
    """The server options with every durability setting switched on."""
    changed = [
        f"{value.split('=')[0]}={DURABLE[value.split('=')[0]]}"
        if value.split("=")[0] in DURABLE
        else value
        for value in options
    ]
    for name, value in DURABLE.items():
        if f"{name}={value}" not in changed:
            changed += ["-c", f"{name}={value}"]
    return changed


def test_durable_switches_every_setting_on():
    options = ["-p", "5", "-c", "fsync=off", "-c", "synchronous_commit=off"]
    assert durable(options) == [
        "-p",
        "5",
        "-c",
        "fsync=on",
        "-c",
        "synchronous_commit=on",
        "-c",
        "full_page_writes=on",
    ]


def _server_setting(name: str) -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute(f"SHOW {name}")  # a fixed name from DURABLE, not input
        return cursor.fetchone()[0]


def test_every_acknowledged_answer_survives_a_postgres_crash(
    database_route, suite_postgres, settings
):
    pg = suite_postgres
    settings.AUTOSAVE_RATE_LIMIT = 10_000  # the loop saves faster than a student clicks
    connections.close_all()
    pg_ctl(pg, "-m", "fast", "-w", "stop", check=True)
    pg_start(pg, durable(pg_options(pg)))
    connections.close_all()
    assert {name: _server_setting(name) for name in DURABLE} == DURABLE

    student = UserFactory(role="Student")
    attempt = started_attempt(student, slug="postgres-crash", seed=11)
    items = list(attempt.items.order_by("position"))
    client = Client(raise_request_exception=False)  # a 500 while PostgreSQL is down is fine
    client.force_login(student)

    crashed, restarted = threading.Event(), threading.Event()

    def crash_then_recover():
        time.sleep(1.5)  # answers are being saved by now
        pg_ctl(pg, "-m", "immediate", "-w", "stop", check=True)  # no checkpoint: a crash
        crashed.set()
        time.sleep(1.0)
        pg_start(pg)  # the durable options it crashed with; recovery replays the WAL
        restarted.set()

    chaos = threading.Thread(target=crash_then_recover, daemon=True)
    sent: dict[int, dict[int, int]] = {item.pk: {} for item in items}  # item -> seq -> option
    acked: dict[int, tuple[int, int]] = {}  # item -> newest acknowledged (seq, option)
    failures, after_restart, held_through_crash, seq = 0, 0, 0, 0
    rng = random.Random(3)
    chaos.start()
    deadline = time.monotonic() + 90
    while after_restart < 30 and time.monotonic() < deadline:
        seq += 1
        item = items[seq % len(items)]
        option = rng.choice(item.option_order)
        sent[item.pk][seq] = option
        sent_during_outage = crashed.is_set() and not restarted.is_set()
        sent_before_crash = not crashed.is_set()
        response = client.post(
            reverse("exams:answer", args=[attempt.pk, item.position]),
            {"option": option, "seq": seq},
            HTTP_ACCEPT="application/json",
        )
        if response.status_code == 200 and response.json().get("ok"):
            acked[item.pk] = (seq, option)
            after_restart += restarted.is_set()
            # Through PgBouncer a save may not fail at all: the pooler holds it until the
            # server is back. Such a save went out before or during the outage and was
            # acknowledged only after the restart.
            held_through_crash += restarted.is_set() and (sent_during_outage or sent_before_crash)
        else:
            failures += 1
            connections.close_all()  # the old connection died with the server
            time.sleep(0.05)
    chaos.join(60)

    assert crashed.is_set() and restarted.is_set() and pg_running(pg)
    assert failures > 0 or held_through_crash > 0, "no save hit the crash: the test proved nothing"
    assert after_restart == 30, f"saves did not resume after recovery ({after_restart})"
    connections.close_all()
    lost = []
    for item in items:
        if item.pk not in acked:
            continue
        acked_seq, acked_option = acked[item.pk]
        stored = AttemptItem.objects.get(pk=item.pk)
        chosen = set(ItemSelection.objects.filter(item=item).values_list("option_id", flat=True))
        if stored.answer_seq < acked_seq:
            lost.append(f"item {item.position}: seq {stored.answer_seq} < acknowledged {acked_seq}")
        elif stored.answer_seq == acked_seq and chosen != {acked_option}:
            lost.append(f"item {item.position}: {chosen} != acknowledged {acked_option}")
        elif stored.answer_seq > acked_seq and chosen != {sent[item.pk].get(stored.answer_seq)}:
            lost.append(f"item {item.position}: {chosen} is not what seq {stored.answer_seq} sent")
    assert len(acked) == len(items)
    assert not lost, "\n".join(lost)
    assert_went_through_pgbouncer(database_route)
