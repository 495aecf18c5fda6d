"""A pg_dump of the live database restores into an empty cluster with every answer in it.

The database is filled through the real services and the real answer endpoint (what a student
was told was saved is what must come back), dumped by the compose `backup` service's own
script (read from docker-compose.yml) with Debian's `pg_dump`, restored with `pg_restore`
into a NEW cluster (tests.servers.PostgresServer), and compared row by row.
docs/operations.md describes the same steps for production.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import psycopg2
import pytest
import yaml
from django.db import connection
from django.test import Client
from django.urls import reverse

from exams.models import Attempt, AttemptItem, ItemSelection
from exams.services import attempt_start, attempt_submit
from tests import servers
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

REPO_ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = [pytest.mark.services("postgresql"), pytest.mark.django_db(transaction=True)]


def _sit_through_http(student, blueprint, *, seed: int, submit: bool) -> tuple[int, dict]:
    """Answer every item through the autosave endpoint; return the acknowledged answers."""
    rng = random.Random(seed)
    attempt = attempt_start(user=student, blueprint=blueprint, rng=rng)
    client = Client()
    client.force_login(student)
    acknowledged: dict[tuple[int, int], frozenset[int]] = {}
    seq = 0
    for item in attempt.items.select_related("version").order_by("position"):
        # Two saves per item, the second replacing the first: only the last one counts.
        for _ in range(2):
            seq += 1
            chosen = rng.sample(item.option_order, item.version.select_count)
            response = client.post(
                reverse(
                    "exams:answer", kwargs={"attempt_id": attempt.pk, "position": item.position}
                ),
                {"option": chosen, "seq": seq},
                headers={"Accept": "application/json"},
            )
            assert response.status_code == 200, response.content
            assert response.json()["ok"] is True
            acknowledged[(attempt.pk, item.position)] = frozenset(chosen)
    if submit:
        attempt_submit(user=student, attempt_id=attempt.pk)
    return attempt.pk, acknowledged


def _selections(cursor) -> dict[tuple[int, int], frozenset[int]]:
    cursor.execute(
        f"""
        SELECT i.attempt_id, i.position, s.option_id
        FROM {ItemSelection._meta.db_table} s
        JOIN {AttemptItem._meta.db_table} i ON i.id = s.item_id
        """  # noqa: S608 - table names from the models
    )
    found: dict[tuple[int, int], set[int]] = {}
    for attempt_id, position, option_id in cursor.fetchall():
        found.setdefault((attempt_id, position), set()).add(option_id)
    return {key: frozenset(options) for key, options in found.items()}


def _finished_attempts(cursor) -> list[tuple]:
    cursor.execute(
        f"SELECT * FROM {Attempt._meta.db_table} WHERE state <> %s ORDER BY id",  # noqa: S608
        [Attempt.State.IN_PROGRESS],
    )
    return cursor.fetchall()


def _backup_script() -> str:
    """The backup service's shell loop from docker-compose.yml, as its shell will see it."""
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["backup"]["command"]
    assert command[:2] == ["sh", "-c"], command
    return command[2].replace("$$", "$")  # compose's escape for a literal dollar


def _run_the_backup_service_once(bin_dir: Path, live: dict, folder: Path) -> Path:
    """Run the compose backup loop with Debian's pg_dump until it wrote one complete dump."""
    folder.mkdir()
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "PGHOST": live["HOST"],
        "PGPORT": str(live["PORT"]),
        "PGUSER": live["USER"],
        "PGDATABASE": live["NAME"],
        "BACKUP_DIR": str(folder),
        "BACKUP_INTERVAL_SECONDS": "3600",
        "BACKUP_KEEP_DAYS": "14",
    }
    loop = subprocess.Popen(
        ["sh", "-c", _backup_script()],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list(folder.glob("dva-*.dump")):
            assert loop.poll() is None, loop.stdout.read().decode()
            time.sleep(0.2)
    finally:
        os.killpg(loop.pid, signal.SIGTERM)
        output = loop.communicate(timeout=10)[0].decode()
    [dump] = folder.glob("dva-*.dump")
    assert "backup: wrote" in output, output
    assert not list(folder.glob("*.partial"))
    assert dump.stat().st_size > 0
    return dump


def _table_fingerprints(cursor) -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of all its rows, as text, in a fixed order."""
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    prints = {}
    for (table,) in cursor.fetchall():
        digest = "md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), ''))"
        cursor.execute(f'SELECT count(*), {digest} FROM "{table}" t')  # noqa: S608 - pg_tables
        prints[table] = cursor.fetchone()
    return prints


def test_a_dump_restores_into_an_empty_cluster_with_every_submitted_attempt_and_answer(
    tmp_path,
):
    make_bank(per_domain=6)
    blueprint = short_blueprint(question_count=10)
    acknowledged: dict[tuple[int, int], frozenset[int]] = {}
    submitted = []
    for n in range(6):
        student = UserFactory(role="Student")
        attempt_id, answers = _sit_through_http(student, blueprint, seed=n, submit=n < 4)
        acknowledged.update(answers)
        if n < 4:
            submitted.append(attempt_id)
    assert len(acknowledged) == 60

    # Read both sides through plain psycopg2, so values are decoded the same way.
    live = connection.settings_dict
    source = psycopg2.connect(
        host=live["HOST"], port=live["PORT"], user=live["USER"], dbname=live["NAME"]
    )
    try:
        with source.cursor() as cursor:
            source_attempts = _finished_attempts(cursor)
            assert [row[0] for row in source_attempts] == sorted(submitted)
            assert _selections(cursor) == acknowledged
            source_prints = _table_fingerprints(cursor)
    finally:
        source.close()
    assert source_prints[Attempt._meta.db_table][0] == 6

    bin_dir = servers.find_pg_bin()
    dump = _run_the_backup_service_once(bin_dir, live, tmp_path / "backups")

    empty = servers.PostgresServer(bin_dir).start()
    try:
        restore_target = ["--host", "127.0.0.1", "--port", str(empty.port), "-U", "postgres"]
        subprocess.run(
            [str(bin_dir / "createdb"), *restore_target, "dva_restored"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        subprocess.run(
            [
                str(bin_dir / "pg_restore"),
                *restore_target,
                "--dbname",
                "dva_restored",
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                str(dump),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        restored = psycopg2.connect(
            host="127.0.0.1", port=empty.port, user="postgres", dbname="dva_restored"
        )
        try:
            with restored.cursor() as cursor:
                assert _finished_attempts(cursor) == source_attempts
                assert _selections(cursor) == acknowledged
                assert _table_fingerprints(cursor) == source_prints
                # The restored database takes new rows: its sequences came along too.
                cursor.execute(
                    f"SELECT nextval(pg_get_serial_sequence('{Attempt._meta.db_table}', 'id'))"  # noqa: S608
                )
                assert cursor.fetchone()[0] > max(submitted)
        finally:
            restored.close()
    finally:
        empty.cleanup()
