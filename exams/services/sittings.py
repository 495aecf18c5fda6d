"""Scheduled sittings: an instructor schedules a blueprint for a cohort at a time, and each
member's form is drawn ahead (by a Celery task before it opens), so the start at 9:00 sharp
writes the attempt without reading the bank."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import Cohort
from core.errors import ApplicationError
from questions.models import Question

from ..models import Attempt, AttemptItem, Blueprint, PreparedForm, Sitting
from .assembly import BankTooSmall, DrawnItem, draw_form
from .attempts import attempt_start, seen_and_held


def prepare_lead() -> timedelta:
    """How long before a sitting opens its forms are drawn (setting SITTING_PREPARE_LEAD)."""
    return getattr(settings, "SITTING_PREPARE_LEAD", timedelta(minutes=15))


def local_time_text(moment: datetime, *, now: datetime | None = None) -> str:
    """A time as the site shows it, in the user's time zone (the active one): "09:00 UTC" on
    the same day, else "2026-03-02 09:00 UTC"."""
    local = timezone.localtime(moment)
    today = timezone.localtime(now or timezone.now()).date()
    text = (
        local.strftime("%H:%M %Z") if local.date() == today else local.strftime("%Y-%m-%d %H:%M %Z")
    )
    return text.strip()


def _check_can_manage(actor, cohort: Cohort) -> None:
    if actor.has_perm("accounts.view_all_cohorts"):
        return
    if (
        actor.has_perm("accounts.view_own_cohorts")
        and cohort.instructors.filter(pk=actor.pk).exists()
    ):
        return
    raise ApplicationError(
        "Only an instructor of this cohort or an admin can schedule its sittings.", status=403
    )


@transaction.atomic
def sitting_schedule(
    *,
    actor,
    cohort: Cohort,
    blueprint: Blueprint,
    opens_at: datetime,
    closes_at: datetime | None = None,
    now: datetime | None = None,
    dispatch: Callable[[int, datetime], object] | None = None,
) -> Sitting:
    """Schedule `blueprint` for `cohort` at `opens_at` (in the future, an active blueprint).

    `dispatch(sitting_id, opens_at)` queues the preparation after commit (the view passes
    `exams.tasks.queue_sitting_prepare`: tasks call services, so services do not import tasks);
    the beat sweep prepares it anyway if the broker is down.
    """
    _check_can_manage(actor, cohort)
    now = now or timezone.now()
    errors = {}
    if not blueprint.is_active:
        errors["blueprint"] = "This blueprint is not active; choose an active one."
    if opens_at <= now:
        errors["opens_at"] = "The opening time must be in the future."
    if closes_at is not None and closes_at <= opens_at:
        errors["closes_at"] = "The closing time must be after the opening time."
    if errors:
        raise ApplicationError(errors)
    sitting = Sitting(
        cohort=cohort,
        blueprint=blueprint,
        opens_at=opens_at,
        closes_at=closes_at,
        created_by=actor,
    )
    sitting.full_clean()
    sitting.save()
    if dispatch is not None:
        transaction.on_commit(lambda: dispatch(sitting.pk, sitting.opens_at))
    return sitting


@transaction.atomic
def sitting_cancel(*, actor, sitting_id: int, now: datetime | None = None) -> Sitting:
    """Cancel a sitting (idempotent): nobody can start it any more; started attempts go on."""
    sitting = (
        Sitting.objects.select_for_update().select_related("cohort").filter(pk=sitting_id).first()
    )
    if sitting is None:
        raise ApplicationError("No such sitting.", status=404)
    _check_can_manage(actor, sitting.cohort)
    if sitting.cancelled_at is None:
        sitting.cancelled_at = now or timezone.now()
        sitting.full_clean()
        sitting.save(update_fields=["cancelled_at"])
    return sitting


def _by_user(rows) -> dict[int, set[int]]:
    grouped: dict[int, set[int]] = defaultdict(set)
    for user_id, question_id in rows:
        grouped[user_id].add(question_id)
    return grouped


@transaction.atomic
def sitting_prepare(
    *, sitting_id: int, now: datetime | None = None, rng: random.Random | None = None
) -> int:
    """Draw a form for every cohort member who has none yet; return how many were drawn.

    Idempotent: the sitting row is locked, so two runs (the task and the beat sweep) take
    turns and the second finds every form drawn; a member added later gets a form from the
    next run (or a form drawn at start, as without a sitting). Each form is drawn by the
    assembler as a start would: unseen questions first, no two enemies, none of the questions
    of the member's attempts in progress. A member the bank cannot fill is skipped (the start
    tries again and says why).
    """
    now = now or timezone.now()
    rng = rng or random.SystemRandom()
    sitting = (
        Sitting.objects.select_for_update(of=("self",))
        .select_related("blueprint")
        .filter(pk=sitting_id)
        .first()
    )
    if sitting is None or sitting.cancelled_at is not None or not sitting.blueprint.is_active:
        return 0
    if sitting.closes_at is not None and sitting.closes_at <= now:
        return 0
    blueprint = sitting.blueprint
    members = list(
        Cohort.students.through.objects.filter(cohort_id=sitting.cohort_id)
        .exclude(user_id__in=PreparedForm.objects.filter(sitting=sitting).values("user_id"))
        .values_list("user_id", flat=True)
    )
    if not members:
        return 0
    seen = _by_user(
        AttemptItem.objects.filter(attempt__user_id__in=members).values_list(
            "attempt__user_id", "question_id"
        )
    )
    open_items = AttemptItem.objects.filter(
        attempt__user_id__in=members, attempt__state=Attempt.State.IN_PROGRESS
    )
    if blueprint.mode != Blueprint.Mode.EXAM:
        open_items = open_items.filter(attempt__mode=Blueprint.Mode.EXAM)
    held = _by_user(open_items.values_list("attempt__user_id", "question_id"))
    forms = []
    for user_id in members:
        try:
            drawn = draw_form(
                blueprint=blueprint,
                seen_question_ids=seen.get(user_id, set()),
                rng=rng,
                excluded_question_ids=held.get(user_id, set()),
            )
        except BankTooSmall:
            continue
        forms.append(
            PreparedForm(
                sitting=sitting,
                user_id=user_id,
                items=[asdict(d) for d in drawn],
                prepared_at=now,
            )
        )
    # A start that drew a late member's form meanwhile wins; this run skips that member.
    PreparedForm.objects.bulk_create(forms, ignore_conflicts=True)
    return len(forms)


def sittings_prepare_due(*, now: datetime | None = None) -> int:
    """Prepare every scheduled sitting that opens within the lead time (the beat sweep).

    Not one transaction: each sitting is prepared in its own (`sitting_prepare`), so one
    that fails does not hold back the others. Sittings that opened more than the lead time
    ago are left alone (members who join later draw at start).
    """
    now = now or timezone.now()
    lead = prepare_lead()
    due = Sitting.objects.filter(
        Q(closes_at__isnull=True) | Q(closes_at__gt=now),
        cancelled_at__isnull=True,
        opens_at__lte=now + lead,
        opens_at__gt=now - lead,
        blueprint__is_active=True,
    ).values_list("pk", flat=True)
    return sum(sitting_prepare(sitting_id=pk, now=now) for pk in list(due))


def _prepared_still_fits(items: list[DrawnItem], *, user, blueprint: Blueprint) -> bool:
    """True when every prepared question is still published at the prepared version and none
    is in the user's attempts in progress (one query by primary key, no bank read)."""
    open_items = AttemptItem.objects.filter(
        attempt__user=user, attempt__state=Attempt.State.IN_PROGRESS, question_id=OuterRef("pk")
    )
    if blueprint.mode != Blueprint.Mode.EXAM:
        open_items = open_items.filter(attempt__mode=Blueprint.Mode.EXAM)
    current = {
        pk: version_id
        for pk, version_id, held in Question.objects.published()
        .filter(pk__in=[d.question_id for d in items])
        .annotate(held=Exists(open_items))
        .order_by()
        .values_list("pk", "current_version_id", "held")
        if not held
    }
    return all(current.get(d.question_id) == d.version_id for d in items)


