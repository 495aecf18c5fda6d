"""Prometheus metrics: request latency per view, autosave errors, queue depth, open attempts.

Built on `prometheus_client` directly rather than django-prometheus: we need four families,
not its database and cache wrappers (which replace the database ENGINE, in the way of
PgBouncer's settings), and its multi-process story under gunicorn is per-worker ports, while
`prometheus_client`'s multiprocess mode (PROMETHEUS_MULTIPROC_DIR, see config/gunicorn.py)
sums every worker into one scrape.

- `dva_http_request_duration_seconds{view,method}` (histogram) and
  `dva_http_responses_total{view,method,status}` are counted by `MetricsMiddleware`;
- `dva_autosave_errors_total{status}`: 4xx/5xx answers of the views in
  settings.METRICS_AUTOSAVE_VIEWS (the answer endpoint);
- `dva_celery_queue_depth{queue}`: LLEN of each queue's list on the Redis broker, read when
  Prometheus scrapes (with `dva_celery_broker_up`);
- the gauges of settings.METRICS_GAUGES (e.g. `dva_open_attempts`), read when scraped.

`/metrics` answers only a bearer token equal to METRICS_TOKEN or a client address in
METRICS_ALLOWED_IPS; with neither set it does not exist (404), and a refused request gets the
same 404.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from functools import cache

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from .client_ip import client_ip

log = logging.getLogger(__name__)

UNRESOLVED = "<unresolved>"  # 404s for unknown paths: one label value, not one per path

REQUEST_SECONDS = Histogram(
    "dva_http_request_duration_seconds",
    "Time from the request reaching Django to its response, per view.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.5, 5.0, 10.0),
)
RESPONSES = Counter(
    "dva_http_responses", "Responses per view and status code.", ["view", "method", "status"]
)
AUTOSAVE_ERRORS = Counter(
    "dva_autosave_errors",
    "4xx/5xx answers of the answer (autosave) endpoint, per status code.",
    ["status"],
)

# Kombu's Redis transport keeps a queue's messages in a list named after it, plus one list per
# priority step above 0 (the name, "\x06\x16" and the step); a depth counts them all.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


def _view_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match else UNRESOLVED


class MetricsMiddleware:
    """Time every request and count its response under its view's name."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        view = _view_name(request)
        REQUEST_SECONDS.labels(view, request.method).observe(time.perf_counter() - started)
        RESPONSES.labels(view, request.method, str(response.status_code)).inc()
        if response.status_code >= 400 and view in settings.METRICS_AUTOSAVE_VIEWS:
            AUTOSAVE_ERRORS.labels(str(response.status_code)).inc()
        return response


def celery_queue_names() -> list[str]:
    """The queues the routes name, and Celery's default queue (which should stay empty)."""
    routes = getattr(settings, "CELERY_TASK_ROUTES", None) or {}
    names = {route["queue"] for route in routes.values() if "queue" in route}
    names.add(getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"))
    return sorted(names)


@cache
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def celery_queue_depths() -> dict[str, int] | None:
    """Messages waiting per queue on the Redis broker; None when it is not Redis or is down."""
    url = settings.CELERY_BROKER_URL or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    names = celery_queue_names()
    try:
        pipe = _redis(url).pipeline(transaction=False)
        for name in names:
            for suffix in _PRIORITY_SUFFIXES:
                pipe.llen(name + suffix)
        lengths = pipe.execute()
    except Exception as exc:  # the broker is down: say so, do not fail the scrape
        log.warning("metrics: cannot read queue depths: %s", exc)
        return None
    step = len(_PRIORITY_SUFFIXES)
    return {name: sum(lengths[i * step : (i + 1) * step]) for i, name in enumerate(names)}


class ScrapeTimeCollector:
    """Figures read from PostgreSQL and Redis when Prometheus scrapes, not kept in memory."""

    def describe(self):
        return []  # lets the registry take it without a trial collect (a query at import)

    def collect(self):
        depths = celery_queue_depths()
        if depths is not None or (settings.CELERY_BROKER_URL or "").startswith("redis"):
            up = GaugeMetricFamily(
                "dva_celery_broker_up", "1 when the Redis broker answered the scrape."
            )
            up.add_metric([], 1 if depths is not None else 0)
            yield up
        if depths is not None:
            depth = GaugeMetricFamily(
                "dva_celery_queue_depth",
                "Tasks waiting on the broker, per queue.",
                labels=["queue"],
            )
            for name, length in depths.items():
                depth.add_metric([name], length)
            yield depth
        for name, (documentation, path) in settings.METRICS_GAUGES.items():
            try:
                value = import_string(path)()
            except Exception as exc:  # the database is down: leave the gauge out
                log.warning("metrics: gauge %s failed: %s", name, exc)
                continue
            gauge = GaugeMetricFamily(name, documentation)
            gauge.add_metric([], value)
            yield gauge


_SCRAPE = ScrapeTimeCollector()
REGISTRY.register(_SCRAPE)


def _registry():
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    # Several gunicorn workers: sum what each wrote to the shared folder.
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(_SCRAPE)
    return registry


@cache
def _networks(entries: tuple[str, ...]) -> list:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            log.warning("METRICS_ALLOWED_IPS: %r is not an address or network; ignored", entry)
    return networks


def metrics_allowed(request) -> bool:
    """A bearer token equal to METRICS_TOKEN, or a client address in METRICS_ALLOWED_IPS."""
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            return True
    if settings.METRICS_ALLOWED_IPS:
        try:
            address = ipaddress.ip_address(client_ip(request) or "")
        except ValueError:
            return False
        return any(address in net for net in _networks(tuple(settings.METRICS_ALLOWED_IPS)))
    return False


@never_cache
def metrics_view(request):
    if request.method not in ("GET", "HEAD") or not metrics_allowed(request):
        raise Http404("No such page.")
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
