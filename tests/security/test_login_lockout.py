"""Log-in throttling beyond tests/accounts/test_auth_flows.py: per username + IP, and it holds.

The basic lock (5 failures, then a 429 with a plain message) is tested there; these tests add
what the lock is keyed on, that a correct password does not lift it, and that it ends.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories.accounts import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

IP_A, IP_B = "198.51.100.7", "203.0.113.20"


def _login(username: str, password: str, ip: str, **headers):
    client = Client(REMOTE_ADDR=ip)
    response = client.post(
        reverse("login"), {"username": username, "password": password}, **headers
    )
    return response, client


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _lock(username: str, ip: str, settings) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response, _ = _login(username, "wrong-password", ip)
        assert response.status_code in (200, 429)
    response, client = _login(username, PASSWORD, ip)
    assert response.status_code == 429 and not _logged_in(client)


def test_the_lock_is_per_username_and_ip(settings):
    alice = UserFactory(role="Student")
    bob = UserFactory(role="Student")
    _lock(alice.username, IP_A, settings)

    same_user_other_ip, client = _login(alice.username, PASSWORD, IP_B)
    assert same_user_other_ip.status_code == 302 and _logged_in(client)
    other_user_same_ip, client = _login(bob.username, PASSWORD, IP_A)
    assert other_user_same_ip.status_code == 302 and _logged_in(client)
    still_locked, client = _login(alice.username, PASSWORD, IP_A)
    assert still_locked.status_code == 429 and not _logged_in(client)


def test_failures_just_below_the_limit_do_not_lock(settings):
    user = UserFactory(role="Student")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(user.username, "wrong-password", IP_A)
    response, client = _login(user.username, PASSWORD, IP_A)
    assert response.status_code == 302 and _logged_in(client)


def test_a_locked_out_correct_password_keeps_failing_until_the_cool_off_ends(settings):
    user = UserFactory(role="Student")
    _lock(user.username, IP_A, settings)
    for _ in range(3):
        response, client = _login(user.username, PASSWORD, IP_A)
        assert response.status_code == 429
        assert "temporarily locked" in response.content.decode()
        assert not _logged_in(client)
    assert AccessAttempt.objects.filter(username=user.username, ip_address=IP_A).exists()

    cool_off = timedelta(hours=settings.AXES_COOLOFF_TIME)
    AccessAttempt.objects.update(attempt_time=timezone.now() - cool_off - timedelta(minutes=1))
    response, client = _login(user.username, PASSWORD, IP_A)
    assert response.status_code == 302 and _logged_in(client)


def test_a_forged_forwarded_for_header_does_not_escape_the_lock(settings):
    user = UserFactory(role="Student")
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(user.username, "wrong-password", IP_A, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    response, client = _login(user.username, PASSWORD, IP_A, HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert response.status_code == 429 and not _logged_in(client)


def test_the_lock_also_closes_the_django_admin_log_in(settings):
    root = UserFactory(is_superuser=True, is_staff=True)
    _lock(root.username, IP_A, settings)
    client = Client(REMOTE_ADDR=IP_A)
    response = client.post(
        reverse("admin:login"), {"username": root.username, "password": PASSWORD}
    )
    assert response.status_code in (403, 429)
    assert not _logged_in(client)
    assert client.get(reverse("admin:index")).status_code == 302
    other_ip = Client(REMOTE_ADDR=IP_B)
    ok = other_ip.post(reverse("admin:login"), {"username": root.username, "password": PASSWORD})
    assert ok.status_code == 302 and _logged_in(other_ip)
