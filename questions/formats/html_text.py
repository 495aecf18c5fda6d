"""Turn HTML from Moodle files into the plain Markdown the bank stores.

The conversion is deliberately conservative: tags are dropped, entities unescaped, and only
structure that Markdown keeps without guessing survives (paragraphs, line breaks, list items,
bold and italic, links, inline code and code blocks). Nothing from the HTML is passed through
as markup, so nothing unsafe can come in this way.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);")
_BLOCK = {
    "p",
    "div",
    "section",
    "article",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "table",
    "tr",
    "hr",
    "dl",
    "dt",
    "dd",
    "figure",
}
_DROPPED = {"script", "style", "head", "title", "template"}


# A complete tag: nothing in it may be "<", so matching stops at the next "<" and stays linear.
_WHOLE_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")


def _escape_broken_markup(text: str) -> str:
    """Return the HTML with every "<" that starts no complete tag or comment escaped.

    Python's HTMLParser rescans the rest of the text for each construct it cannot close
    ("<a " * 20000 takes over a minute), so it is only given complete tags and comments; a
    stray "<" reads as text, as a browser shows it. One pass: each "<" is looked at once.
    """
    out: list[str] = []
    start = 0
    comments_close = True
    while (at := text.find("<", start)) >= 0:
        out.append(text[start:at])
        if match := _WHOLE_TAG.match(text, at):
            out.append(match.group())
            start = match.end()
            continue
        if comments_close and text.startswith("<!--", at):
            end = text.find("-->", at + 4)
            if end >= 0:
                out.append(text[at : end + 3])
                start = end + 3
                continue
            comments_close = False  # no "-->" after here, so no later comment closes either
        out.append("&lt;")
        start = at + 1
    out.append(text[start:])
    return "".join(out)


def looks_like_html(text: str) -> bool:
    """Return True when text has tags or entities, i.e. needs converting."""
    return bool(_TAG.search(text) or _ENTITY.search(text))


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[tuple[bool, str]] = []  # (inside <pre>, text)
        self.pre = 0
        self.code = 0
        self.dropped = 0
        self.fence_at: int | None = None
        self.links: list[str | None] = []
        self.images = 0

    def _emit(self, text: str, raw: bool = False) -> None:
        self.parts.append((raw, text))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in _DROPPED:
            self.dropped += 1
        elif tag == "pre":
            self.pre += 1
            if self.pre == 1:
                self._emit("\n\n")
                self.fence_at = len(self.parts)
                self._emit(f"```{_language(attributes)}\n")
        elif tag == "code":
            if self.pre:
                language = _language(attributes)
                if language and self.fence_at is not None:
                    self.parts[self.fence_at] = (False, f"```{language}\n")
            else:
                self.code += 1
                self._emit("`")
        elif tag == "br":
            self._emit("\n", raw=bool(self.pre))
        elif tag in ("strong", "b") and not self.pre:
            self._emit("**")
        elif tag in ("em", "i") and not self.pre:
            self._emit("*")
        elif tag == "li":
            self._emit("\n- ")
        elif tag == "a" and not self.pre:
            href = (attributes.get("href") or "").strip()
            self.links.append(href if re.match(r"^https?://", href) else None)
            if self.links[-1]:
                self._emit("[")
        elif tag == "img":
            self.images += 1
            alt = (attributes.get("alt") or "").strip()
            if alt:
                self._emit(f" {alt} ")
        elif tag in _BLOCK:
            self._emit("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "img", "hr"):
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.dropped = max(0, self.dropped - 1)
        elif tag == "pre" and self.pre:
            self.pre -= 1
            if not self.pre:
                self._strip_pre_edges()
                self._emit("\n```\n\n")
                self.fence_at = None
        elif tag == "code" and not self.pre and self.code:
            self.code -= 1
            self._emit("`")
        elif tag in ("strong", "b") and not self.pre:
            self._emit("**")
        elif tag in ("em", "i") and not self.pre:
            self._emit("*")
        elif tag == "a" and not self.pre and self.links:
            href = self.links.pop()
            if href:
                self._emit(f"]({href})")
        elif tag in _BLOCK:
            self._emit("\n\n")

    def handle_data(self, data: str) -> None:
        if self.dropped:
            return
        data = data.replace("\xa0", " ")
        if self.pre:
            self._emit(data, raw=True)
        else:
            self._emit(re.sub(r"\s+", " ", data))

    def _strip_pre_edges(self) -> None:
        # HTML ignores a newline right after <pre>; a trailing one would give an empty line.
        start = (self.fence_at or 0) + 1
        raw = [i for i in range(start, len(self.parts)) if self.parts[i][0]]
        if raw:
            first, last = raw[0], raw[-1]
            self.parts[first] = (True, self.parts[first][1].lstrip("\r\n"))
            self.parts[last] = (True, self.parts[last][1].rstrip())

    def markdown(self) -> str:
        joined = "".join(text.replace("\r\n", "\n") if raw else text for raw, text in self.parts)
        # Tidy spaces and blank lines outside code blocks only.
        # Fences are emitted at line starts; anchoring there keeps "`" * N from being quadratic.
        pieces = re.split(r"(?m)(^```[^\n]*\n.*?\n```)", joined, flags=re.DOTALL)
        for i in range(0, len(pieces), 2):
            # Runs of spaces go first, so the newline rule never rescans a long run.
            piece = re.sub(r" {2,}", " ", pieces[i])
            piece = re.sub(r"[ \t]*\n[ \t]*", "\n", piece)
            pieces[i] = re.sub(r"\n{3,}", "\n\n", piece)
        return "".join(pieces).strip()


def _language(attributes: dict[str, str | None]) -> str:
    for cls in (attributes.get("class") or "").split():
        if cls.startswith(("language-", "lang-")):
            return re.sub(r"[^\w+-]", "", cls.split("-", 1)[1])
    return ""


def html_to_markdown(text: str) -> tuple[str, list[str]]:
    """Return the HTML as Markdown text, and notes on what could not be kept."""
    converter = _Converter()
    converter.feed(_escape_broken_markup(text or ""))
    converter.close()
    notes = []
    if converter.images:
        noun = "an image" if converter.images == 1 else f"{converter.images} images"
        notes.append(f"{noun} in the HTML could not be imported (only its alt text is kept)")
    return converter.markdown(), notes
