import pytest
from django.core import mail

from accounts.models import User
from tests.factories.accounts import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGN_UP = {
    "username": "ada",
    "email": "ada@example.test",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "password1": "an-unusual-passphrase-42",
    "password2": "an-unusual-passphrase-42",
}


def test_sign_up_creates_a_logged_in_student(client):
    response = client.post("/signup/", SIGN_UP, follow=True)
    user = User.objects.get(username="ada")
    assert list(user.groups.values_list("name", flat=True)) == ["Student"]
    assert response.context["user"] == user
    assert "Your exam practice" in response.content.decode()


def test_sign_up_refuses_duplicate_email_case_insensitively(client):
    UserFactory(email="ADA@example.test")
    response = client.post("/signup/", SIGN_UP)
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert not User.objects.filter(username="ada").exists()


def test_sign_up_shows_password_mismatch_inline(client):
    response = client.post("/signup/", {**SIGN_UP, "password2": "different-passphrase-1"})
    assert (
        "didn’t match" in response.content.decode() or "didn't match" in response.content.decode()
    )
    assert not User.objects.filter(username="ada").exists()


def test_login_and_logout(client):
    user = UserFactory(role="Student")
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").context["user"] == user
    client.post("/accounts/logout/")
    assert not client.get("/").context["user"].is_authenticated


def test_repeated_failed_logins_lock_the_account_with_a_plain_message(client, settings):
    user = UserFactory(role="Student")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    locked = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert locked.status_code == 429
    assert "temporarily locked" in locked.content.decode()
    assert not client.get("/").context["user"].is_authenticated


def test_password_reset_sends_a_link(client):
    user = UserFactory(role="Student")
    client.post("/accounts/password_reset/", {"email": user.email})
    assert len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body


def test_password_change(client):
    user = UserFactory(role="Student")
    client.force_login(user)
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-brand-new-passphrase-7",
            "new_password2": "a-brand-new-passphrase-7",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-brand-new-passphrase-7")
