"""The client's IP address, trusting X-Forwarded-For only as far as our own proxies go."""

from django.conf import settings


def client_ip(request) -> str | None:
    """Return the address of whoever connected to our outermost trusted proxy.

    With TRUSTED_PROXY_COUNT = 0 (the default) the header is ignored, so a client cannot forge
    its address; behind N proxies, the N-th address from the right is the client.
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR")
