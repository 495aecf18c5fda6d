"""QTI's XHTML and the bank's Markdown, both ways.

Markdown goes out through the bank's own renderer (`questions.markdown.render_markdown`, so what
an instructor sees in the bank is what the package holds) and is rebuilt as XHTML elements in
the item's namespace: only the tags and attributes below survive. XHTML comes back as Markdown
by walking the element tree: paragraphs, headings, code blocks (with their language), inline
code, bold, italic, links, ordered and unordered lists (nested), block quotes, rules and line
breaks. What Markdown writes in more than one way comes back in one spelling (``*x*`` for
``_x_``, ```` ``` ```` fences for indented code); the bank's own texts use that spelling, so
bank → QTI → bank gives them back unchanged.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from ..markdown import ALLOWED_TAGS, render_markdown

# XHTML kept on export (everything the bank's renderer writes) and its allowed attributes.
_KEPT_TAGS = ALLOWED_TAGS
_KEPT_ATTRIBUTES = {"a": {"href"}, "code": {"class"}, "ol": {"start"}}
_BLOCK_TAGS = {
    "p",
    "div",
    "pre",
    "ul",
    "ol",
    "li",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "hr",
    "dl",
    "address",
    "figure",
    "section",
    "article",
    "aside",
    "header",
    "footer",
    "qti-prompt",
    "prompt",
    "qti-content-body",
    "qti-feedback-block",
    "feedbackBlock",
    "qti-rubric-block",
}
_BOLD = {"strong", "b"}
_ITALIC = {"em", "i", "cite", "dfn", "var"}
_CODE = {"code", "tt", "kbd", "samp"}


def local_name(element) -> str:
    """Return an element's tag without its namespace ("" for comments and PIs)."""
    if not isinstance(element.tag, str):
        return ""
    return etree.QName(element).localname


# --- Markdown → XHTML ----------------------------------------------------------------------


def _copy(source, parent, namespace: str) -> None:
    """Append `source` (an lxml.html element) under `parent` as XHTML in `namespace`."""
    tag = source.tag if isinstance(source.tag, str) else ""
    if tag not in _KEPT_TAGS:
        # An unexpected tag keeps its text, appended where it stood.
        _append_text(parent, source.text_content() + (source.tail or ""))
        return
    element = etree.SubElement(parent, f"{{{namespace}}}{tag}")
    for name in _KEPT_ATTRIBUTES.get(tag, ()):
        value = source.get(name)
        if value:
            element.set(name, value)
    element.text = source.text
    for child in source:
        _copy(child, element, namespace)
    element.tail = source.tail


def _append_text(parent, text: str) -> None:
    if not text:
        return
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def markdown_to_xhtml(parent, text: str, namespace: str, *, inline: bool = False) -> None:
    """Append the Markdown `text` under `parent` as XHTML elements in `namespace`.

    With `inline`, a text that renders as one paragraph is appended as inline content (for a
    choice or inline feedback); otherwise as blocks.
    """
    rendered = render_markdown(text or "").replace(' tabindex="0"', "")
    if not rendered.strip():
        return
    fragments = lxml_html.fragments_fromstring(rendered)
    leading = ""
    if fragments and isinstance(fragments[0], str):
        leading, fragments = fragments[0], fragments[1:]
    if inline and len(fragments) == 1 and fragments[0].tag == "p" and not leading.strip():
        paragraph = fragments[0]
        _append_text(parent, paragraph.text or "")
        for child in paragraph:
            _copy(child, parent, namespace)
        return
    _append_text(parent, leading.strip())
    for fragment in fragments:
        _copy(fragment, parent, namespace)
        # Newlines between blocks only make the file readable.
        parent[-1].tail = "\n" if len(parent) else None


def renders_inline(text: str) -> bool:
    """Tell whether Markdown `text` renders as a single paragraph (inline content)."""
    rendered = render_markdown(text or "").strip()
    return rendered.count("<p>") == 1 and rendered.startswith("<p>") and rendered.endswith("</p>")


# --- XHTML → Markdown ----------------------------------------------------------------------


