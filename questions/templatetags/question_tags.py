"""Template helpers for the bank pages: plain-text titles from Markdown stems."""

from __future__ import annotations

import html
import re

import nh3
from django import template

from ..markdown import render_markdown

register = template.Library()

# Code blocks (policies, CLI lines) say little about what a question asks, so titles skip them.
_CODE_BLOCK = re.compile(r"<pre>.*?</pre>", re.DOTALL)


def stem_plain_text(stem: str) -> str:
    """Return the stem as one line of plain text: no Markdown syntax, no code blocks."""
    rendered = _CODE_BLOCK.sub(" ", render_markdown(stem or ""))
    text = html.unescape(nh3.clean(rendered, tags=set()))
    return " ".join(text.split())


@register.filter
def stem_title(stem: str, words: int = 12) -> str:
    """Return the stem's first `words` words as plain text, with "…" when it goes on."""
    parts = stem_plain_text(stem).split(" ")
    if len(parts) <= int(words):
        return " ".join(parts)
    return " ".join(parts[: int(words)]).rstrip(",;:") + "…"
