"""Turn an `ApplicationError` a view let through into the user's answer, in one place."""

from __future__ import annotations

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from .errors import ApplicationError


def wants_json(request) -> bool:
    """True for the pages' scripts, which ask for JSON (autosave, flags, strike-outs)."""
    return "application/json" in request.headers.get("Accept", "")


class ApplicationErrorMiddleware:
    """JSON clients get `{"ok": false, "error": ...}` with the error's status; pages get the
    message and a redirect back to where the request came from (home when that is elsewhere)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ApplicationError):
            return None
        if wants_json(request):
            return JsonResponse(
                {"ok": False, "error": str(exception), **exception.extra},
                status=exception.status,
            )
        messages.error(request, str(exception))
        back = request.headers.get("Referer", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = "home"
        return redirect(back)