def _code_span(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _inline(element, skip) -> str:
    """Return the Markdown of an inline element (its tail excluded)."""
    name = local_name(element)
    if not name or skip(element):
        return ""
    if name == "br":
        return "\\\n"
    if name == "img":
        return (element.get("alt") or "").strip()
    if name in _CODE:
        return _code_span("".join(element.itertext()))
    inner = _inline_content(element, skip)
    if not inner.strip():
        return inner
    if name in _BOLD:
        return f"**{inner}**"
    if name in _ITALIC:
        return f"*{inner}*"
    if name == "a":
        href = (element.get("href") or "").strip()
        return f"[{inner}]({href})" if re.match(r"^https?://", href) else inner
    return inner


def _inline_content(element, skip) -> str:
    parts = [element.text or ""]
    for child in element:
        parts.append(_inline(child, skip))
        parts.append(child.tail or "")
    return "".join(parts)


def _tidy_paragraph(text: str) -> str:
    """Return a paragraph's text with HTML's whitespace rules, keeping Markdown line breaks.

    A newline followed by indentation is the file's layout (pretty-printed XML) and reads as a
    space, as in a browser; a bare newline is a Markdown soft break, as the bank's renderer
    writes it, and is kept so that bank → QTI → bank gives the same text. A hard break (<br>)
    is a backslash before the newline.
    """
    text = text.replace("\xa0", " ").replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"\n[ \t]+", " ", text)
    text = re.sub(r"[ \t\f\v]+", " ", text)
    text = re.sub(r" ?\n[\n ]*", "\n", text)
    return text.strip()


def _fence(code: str, language: str) -> str:
    longest = max((len(run) for run in re.findall(r"`{3,}", code)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}{language}\n{code}\n{fence}"


def _pre(element) -> str:
    language = ""
    for code in element:
        if local_name(code) == "code":
            for cls in (code.get("class") or "").split():
                if cls.startswith(("language-", "lang-")):
                    language = re.sub(r"[^\w+-]", "", cls.split("-", 1)[1])
    code = "".join(element.itertext()).replace("\r\n", "\n")
    # XHTML drops a newline right after <pre>; the renderer ends the code with one.
    if code.startswith("\n"):
        code = code[1:]
    return _fence(code.rstrip("\n"), language)


def _indent(text: str, prefix: str) -> str:
    pad = " " * len(prefix)
    lines = text.split("\n")
    return "\n".join(
        [prefix + lines[0]] + [(pad + line) if line.strip() else "" for line in lines[1:]]
    )


def _list(element, skip, ordered: bool) -> str:
    items = []
    try:
        number = int(element.get("start") or 1)
    except ValueError:
        number = 1
    for child in element:
        if local_name(child) != "li" or skip(child):
            continue
        prefix = f"{number}. " if ordered else "- "
        number += 1
        items.append(_indent(blocks_to_markdown(child, skip, tight=True), prefix))
    return "\n".join(items)


def _table(element) -> str:
    rows = []
    for row in element.iter():
        if local_name(row) == "tr":
            cells = [
                _tidy_paragraph(_inline_content(c, lambda _e: False)).replace("|", "\\|")
                for c in row
                if local_name(c) in ("td", "th")
            ]
            rows.append("| " + " | ".join(cells) + " |")
            if len(rows) == 1:
                rows.append("|" + "|".join(" --- " for _ in cells) + "|")
    return "\n".join(rows)


def _block(element, skip) -> str:
    name = local_name(element)
    if name == "pre":
        return _pre(element)
    if name in ("ul", "ol"):
        return _list(element, skip, ordered=name == "ol")
    if name == "blockquote":
        inner = blocks_to_markdown(element, skip)
        return "\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))
    if re.fullmatch(r"h[1-6]", name):
        return "#" * int(name[1]) + " " + _tidy_paragraph(_inline_content(element, skip))
    if name == "hr":
        return "---"
    if name == "table":
        return _table(element)
    if name == "p":
        return _tidy_paragraph(_inline_content(element, skip))
    return blocks_to_markdown(element, skip)


def blocks_to_markdown(parent, skip=lambda _e: False, *, tight: bool = False) -> str:
    """Return the Markdown for the content of `parent` (text, inline and block children).

    `skip(element)` leaves an element out (e.g. the interaction or feedback inside a choice).
    Blocks are separated by a blank line, or by a newline in a tight list item.
    """
    blocks: list[str] = []
    run: list[str] = [parent.text or ""]

    def flush() -> None:
        text = _tidy_paragraph("".join(run))
        if text:
            blocks.append(text)
        run.clear()

    for child in parent:
        name = local_name(child)
        if name and not skip(child):
            if name in _BLOCK_TAGS or name.endswith("-interaction"):
                flush()
                text = _block(child, skip)
                if text.strip():
                    blocks.append(text.strip("\n"))
            else:
                run.append(_inline(child, skip))
        run.append(child.tail or "")
    flush()
    return ("\n" if tight else "\n\n").join(blocks)
