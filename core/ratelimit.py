"""A small fixed-window rate limiter on the Django cache (Redis in production)."""

from __future__ import annotations

import logging
import time

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)


def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit for `key`; return False once `limit` hits fall in the current window.

    When the cache itself is down the request is let through: losing an answer is worse than
    losing the limit for a moment.
    """
    try:
        return _allow(key, limit=limit, window_seconds=window_seconds)
    except Exception:  # noqa: BLE001 - any cache backend error
        logger.warning("Rate limit cache unavailable; allowing %s", key)
        return True


def _redis_hits(backend: RedisCache, cache_key: str, timeout: int) -> int:
    """Count one hit in Redis in one round trip: create the counter with its expiry, add one.

    Django's Redis cache builds a new client object for every call and needs two calls (add,
    then exists and incr) for a counter that exists: on the autosave, the hottest path, that
    cost more CPU than the save's own SQL. One client per cache instance (its connection pool)
    and one MULTI/EXEC pipeline instead; the value stays a plain integer the cache can read.
    """
    client = getattr(backend, "_ratelimit_client", None)
    if client is None:
        client = backend._cache.get_client(write=True)
        backend._ratelimit_client = client
    name = backend.make_and_validate_key(cache_key)
    pipe = client.pipeline(transaction=True)
    pipe.set(name, 0, ex=timeout, nx=True)
    pipe.incr(name)
    return pipe.execute()[1]


def _allow(key: str, *, limit: int, window_seconds: int) -> bool:
    bucket = int(time.time() // window_seconds)
    cache_key = f"ratelimit:{key}:{bucket}"
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return _redis_hits(backend, cache_key, window_seconds * 2) <= limit
    if cache.add(cache_key, 1, timeout=window_seconds * 2):
        return True
    try:
        hits = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window_seconds * 2)
        return True
    return hits <= limit
