"""Render question Markdown safely: raw HTML never passes through."""

from html import escape

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    "table"
)

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "code",
    "pre",
    "ul",
    "ol",
    "li",
    "blockquote",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
}
# The content rules cap every text well below this (the stem at 5,000 characters). This is the
# renderer's own bound: markdown-it is linear but costs ~40 µs per "![" pair, so 1.9 MB of it
# took 39 s; longer text is shown as escaped plain text, with no Markdown parsing at all.
MAX_MARKDOWN_LENGTH = 20_000


def _plain(text: str) -> str:
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{escape(p)}</p>\n" for p in paragraphs)


def render_markdown(text: str) -> str:
    """Return sanitised HTML for Markdown `text` (html disabled, then cleaned by nh3)."""
    text = text or ""
    if len(text) > MAX_MARKDOWN_LENGTH:
        return _plain(text)
    # A code block scrolls sideways, so keyboard users must be able to focus it (axe:
    # scrollable-region-focusable). markdown-it escapes "<pre>" typed in the text, so only its
    # own code blocks get the attribute.
    rendered = _md.render(text).replace("<pre>", '<pre tabindex="0">')
    # Belt and braces: markdown-it escapes raw HTML already; nh3 strips anything unexpected,
    # such as javascript: links.
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "code": {"class"}, "pre": {"tabindex"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def render_inline(text: str) -> str:
    """Render a short text (an option) without wrapping it in a paragraph when it is one line."""
    html = render_markdown(text)
    if html.startswith("<p>") and html.endswith("</p>\n") and html.count("<p>") == 1:
        return html[3:-5]
    return html


def markdown_to_plain(text: str, max_chars: int | None = None) -> str:
    """Return the words of Markdown `text` as one line of plain text, cut to `max_chars`.

    Code spans and blocks keep their content without the backticks; the result is plain
    text, so templates escape it like any other string.
    """
    text = text or ""
    if len(text) > MAX_MARKDOWN_LENGTH:
        # The renderer's bound holds here too: no Markdown parsing of overlong text.
        parts = [text]
        tokens = []
    else:
        parts = []
        tokens = _md.parse(text)
    for token in tokens:
        if token.type in ("fence", "code_block"):
            parts.append(token.content)
        for child in token.children or ():
            if child.type in ("text", "code_inline", "html_inline"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append(" ")
        parts.append(" ")
    plain = " ".join("".join(parts).split())
    if max_chars is not None and len(plain) > max_chars:
        # Cut at a word boundary when there is one near the end, so no half word dangles.
        cut = plain[: max_chars - 1]
        space = cut.rfind(" ")
        if space > max_chars // 2:
            cut = cut[:space]
        plain = cut.rstrip(" ,;:.") + "…"
    return plain
