"""Smoke test of the benchmarks (`make bench`): a tiny load run and a tiny analytics run.

Both run as subprocesses with their own PostgreSQL, Redis, gunicorn and Celery worker, exactly
as `make bench` does at full size; here they only have to finish with no failed request, no
lost answer, every attempt scored once and analytics that agree with the raw answers.
"""

import json
import os
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


def test_load_benchmark_runs_clean_with_five_students(tmp_path):
    out = tmp_path / "load"
    _run(
        "bench.run",
        *("--users", "5", "--spawn-rate", "5", "--duration", "20", "--tick", "3"),
        *("--start-window", "3", "--submit-window", "3", "--analytics-attempts", "0"),
        *("--out", str(out)),
        timeout=180,
    )
    summary = json.loads((out / "summary.json").read_text())
    endpoints = summary["figures"]["endpoints"]
    integrity = summary["integrity"]
    assert summary["figures"]["errors"] == 0
    assert summary["client_problems"] == []
    assert summary["logged_in"] == 5
    assert endpoints["POST start"]["count"] == 5
    assert endpoints["POST submit"]["count"] == 5
    assert endpoints["POST answer (autosave)"]["count"] >= 10
    assert endpoints["POST floor"]["count"] >= 5
    assert integrity["acked_answers"] > 0
    assert integrity["lost_answers"] == 0
    assert integrity["attempts_scored_exactly_once"] == 5
    assert integrity["analytics_seconds_after_run"] is not None
    assert summary["figures"]["autosave_vs_floor"]["whole exam"]["ratio_p95"] is not None


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
