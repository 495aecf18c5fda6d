"""Reads of the LTI tool, scoped to the user."""

from django.db.models import QuerySet
from lti_tool.models import Key, LtiContext, LtiRegistration

from exams.models import Blueprint

from .models import GradePassback, LtiEvent


def platform_list() -> QuerySet[LtiRegistration]:
    return LtiRegistration.objects.order_by("-is_active", "name").prefetch_related("deployments")


def tool_key() -> Key | None:
    return Key.objects.active().order_by("-datetime_created").first()


def blueprints_assignable(*, user) -> QuerySet[Blueprint]:
    """What an instructor may place in a course: the active exam, practice and drill blueprints
    (students' own quiz blueprints are hidden), as the Exams page lists them."""
    if not user.has_perm("exams.manage_blueprint"):
        return Blueprint.objects.none()
    return (
        Blueprint.objects.active()
        .exclude(mode=Blueprint.Mode.CUSTOM)
        .select_related("guide")
        .order_by("position", "title")
    )


def context_list_for_user(*, user) -> QuerySet[LtiContext]:
    """LMS courses this user may manage: every one for admins, those whose cohort they teach
    for instructors."""
    contexts = LtiContext.objects.select_related(
        "deployment__registration", "cohort_link__cohort"
    ).filter(cohort_link__isnull=False)
    if user.has_perm("accounts.view_all_cohorts"):
        return contexts.order_by("title")
    if user.has_perm("accounts.view_own_cohorts"):
        return contexts.filter(cohort_link__cohort__instructors=user).order_by("title")
    return contexts.none()


def context_get_for_user(*, user, context_id: int) -> LtiContext:
    """One visible course or LtiContext.DoesNotExist (a 404 for others' courses)."""
    return context_list_for_user(user=user).get(pk=context_id)


def passbacks_for_context(*, context: LtiContext) -> QuerySet[GradePassback]:
    return (
        GradePassback.objects.filter(launched__resource_link__context=context)
        .select_related(
            "launched__attempt__user", "launched__attempt__blueprint", "launched__lti_user"
        )
        .order_by("-updated_at")
    )


def passback_get_for_user(*, user, passback_id: int) -> GradePassback:
    """A passback of a course the user manages, or GradePassback.DoesNotExist."""
    contexts = context_list_for_user(user=user)
    return GradePassback.objects.select_related("launched__resource_link").get(
        pk=passback_id, launched__resource_link__context__in=contexts
    )


def event_list(*, limit: int = 50) -> list[LtiEvent]:
    return list(LtiEvent.objects.select_related("actor", "registration")[:limit])
