"""Sign-ups and password reset e-mails are limited per client address, on the real Redis cache."""

import pytest
import redis
from django.core import mail
from django.test import Client

from accounts.models import User
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_cache(settings, redis_url):
    """Count on the suite's real Redis server, as production does."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }
    return redis.Redis.from_url(redis_url)


def _sign_up(address: str, n: int):
    password = "an-unusual-passphrase-42"
    return Client(REMOTE_ADDR=address).post(
        "/signup/",
        {
            "username": f"newcomer{n}",
            "email": f"newcomer{n}@example.test",
            "password1": password,
            "password2": password,
        },
    )


def test_sign_ups_from_one_address_are_limited_per_hour(settings, redis_cache):
    settings.SIGN_UP_RATE_LIMIT = 2
    assert [_sign_up("203.0.113.5", n).status_code for n in range(2)] == [302, 302]
    limited = _sign_up("203.0.113.5", 2)
    assert limited.status_code == 429
    assert "Too many accounts were created from your network" in limited.content.decode()
    assert not User.objects.filter(username="newcomer2").exists()
    assert redis_cache.keys("*ratelimit:sign-up:203.0.113.5:*")
    # Someone else is not held back by that address's loop.
    assert _sign_up("198.51.100.7", 3).status_code == 302


def test_password_reset_e_mails_from_one_address_are_limited_per_hour(settings, redis_cache):
    settings.PASSWORD_RESET_RATE_LIMIT = 2
    user = UserFactory(role="Student")
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(2):
        response = client.post("/accounts/password_reset/", {"email": user.email})
        assert response.status_code == 302
    limited = client.post("/accounts/password_reset/", {"email": user.email})
    assert limited.status_code == 429
    assert "Too many password reset e-mails" in limited.content.decode()
    assert len(mail.outbox) == 2
    assert redis_cache.keys("*ratelimit:password-reset:203.0.113.9:*")
    other = Client(REMOTE_ADDR="198.51.100.8")
    assert other.post("/accounts/password_reset/", {"email": user.email}).status_code == 302
    assert len(mail.outbox) == 3


def test_an_invalid_form_does_not_spend_the_limit(settings, redis_cache):
    settings.PASSWORD_RESET_RATE_LIMIT = 1
    client = Client(REMOTE_ADDR="203.0.113.10")
    for _ in range(3):
        assert (
            client.post("/accounts/password_reset/", {"email": "not-an-address"}).status_code == 200
        )
    assert client.post("/accounts/password_reset/", {"email": "a@example.test"}).status_code == 302
