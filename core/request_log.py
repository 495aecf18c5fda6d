"""One JSON log line per request, each with a request id that follows it everywhere.

The id comes from the `X-Request-ID` header when a proxy (nginx's `$request_id`, a load
balancer) sent a sane one, else it is made here; it goes back on the response, into the
request's JSON line on the `dva.requests` logger (with its wall time and the serving thread's
CPU time, `cpu_ms`, which the benchmark aggregates per endpoint) and, through
`RequestIdFilter`, into every other log record written while the request runs. Never an
extra query: the user id is read only when the request already loaded the user.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid

from django.core.signals import request_finished
from django.utils.functional import empty

logger = logging.getLogger("dva.requests")

HEADER = "X-Request-ID"
# Letters, digits and a few separators, as uuids, nginx's $request_id and AWS trace ids use;
# anything else (spaces, quotes, control characters, 200 characters) is replaced.
VALID_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=/-]{0,127}")

_current_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def current_request_id() -> str:
    """The id of the request this thread is serving, or "-" outside a request."""
    return _current_id.get()


def request_id_from(value: str | None) -> str:
    """The id sent by the client when it is valid, else a new one."""
    if value and VALID_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Give every log record a `request_id` attribute (for the formatters)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current_id.get()
        return True


def _forget_request_id(**kwargs) -> None:
    # After the response is closed, so Django's own "Not Found" / "Internal Server Error"
    # records (logged once the middleware returned) still carry the id.
    _current_id.set("-")


request_finished.connect(_forget_request_id, dispatch_uid="core.request_log.forget_id")


def _user_id(request) -> int | None:
    user = getattr(request, "user", None)
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is empty:  # never loaded by the request: do not query for a log line
        return None
    return wrapped.pk if getattr(wrapped, "is_authenticated", False) else None


class RequestLogMiddleware:
    """Set the request id and write the request's JSON line when it is answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(HEADER))
        request.request_id = request_id
        _current_id.set(request_id)  # until request_finished
        started, cpu_started = time.perf_counter(), time.thread_time()
        response = self.get_response(request)
        response[HEADER] = request_id
        match = getattr(request, "resolver_match", None)
        logger.info(
            json.dumps(
                {
                    "request_id": request_id,
                    "method": request.method,
                    "path": request.path,
                    "view": match.view_name if match else None,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    # CPU of the thread that served it (this process only, not the database's).
                    "cpu_ms": round((time.thread_time() - cpu_started) * 1000, 3),
                    "user_id": _user_id(request),
                },
                separators=(",", ":"),
            )
        )
        return response
