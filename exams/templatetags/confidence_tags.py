"""The "How sure are you?" choices for the question page's partial."""

from django import template

from ..models import Confidence

register = template.Library()


@register.simple_tag
def confidence_choices() -> list[tuple[str, str]]:
    """Return (value, label) for Sure, Unsure and Guess, in that order."""
    return list(Confidence.choices)
