"""A small fixed-window rate limiter on the Django cache (Redis in production)."""

from __future__ import annotations

import time

from django.core.cache import cache


def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit for `key`; return False once `limit` hits fall in the current window."""
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
