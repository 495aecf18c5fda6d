"""The header line of a custom quiz ("Custom quiz (DVA-C02): 20 questions from Security, ...")."""

from django import template

from ..services.custom import custom_quiz_summary as summary_of

register = template.Library()


@register.simple_tag
def custom_quiz_summary(attempt) -> str:
    return summary_of(attempt=attempt)
