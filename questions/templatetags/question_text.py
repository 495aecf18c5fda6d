"""Template filters for showing question text outside the question page."""

from django import template

from questions.markdown import markdown_to_plain

register = template.Library()


@register.filter
def snippet(text: str, max_chars: int = 120) -> str:
    """Return Markdown `text` as a short line of plain text (no backticks or asterisks)."""
    return markdown_to_plain(text, int(max_chars))
