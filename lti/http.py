"""The HTTP session the tool uses to reach platforms (keysets, tokens, AGS, NRPS).

pylti1p3 calls requests without a timeout; a platform that never answers would hold a worker
(or a launch) forever. Every request here gives up after LTI_HTTP_TIMEOUT_SECONDS.
"""

import requests
from django.conf import settings

USER_AGENT = "DVA-Mock-LTI-Tool"


class TimeoutSession(requests.Session):
    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout
        self.headers["User-Agent"] = USER_AGENT

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, **kwargs)


def platform_session() -> TimeoutSession:
    return TimeoutSession(settings.LTI_HTTP_TIMEOUT_SECONDS)
