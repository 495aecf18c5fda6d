"""The autosave rate limiter counted in a live Redis cache, as production runs it."""

from __future__ import annotations

import random
import threading
import time

import pytest
import redis
from django.core.cache import cache
from django.urls import reverse

from core import ratelimit
from exams.services import attempt_start
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = [pytest.mark.services("redis"), pytest.mark.django_db]


@pytest.fixture
def redis_cache(settings, redis_url):
    """The Django cache on the suite's Redis (config/settings/base.py does so in production)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
        }
    }
    cache.clear()
    return redis.Redis.from_url(redis_url)


def _counters(server) -> dict[str, int]:
    return {
        key.decode().split("ratelimit:", 1)[1]: int(server.get(key))
        for key in server.scan_iter("*ratelimit:*")
    }


def _start_of_a_window(seconds: int) -> None:
    """Wait for a fresh fixed window when the current one ends within 3 seconds."""
    left = seconds - time.time() % seconds
    if left < 3:
        time.sleep(left + 0.05)


def test_the_limit_is_counted_in_redis_and_expires_with_its_window(redis_cache):
    _start_of_a_window(30)
    results = [ratelimit.allow("probe", limit=3, window_seconds=30) for _ in range(5)]
    assert results == [True, True, True, False, False]
    [key] = list(redis_cache.scan_iter("*ratelimit:probe:*"))
    assert int(redis_cache.get(key)) == 5
    assert 0 < redis_cache.ttl(key) <= 60  # two windows, then Redis forgets it


def test_concurrent_hits_are_counted_once_each(redis_cache):
    """INCR is atomic in Redis: 20 threads at once let exactly `limit` through."""
    _start_of_a_window(60)
    barrier = threading.Barrier(20)
    allowed = []

    def hit():
        barrier.wait()
        allowed.append(ratelimit.allow("burst", limit=7, window_seconds=60))

    threads = [threading.Thread(target=hit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(allowed) == [False] * 13 + [True] * 7


def test_autosave_is_refused_with_429_past_the_limit_per_user(
    redis_cache, client, student, other_student, settings
):
    settings.AUTOSAVE_RATE_LIMIT = 4
    make_bank(per_domain=6)
    blueprint = short_blueprint()
    statuses = {}
    for user in (student, other_student):
        attempt = attempt_start(user=user, blueprint=blueprint, rng=random.Random(1))
        item = attempt.items.first()
        client.force_login(user)
        _start_of_a_window(10)  # the view's window: six saves must fall in one
        statuses[user.pk] = [
            client.post(
                reverse("exams:answer", args=[attempt.pk, item.position]),
                {"option": item.option_order[0], "seq": n},
                HTTP_ACCEPT="application/json",
            ).status_code
            for n in range(1, 7)
        ]
    # Each student has a budget of their own, kept in Redis.
    assert statuses == {pk: [200] * 4 + [429] * 2 for pk in statuses}
    counters = _counters(redis_cache)
    assert sorted(v for k, v in counters.items() if k.startswith("autosave:")) == [6, 6], counters
