"""`create_first_admin`: the documented way a production deployment gets its first admin."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSPHRASE = "a-long-unique-passphrase-for-admin"


@pytest.fixture
def superuser_env(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "root")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "root@example.org")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSPHRASE)
    return monkeypatch


def test_it_creates_a_working_admin_with_the_admin_role(superuser_env, client, capsys):
    call_command("create_first_admin")
    assert "Created the admin root" in capsys.readouterr().out
    user = User.objects.get(username="root")
    assert user.is_superuser and user.is_staff and user.is_active
    assert list(user.groups.values_list("name", flat=True)) == ["Admin"]
    logged_in = client.post("/accounts/login/", {"username": "root", "password": PASSPHRASE})
    assert logged_in.status_code == 302
    assert client.get("/staff/people/").status_code == 200
    assert client.get("/staff/audit/").status_code == 200


def test_running_it_again_never_resets_the_password(superuser_env, capsys):
    call_command("create_first_admin")
    superuser_env.setenv("DJANGO_SUPERUSER_PASSWORD", "another-long-passphrase-99")
    call_command("create_first_admin")
    assert "already exists; left unchanged" in capsys.readouterr().out
    assert User.objects.filter(username="root").count() == 1
    assert User.objects.get(username="root").check_password(PASSPHRASE)


def test_without_the_variables_it_creates_nobody(monkeypatch, capsys):
    for name in ("USERNAME", "EMAIL", "PASSWORD"):
        monkeypatch.delenv(f"DJANGO_SUPERUSER_{name}", raising=False)
    call_command("create_first_admin")
    assert "no admin created" in capsys.readouterr().out
    assert not User.objects.exists()


def test_a_missing_variable_or_weak_password_is_refused_without_writing(superuser_env):
    superuser_env.delenv("DJANGO_SUPERUSER_EMAIL")
    with pytest.raises(CommandError, match="DJANGO_SUPERUSER_EMAIL"):
        call_command("create_first_admin")
    superuser_env.setenv("DJANGO_SUPERUSER_EMAIL", "root@example.org")
    superuser_env.setenv("DJANGO_SUPERUSER_PASSWORD", "password")
    with pytest.raises(CommandError, match="too common"):
        call_command("create_first_admin")
    assert not User.objects.exists()
