"""Template helpers for question reports: the form's categories, what the user already reported."""

from django import template

from questions.models import QuestionReport

register = template.Library()


@register.simple_tag
def report_categories():
    """The report categories as (value, label) pairs, in the order the form offers them."""
    return QuestionReport.Category.choices


@register.simple_tag(takes_context=True)
def open_report_question_ids(context) -> frozenset:
    """The ids of the questions the user has an open report on: one query per request.

    A results page includes the report form once per question; the answer is kept on the
    request so all of them share the one read.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(request, "_open_report_question_ids", None)
    if cached is None:
        cached = frozenset(
            QuestionReport.objects.filter(
                reporter=user, status=QuestionReport.Status.OPEN
            ).values_list("question_id", flat=True)
        )
        request._open_report_question_ids = cached
    return cached
