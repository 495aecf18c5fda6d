"""Project-wide middleware."""

import functools
import zoneinfo

from django.conf import settings
from django.utils import timezone

# Everything is vendored under static/, so the policy can forbid every other origin.
DEFAULT_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; "
    "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    """Send a Content-Security-Policy header on every response that lacks one."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", DEFAULT_CSP)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


TIME_ZONE_COOKIE = "tz"


@functools.cache
def _known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zone_from_cookie(value: str | None) -> zoneinfo.ZoneInfo | None:
    """Return the IANA zone named by the cookie, or None for anything that is not one."""
    if not value or len(value) > 64 or value not in _known_time_zones():
        return None
    return zoneinfo.ZoneInfo(value)


class UserTimeZoneMiddleware:
    """Show times in the browser's time zone, which static/js/timezone.js puts in a cookie.

    An unknown or forged value is ignored (times stay in the server's zone), never an error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = time_zone_from_cookie(request.COOKIES.get(TIME_ZONE_COOKIE))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            # Threads serve other people's requests next.
            timezone.deactivate()
