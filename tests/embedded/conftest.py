"""`make run`'s embedded database: real SQLite files, migrated by `manage.py` in a subprocess.

The rest of the suite runs on PostgreSQL, so these tests never touch the suite's database:
they copy a migrated SQLite file and drive it from separate processes with the dev settings.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# What `make run` has: no PostgreSQL, no Redis, the dev settings.
DROPPED = (
    "DATABASE_URL",
    "REDIS_URL",
    "TEST_REDIS_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DJANGO_DEBUG",
)


def embedded_env(db_path: Path, **extra: str) -> dict[str, str]:
    """Return an environment like `make run`'s, on the SQLite file `db_path`."""
    env = {k: v for k, v in os.environ.items() if k not in DROPPED}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=f"sqlite:///{db_path}",
        PYTHONPATH=str(REPO),
    )
    env.update(extra)
    return env


def run_python(args: list[str], db_path: Path, timeout: int = 240, **extra: str):
    """Run `python ARGS` in the repository with the embedded environment."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=embedded_env(db_path, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory) -> Path:
    """Return a SQLite file migrated (with the question bank) once per session."""
    path = tmp_path_factory.mktemp("embedded") / "template.sqlite3"
    for command in (["migrate", "--noinput", "-v0"], ["load_question_bank"]):
        result = run_python(["manage.py", *command], path)
        assert result.returncode == 0, result.stdout + result.stderr
    return path


@pytest.fixture
def sqlite_db(migrated_sqlite_template, tmp_path) -> Path:
    """Return a private copy of the migrated SQLite file."""
    target = tmp_path / "db.sqlite3"
    shutil.copy(migrated_sqlite_template, target)
    wal = migrated_sqlite_template.with_name(migrated_sqlite_template.name + "-wal")
    if wal.exists():
        shutil.copy(wal, target.with_name(target.name + "-wal"))
    return target
