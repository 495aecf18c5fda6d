"""A small fixed-window rate limiter on the Django cache (Redis in production)."""

from __future__ import annotations

import logging
import time

from django.core.cache import cache

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


def _allow(key: str, *, limit: int, window_seconds: int) -> bool:
    bucket = int(time.time() // window_seconds)
    cache_key = f"ratelimit:{key}:{bucket}"
    if cache.add(cache_key, 1, timeout=window_seconds * 2):
        return True
    try:
        hits = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window_seconds * 2)
        return True
    return hits <= limit
