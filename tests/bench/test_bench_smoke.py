"""Smoke test of the benchmarks (`make bench`): a tiny load run and a tiny analytics run.

Both run as subprocesses with their own PostgreSQL, Redis, gunicorn and Celery worker, exactly
as `make bench` does at full size; here they only have to finish with no failed request, no
lost answer, every attempt scored once and analytics that agree with the raw answers.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.services("postgresql", "redis")

REPO = Path(__file__).resolve().parents[2]
# The suite's own database and broker must not leak into the benchmark's servers.
SUITE_ONLY = {"DATABASE_URL", "REDIS_URL", "TEST_REDIS_URL", "DJANGO_SETTINGS_MODULE"}


def _run(module: str, *args: str, timeout: int) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in SUITE_ONLY}
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    return result


TOY = (
    *("--login-window", "3", "--duration", "20", "--tick", "3"),
    *("--start-window", "3", "--submit-window", "3", "--analytics-attempts", "0"),
)
BAR = [
    ("log-ins", "0 errors"),
    ("starts", "p95 < 1.5 s"),
    ("starts", "all started"),
    ("steady", "p95 < 100 ms"),
    ("steady", "server CPU per autosave <= 1.3x the floor's"),
    ("steady", "0 errors"),
    ("deadline", "p95 < 1.5 s"),
    ("deadline", "every attempt scored exactly once"),
    ("deadline", "0 acknowledged answers lost"),
    ("deadline", "analytics complete within 2 minutes after the last submit"),
]


def _assert_clean_run(summary: dict, users: int) -> None:
    endpoints = summary["figures"]["endpoints"]
    integrity = summary["integrity"]
    assert summary["figures"]["errors"] == 0
    assert summary["client_problems"] == []
    assert summary["logged_in"] == users
    assert summary["completed"] == users
    # Production durability, read back from the server.
    settings = summary["postgres_settings"]
    assert (settings["fsync"], settings["synchronous_commit"], settings["full_page_writes"]) == (
        "on",
        "on",
        "on",
    )
    assert endpoints["POST start"]["count"] == users
    assert endpoints["POST submit"]["count"] == users
    assert endpoints["log-in end-to-end"]["count"] == users
    assert endpoints["POST answer (autosave)"]["count"] >= 2 * users
    assert endpoints["save end-to-end (with retries)"]["count"] >= 2 * users
    assert endpoints["POST floor"]["count"] >= users
    assert integrity["acked_answers"] > 0
    assert integrity["lost_answers"] == 0
    assert integrity["attempts_scored_exactly_once"] == users
    assert integrity["analytics_after_last_submit_s"] is not None
    # Server CPU per request from the request log, against the floor, in the same run.
    cpu = summary["figures"]["request_cpu"]
    assert cpu["POST floor"]["ratio_to_floor"] == 1.0
    assert cpu["POST answer (autosave)"]["requests"] >= 2 * users
    assert cpu["POST answer (autosave)"]["mean_cpu_ms"] > 0
    # Every line of the bar is judged, met or missed, with its figure.
    targets = summary["targets"]
    assert len(targets) == len(BAR)
    for (phase, target), row in zip(BAR, targets, strict=True):
        assert row["phase"] == phase and target in row["target"] and row["measured"]
        assert isinstance(row["met"], bool)
    by_target = {row["target"]: row["met"] for row in targets}
    assert by_target["all started"] and by_target["every attempt scored exactly once"]
    assert by_target["0 acknowledged answers lost"]


def test_load_benchmark_runs_clean_with_five_students(tmp_path):
    out = tmp_path / "load"
    _run("bench.run", "--users", "5", *TOY, "--out", str(out), timeout=240)
    summary = json.loads((out / "summary.json").read_text())
    _assert_clean_run(summary, 5)
    assert summary["workers_per_node"] == [5]
    assert summary["figures"]["autosave_vs_floor"]["whole exam"]["ratio_p95"] is not None
    assert "fsync=on" in (out / "summary.md").read_text()


@pytest.mark.skipif(
    not (shutil.which("haproxy") or Path("/usr/sbin/haproxy").exists())
    or not (shutil.which("pgbouncer") or Path("/usr/sbin/pgbouncer").exists()),
    reason="needs the haproxy and pgbouncer binaries (apt-get install haproxy pgbouncer)",
)
def test_two_nodes_behind_haproxy_and_pgbouncer_run_clean(tmp_path):
    out = tmp_path / "load"
    _run("bench.run", "--users", "6", "--nodes", "2", *TOY, "--out", str(out), timeout=240)
    summary = json.loads((out / "summary.json").read_text())
    _assert_clean_run(summary, 6)
    assert summary["workers_per_node"] == [3, 2]
    assert "HAProxy" in summary["layout"] and "PgBouncer" in summary["layout"]
    # Both nodes served students (round-robin), and through PgBouncer.
    for node in ("gunicorn-1", "gunicorn-2"):
        assert '"view":"exams:answer"' in (out / f"{node}.log").read_text()
    assert {"haproxy", "pgbouncer"} <= set(summary["cpu_cores"]["steady"])


def test_analytics_benchmark_runs_clean_with_two_hundred_attempts(tmp_path):
    out = tmp_path / "analytics"
    _run(
        "bench.analytics",
        *("--attempts", "200", "--samples", "5", "--repeat", "1", "--drift", "3"),
        *("--out", str(out)),
        timeout=120,
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["load"]["items"] == 200 * 65
    assert summary["results"]["consistent"] is True
    assert summary["results"]["summary"]["regraded_attempts"] == 3
    assert len(summary["results"]["task_ms"]) == 5
