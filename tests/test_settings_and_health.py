import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_check_deploy_is_clean_with_production_settings():
    from tests.conftest import _db_url_for_current_test_database

    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a deployment never does.
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **base,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": "x" * 24 + "a-long-random-production-key-for-the-check",
        "ALLOWED_HOSTS": "exam.example.org",
        "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
        # The migrated test database: the check looks for accounts with the demo password.
        "DATABASE_URL": _db_url_for_current_test_database(),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.prod"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
@pytest.mark.services("postgresql", "redis")
def test_healthz_reports_database_and_broker(client, settings, redis_url):
    """Against the suite's real Redis: without REDIS_URL the check short-circuits to "eager"."""
    settings.REDIS_URL = redis_url
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True, "detail": "postgresql"}
    assert body["broker"] == {"ok": True, "detail": "redis"}


@pytest.mark.django_db
def test_healthz_reports_broker_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False


def test_pages_send_a_content_security_policy(client, db):
    header = client.get("/").headers["Content-Security-Policy"]
    assert "default-src 'self'" in header and "script-src 'self'" in header


def test_collectstatic_works_with_production_settings(tmp_path):
    """The manifest storage refuses files that reference missing ones (e.g. source maps)."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.prod",
            "SECRET_KEY": "k" * 50,
            "ALLOWED_HOSTS": "exam.example.org",
        }
    )
    code = (
        "import django; from django.conf import settings; django.setup(); "
        f"settings.STATIC_ROOT = {str(tmp_path)!r}; "
        "from django.core.management import call_command; "
        "call_command('collectstatic', '--noinput', verbosity=0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "staticfiles.json").exists()
