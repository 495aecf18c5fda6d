"""Key-correction notices for students and the link on the question page."""

from django import template

from ..services import regrade

register = template.Library()


@register.simple_tag
def attempt_regrades(attempt):
    """The regrades of `attempt` that changed its score (oldest first)."""
    return regrade.regrades_for_attempt(attempt=attempt)


@register.simple_tag
def question_key_changed(question) -> bool:
    """Whether an older answered version keys other options than the current one."""
    if question is None or not question.current_version_id:
        return False
    return regrade.question_has_key_change(question=question)