def _member(user, cohort_field: str) -> Exists:
    """True when `user` is a student of the cohort named by `cohort_field` (an outer column)."""
    return Exists(
        Cohort.students.through.objects.filter(cohort_id=OuterRef(cohort_field), user_id=user.pk)
    )


@transaction.atomic
def sitting_start(
    *,
    user,
    sitting_id: int,
    ip: str | None = None,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> Attempt:
    """Start (or resume) the user's attempt of a sitting, with the form drawn ahead.

    Refused before it opens, after it closes, when cancelled and for anyone outside the
    cohort. The prepared form is used when every question is still published at its
    version (and none is in the user's other attempts in progress); otherwise, or for a
    member who joined after preparation, a form is drawn now as for any start.
    """
    now = now or timezone.now()
    # One query when the form was drawn ahead: the form, its sitting, blueprint and attempt.
    prepared = (
        PreparedForm.objects.select_related("sitting__blueprint", "attempt")
        .annotate(is_member=_member(user, "sitting__cohort_id"))
        .filter(sitting_id=sitting_id, user=user)
        .order_by()
        .first()
    )
    if prepared is not None:
        sitting = prepared.sitting
        sitting.is_member = prepared.is_member
    else:
        sitting = (
            Sitting.objects.select_related("blueprint")
            .annotate(is_member=_member(user, "cohort_id"))
            .filter(pk=sitting_id)
            .order_by()
            .first()
        )
    if sitting is None:
        raise Sitting.DoesNotExist(f"No sitting {sitting_id}.")
    if not sitting.is_member:
        raise ApplicationError(
            "This sitting is not for you: you are not in its cohort.", status=403
        )
    if sitting.cancelled_at is not None:
        raise ApplicationError("This sitting was cancelled.")
    blueprint = sitting.blueprint
    if prepared is not None and prepared.attempt is not None:
        if prepared.attempt.state != Attempt.State.IN_PROGRESS:
            raise ApplicationError("You have already sat this sitting.")
        # Resume (attempt_start logs it as every resume).
        return attempt_start(user=user, blueprint=blueprint, ip=ip, now=now)
    if now < sitting.opens_at:
        raise ApplicationError(
            f"This sitting opens at {local_time_text(sitting.opens_at, now=now)}."
        )
    if sitting.closes_at is not None and now >= sitting.closes_at:
        raise ApplicationError(
            f"This sitting closed at {local_time_text(sitting.closes_at, now=now)}."
        )
    drawn = [DrawnItem(**d) for d in prepared.items] if prepared is not None else None
    if drawn is not None and not _prepared_still_fits(drawn, user=user, blueprint=blueprint):
        drawn = None
    fresh = drawn is None
    if fresh:
        # A late member, or the bank changed since preparation: draw now, as any start does.
        rng = rng or random.SystemRandom()
        seen, held = seen_and_held(user=user, mode=blueprint.mode)
        drawn = draw_form(
            blueprint=blueprint, seen_question_ids=seen, rng=rng, excluded_question_ids=held
        )
    attempt = attempt_start(user=user, blueprint=blueprint, ip=ip, now=now, rng=rng, drawn=drawn)
    if attempt.started_at != now:
        # An attempt of this blueprint was already in progress (started outside the sitting,
        # or by a second tab a moment ago): it is resumed and the form stays as it is.
        return attempt
    if prepared is None:
        PreparedForm.objects.bulk_create(
            [
                PreparedForm(
                    sitting=sitting,
                    user=user,
                    items=[asdict(d) for d in drawn],
                    prepared_at=now,
                    attempt=attempt,
                )
            ],
            ignore_conflicts=True,
        )
    else:
        changes = {"attempt": attempt}
        if fresh:
            changes.update(items=[asdict(d) for d in drawn], prepared_at=now)
        PreparedForm.objects.filter(pk=prepared.pk, attempt__isnull=True).update(**changes)
    return attempt
