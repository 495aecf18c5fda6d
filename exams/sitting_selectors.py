"""Reads for scheduled sittings (exams.services.sittings writes them), scoped to the user."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Cohort

from .models import Attempt, PreparedForm, Sitting


def sitting_list_for_cohort(*, cohort: Cohort) -> QuerySet[Sitting]:
    """The cohort's sittings, newest opening first, each with its member, prepared and started
    counts (one query whatever the cohort size)."""
    members = (
        Cohort.students.through.objects.filter(cohort_id=OuterRef("cohort_id"))
        .order_by()
        .values("cohort_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Sitting.objects.filter(cohort=cohort)
        .select_related("blueprint", "created_by")
        .annotate(
            member_count=Coalesce(Subquery(members, output_field=IntegerField()), Value(0)),
            prepared_count=Count("forms", distinct=True),
            started_count=Count("forms", filter=Q(forms__attempt__isnull=False), distinct=True),
        )
        .order_by("-opens_at", "-pk")
    )


def sitting_list_for_student(*, user, now=None) -> list[Sitting]:
    """The user's upcoming and open sittings (their cohorts', not cancelled, not closed, not
    already sat), soonest first, each with `attempt_id` and `attempt_state` of their form
    and `is_open` (it has opened)."""
    now = now or timezone.now()
    form = PreparedForm.objects.filter(sitting=OuterRef("pk"), user=user)
    sittings = (
        Sitting.objects.filter(
            Q(closes_at__isnull=True) | Q(closes_at__gt=now),
            cohort__students=user,
            cancelled_at__isnull=True,
        )
        .select_related("blueprint", "cohort")
        .annotate(
            attempt_id=Subquery(form.values("attempt_id")[:1]),
            attempt_state=Subquery(form.values("attempt__state")[:1]),
        )
        .order_by("opens_at", "pk")
    )
    listed = []
    for sitting in sittings:
        if sitting.attempt_state in (None, Attempt.State.IN_PROGRESS):
            sitting.is_open = sitting.opens_at <= now
            listed.append(sitting)
    return listed
