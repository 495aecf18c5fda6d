"""Passwords are stored with Argon2id (OWASP's m=19 MiB, t=2, p=1), and old hashes move over.

The rest of the suite hashes with MD5 for speed (config/settings/test.py). These tests read the
hasher list that production and `make run` really load, each in a subprocess with that settings
module, and then log in through the real form on the suite's PostgreSQL with that list in force.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.hashers import get_hasher, identify_hasher, make_password

from accounts.models import User
from tests.factories.accounts import PASSWORD, UserFactory

REPO = Path(__file__).resolve().parents[2]
OWASP_PREFIX = "argon2$argon2id$v=19$m=19456,t=2,p=1$"

_PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.contrib.auth.hashers import check_password, get_hasher, make_password
encoded = make_password("probe-passphrase-1")
print(json.dumps({
    "hashers": settings.PASSWORD_HASHERS,
    "preferred": get_hasher().algorithm,
    "encoded": encoded,
    "verifies": check_password("probe-passphrase-1", encoded),
}))
"""


def _probe(settings_module: str) -> dict:
    """Load `settings_module` in a fresh interpreter; return its hashers and a real hash."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "TEST_REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        PYTHONPATH=str(REPO),
        SECRET_KEY="x" * 24 + "a-long-random-production-key-for-the-probe",
        ALLOWED_HOSTS="exam.example.org",
    )
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def production_hashers() -> list[str]:
    return _probe("config.settings.prod")["hashers"]


@pytest.mark.parametrize("settings_module", ["config.settings.prod", "config.settings.dev"])
def test_production_and_make_run_hash_with_argon2id_at_owasp_parameters(settings_module):
    probe = _probe(settings_module)
    assert probe["hashers"][0] == "accounts.hashers.Argon2idHasher"
    assert probe["encoded"].startswith(OWASP_PREFIX)
    assert probe["verifies"] is True
    # The earlier default stays listed, so accounts created before the switch can log in.
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in probe["hashers"][1:]


def test_the_rest_of_the_suite_keeps_the_fast_md5_hasher(db):
    assert get_hasher().algorithm == "md5"
    assert UserFactory().password.startswith("md5$")


def _log_in(client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def _user_with_hash(encoded: str) -> User:
    user = UserFactory(role="Student")
    User.objects.filter(pk=user.pk).update(password=encoded)
    user.refresh_from_db()
    return user


@pytest.mark.django_db
@pytest.mark.parametrize(
    "old_hasher",
    [
        "pbkdf2_sha256",  # Django's default before this change
        "pbkdf2_sha1",
    ],
)
def test_an_old_pbkdf2_hash_becomes_argon2id_after_a_real_log_in(
    client, settings, production_hashers, old_hasher
):
    settings.PASSWORD_HASHERS = production_hashers
    user = _user_with_hash(make_password(PASSWORD, hasher=old_hasher))
    assert identify_hasher(user.password).algorithm == old_hasher

    response = _log_in(client, user.username, PASSWORD)

    assert response.status_code == 302
    assert client.get("/").context["user"] == user
    user.refresh_from_db()
    assert user.password.startswith(OWASP_PREFIX)
    assert user.check_password(PASSWORD)

    # The new hash works through the form too, and a second log-in does not rehash it.
    upgraded = user.password
    client.post("/accounts/logout/")
    assert _log_in(client, user.username, PASSWORD).status_code == 302
    user.refresh_from_db()
    assert user.password == upgraded


@pytest.mark.django_db
def test_a_failed_log_in_leaves_the_old_hash_alone(client, settings, production_hashers):
    settings.PASSWORD_HASHERS = production_hashers
    old = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user = _user_with_hash(old)

    response = _log_in(client, user.username, "not-the-password")

    assert response.status_code == 200
    assert not client.get("/").context["user"].is_authenticated
    user.refresh_from_db()
    assert user.password == old


@pytest.mark.django_db
def test_an_argon2_hash_with_other_parameters_is_rehashed_at_owasp_parameters(
    client, settings, production_hashers
):
    # Django's stock Argon2PasswordHasher: Argon2id too, but 100 MiB and 8 lanes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    old = make_password(PASSWORD)
    assert "$m=102400,t=2,p=8$" in old
    settings.PASSWORD_HASHERS = production_hashers
    user = _user_with_hash(old)

    assert _log_in(client, user.username, PASSWORD).status_code == 302

    user.refresh_from_db()
    assert user.password.startswith(OWASP_PREFIX)


@pytest.mark.django_db
def test_new_passwords_from_sign_up_are_argon2id(client, settings, production_hashers):
    settings.PASSWORD_HASHERS = production_hashers
    response = client.post(
        "/signup/",
        {
            "username": "grace",
            "email": "grace@example.test",
            "first_name": "Grace",
            "last_name": "Hopper",
            "password1": "an-unusual-passphrase-42",
            "password2": "an-unusual-passphrase-42",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="grace").password.startswith(OWASP_PREFIX)


@pytest.mark.django_db
def test_demo_accounts_get_argon2id_and_the_deploy_check_still_finds_them(
    settings, production_hashers
):
    from demo.checks import check_no_demo_passwords
    from demo.data import demo_accounts_ensure

    settings.PASSWORD_HASHERS = production_hashers
    demo_accounts_ensure()

    for username in ("student", "instructor", "admin"):
        assert User.objects.get(username=username).password.startswith(OWASP_PREFIX)
    [error] = check_no_demo_passwords()
    assert error.id == "dva.E001"
    assert "admin, instructor, student" in error.msg
