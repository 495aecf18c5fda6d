"""A production deployment never gets demo accounts, and `check --deploy` catches the leftovers.

Each test runs `manage.py` in a subprocess on its own migrated SQLite file, the way a deploy
job would; the production settings do not care which database engine they run on.
"""

import sqlite3
from pathlib import Path

import yaml

from .conftest import REPO, run_python

PROD = {
    "DJANGO_SETTINGS_MODULE": "config.settings.prod",
    "SECRET_KEY": "x" * 24 + "a-long-random-production-key-for-the-check",
    "ALLOWED_HOSTS": "exam.example.org",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
}


def _users(db: Path) -> list[str]:
    with sqlite3.connect(db) as connection:
        return [row[0] for row in connection.execute("SELECT username FROM accounts_user")]


def _check_deploy(db: Path, **overrides: str):
    return run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], db, **{**PROD, **overrides}
    )


def test_the_compose_deploy_job_loads_questions_and_the_first_admin_but_no_demo_data():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    commands = {
        name: " ".join(service.get("command", [])) for name, service in compose["services"].items()
    }
    assert not [name for name, command in commands.items() if "seed_demo" in command]
    command = commands["migrate"]
    assert "migrate --noinput" in command
    assert "load_question_bank" in command
    assert "create_first_admin" in command
    assert "seed_demo" not in (REPO / "Dockerfile").read_text()


def test_seed_demo_refuses_to_run_under_production_settings(sqlite_db):
    result = run_python(["manage.py", "seed_demo"], sqlite_db, **PROD)
    assert result.returncode != 0
    assert "refuses to run under production settings" in result.stderr
    assert _users(sqlite_db) == []


def test_check_deploy_passes_on_a_clean_production_database(sqlite_db):
    result = _check_deploy(sqlite_db)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_while_an_account_has_the_demo_password(sqlite_db):
    # A database that once ran seed_demo (under the dev settings, where it is allowed).
    seeded = run_python(
        [
            "manage.py",
            "shell",
            "-c",
            "from demo.data import demo_accounts_ensure; demo_accounts_ensure()",
        ],
        sqlite_db,
    )
    assert seeded.returncode == 0, seeded.stderr
    result = _check_deploy(sqlite_db)
    assert result.returncode != 0
    assert "dva.E001" in result.stderr
    assert "admin, instructor, student" in result.stderr

    for username in ("admin", "instructor", "student"):
        run_python(
            [
                "manage.py",
                "shell",
                "-c",
                "from accounts.models import User; "
                f"u = User.objects.get(username={username!r}); "
                "u.set_password('a-new-private-passphrase-1'); u.save()",
            ],
            sqlite_db,
        )
    assert _check_deploy(sqlite_db).returncode == 0


def test_check_deploy_fails_when_production_e_mail_goes_to_the_console(sqlite_db):
    result = _check_deploy(sqlite_db, EMAIL_URL="")
    assert result.returncode != 0
    assert "dva.E002" in result.stderr
    assert "console" in result.stderr
