"""Template filter for links from question data: only http(s) URLs become links."""

from __future__ import annotations

import re

from django import template

register = template.Library()

_HTTP_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


@register.filter
def is_http_url(value) -> bool:
    """Tell whether a reference may be a link: an http(s) URL, never javascript: or data:.

    The content rules refuse other references on every write; this guards rows stored before.
    """
    return isinstance(value, str) and bool(_HTTP_URL.match(value.strip()))
