"""Template helpers for question reports (the report form's categories)."""

from django import template

from questions.models import QuestionReport

register = template.Library()


@register.simple_tag
def report_categories():
    """The report categories as (value, label) pairs, in the order the form offers them."""
    return QuestionReport.Category.choices
