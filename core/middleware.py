"""Turn a refusal a view let through into the user's answer, in one place.

A refusal is a `ValidationError` (an `ApplicationError` is one) raised by a service. JSON
clients (the exam page's autosave, flag and strike-out scripts) get `{"ok": false, "error":
...}` with the error's status; pages get the message and a redirect: where the view's
`on_refusal` says, else back to the referring page on this site, else home.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from .errors import refusal_text


def wants_json(request) -> bool:
    """True for the pages' scripts, which ask for JSON (autosave, flags, strike-outs)."""
    return "application/json" in request.headers.get("Accept", "")


def refusal_response(request, exc: ValidationError, *, to: str | None = None) -> HttpResponse:
    """Answer a refused request: the JSON error, or the message and a redirect to `to`."""
    if wants_json(request):
        return JsonResponse(
            {"ok": False, "error": refusal_text(exc), **getattr(exc, "extra", {})},
            status=getattr(exc, "status", 400),
        )
    for message in exc.messages:
        messages.error(request, message)
    if to is None:
        to = request.headers.get("Referer", "")
        if not url_has_allowed_host_and_scheme(
            to, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            to = "home"
    return redirect(to)


def on_refusal(to: Callable[..., str]):
    """Send a page whose service refused to `to(request, *view_args, **view_kwargs)` (a URL).

    JSON clients are answered as everywhere else; only the page's destination differs, e.g. a
    refused exam start goes back to the exam list, a refused answer to its question.
    """

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except ValidationError as exc:
                return refusal_response(request, exc, to=to(request, *args, **kwargs))

        return wrapped

    return decorate


class ApplicationErrorMiddleware:
    """Answer every refusal no view caught with `refusal_response`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ValidationError):
            return None
        return refusal_response(request, exception)
