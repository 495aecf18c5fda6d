"""Static analysis: bandit finds no HIGH severity issue in the project's code."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ["accounts", "analytics", "config", "core", "exams", "questions"]


def _bandit(*targets: str, cwd: Path = REPO) -> dict:
    if importlib.util.find_spec("bandit") is None:
        pytest.fail("bandit is a dev dependency: .venv/bin/pip install 'bandit>=1.7,<2'")
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "bandit", "-r", *targets, "-q", "-f", "json"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # bandit exits 1 when it reports anything (of any severity); only a crash has no JSON.
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def _describe(finding: dict) -> str:
    return (
        f"{finding['filename']}:{finding['line_number']} {finding['test_id']} "
        f"({finding['issue_confidence']} confidence): {finding['issue_text']}"
    )


def test_bandit_reports_no_high_severity_issue():
    report = _bandit(*PACKAGES)
    high = [f for f in report["results"] if f["issue_severity"] == "HIGH"]
    assert not high, "bandit HIGH severity findings:\n" + "\n".join(map(_describe, high))
    assert report["errors"] == [], f"bandit could not scan: {report['errors']}"
    scanned = {Path(name).parts[0] for name in report["metrics"] if name != "_totals"}
    assert scanned >= set(PACKAGES)
    assert report["metrics"]["_totals"]["loc"] > 1000


def test_the_bandit_check_would_catch_a_high_severity_issue(tmp_path):
    package = tmp_path / "bad"
    package.mkdir()
    (package / "views.py").write_text(
        "import subprocess\n\n\ndef run(name):\n"
        "    return subprocess.call('ls ' + name, shell=True)\n"
    )
    report = _bandit("bad", cwd=tmp_path)
    high = [f for f in report["results"] if f["issue_severity"] == "HIGH"]
    assert [f["test_id"] for f in high] == ["B602"]
