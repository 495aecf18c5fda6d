"""Writes of the LTI tool: platforms, the tool's key, launches, grade passback, roster sync."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from lti_tool.lti_core.constants import ContextRole
from lti_tool.lti_core.utils import normalize_role
from lti_tool.models import (
    Key,
    LtiContext,
    LtiDeployment,
    LtiMembership,
    LtiRegistration,
    LtiUser,
)

from accounts.models import Cohort
from accounts.roles import Role
from accounts.selectors import user_roles
from core.errors import ApplicationError
from exams.models import Attempt, Blueprint

from .http import platform_session
from .models import CourseCohort, GradePassback, LaunchedAttempt, LtiEvent

logger = logging.getLogger(__name__)

AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE_MAXIMUM = 1000


def event_log(*, kind, actor=None, registration=None, attempt_id=None, detail=None) -> LtiEvent:
    """Append one audit event."""
    return LtiEvent.objects.create(
        kind=kind,
        actor=actor,
        registration=registration,
        attempt_id=attempt_id,
        detail=detail or {},
    )


# --- The tool's key pair -------------------------------------------------------------------


@transaction.atomic
def keys_ensure(*, actor=None) -> tuple[Key, bool]:
    """Return the tool's active key pair, creating it once (RSA 2048). (key, created)."""
    key = Key.objects.active().order_by("-datetime_created").first()
    if key is not None:
        return key, False
    key = Key.objects.generate()
    event_log(kind=LtiEvent.Kind.KEY_CREATED, actor=actor, detail={"kid": str(key)})
    return key, True


# --- Platforms -----------------------------------------------------------------------------


@transaction.atomic
def platform_save(
    *,
    registration: LtiRegistration | None = None,
    name: str,
    issuer: str,
    client_id: str,
    deployment_ids: list[str],
    keyset_url: str,
    auth_url: str,
    token_url: str,
    audience: str = "",
    actor=None,
) -> LtiRegistration:
    """Register a platform or edit one; its deployments become exactly `deployment_ids`.

    Deployments no longer listed are deactivated (their courses and grades stay).
    """
    created = registration is None
    registration = registration or LtiRegistration()
    clash = LtiRegistration.objects.filter(issuer=issuer, client_id=client_id)
    if registration.pk:
        clash = clash.exclude(pk=registration.pk)
    if clash.exists():
        raise ApplicationError(
            {"client_id": "A platform with this issuer and client id is already registered."}
        )
    if not deployment_ids:
        raise ApplicationError({"deployment_ids": "Give at least one deployment id."})
    registration.name = name
    registration.issuer = issuer
    registration.client_id = client_id
    registration.keyset_url = keyset_url
    registration.auth_url = auth_url
    registration.token_url = token_url
    registration.audience = audience
    registration.full_clean()
    registration.save()
    for deployment_id in deployment_ids:
        LtiDeployment.objects.update_or_create(
            registration=registration,
            deployment_id=deployment_id,
            defaults={"is_active": True},
        )
    registration.deployments.exclude(deployment_id__in=deployment_ids).update(is_active=False)
    keys_ensure(actor=actor)
    event_log(
        kind=LtiEvent.Kind.PLATFORM_CREATED if created else LtiEvent.Kind.PLATFORM_UPDATED,
        actor=actor,
        registration=registration,
        detail={
            "name": name,
            "issuer": issuer,
            "client_id": client_id,
            "deployment_ids": deployment_ids,
        },
    )
    return registration


@transaction.atomic
def platform_set_active(*, registration: LtiRegistration, active: bool, actor=None):
    """Deactivate (launches refused, nothing deleted) or reactivate a platform."""
    registration.is_active = active
    registration.save(update_fields=["is_active", "datetime_modified"])
    event_log(
        kind=LtiEvent.Kind.PLATFORM_ACTIVATED if active else LtiEvent.Kind.PLATFORM_DEACTIVATED,
        actor=actor,
        registration=registration,
        detail={"name": registration.name},
    )
    return registration


# --- Launches: users, roles, cohorts -------------------------------------------------------

TEACHING_ROLES = {ContextRole.INSTRUCTOR, ContextRole.CONTENT_DEVELOPER, ContextRole.ADMINISTRATOR}


def teaches(roles: list[str] | None) -> bool:
    """True when the LTI roles (context roles, full URIs or short names) make an instructor.

    Institution and system roles (`.../institution/person#Administrator`) are not context
    roles: normalize_role keeps them as they are, so they never match here.
    """
    return any(normalize_role(role) in TEACHING_ROLES for role in roles or [])


def _unique_username(base: str) -> str:
    User = get_user_model()
    base = (slugify(base).replace("-", ".") or "lti.user")[:120]
    candidate = base
    while User.objects.filter(username__iexact=candidate).exists():
        candidate = f"{base}.{secrets.token_hex(3)}"
    return candidate


def _email_free(email: str, *, exclude_pk=None) -> bool:
    if not email:
        return False
    others = get_user_model().objects.filter(email__iexact=email)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return not others.exists()


def user_for_lti_user(*, lti_user: LtiUser, instructor: bool):
    """Return the site user linked to `lti_user`, creating it on first sight.

    A new user gets a unique username, name and e-mail from the claims (the e-mail only when
    no other account uses it: an LMS's claim never takes over an existing account) and an
    unusable password. The role only ever rises from Student to Instructor; Admin is never
    granted (nor taken away) by a launch.
    """
    User = get_user_model()
    user = lti_user.auth_user
    email = (lti_user.email or "").strip()
    if user is None:
        given = lti_user.given_name or ""
        family = lti_user.family_name or ""
        if not (given or family) and lti_user.name:
            given, _, family = lti_user.name.partition(" ")
        stem = email.split("@")[0] if email else (lti_user.name or f"lti {lti_user.sub}")
        user = User(
            username=_unique_username(stem),
            first_name=given[:150],
            last_name=family[:150],
            email=email if _email_free(email) else "",
        )
        user.set_unusable_password()
        user.full_clean()
        user.save()
        lti_user.auth_user = user
        lti_user.save(update_fields=["auth_user", "datetime_modified"])
    elif email and not user.email and _email_free(email, exclude_pk=user.pk):
        user.email = email
        user.save(update_fields=["email"])
    roles = user_roles(user)
    wanted = Role.INSTRUCTOR if instructor else Role.STUDENT
    if not roles:
        user.groups.add(Group.objects.get(name=wanted.value))
    elif wanted == Role.INSTRUCTOR and roles == {Role.STUDENT.value}:
        user.groups.remove(Group.objects.get(name=Role.STUDENT.value))
        user.groups.add(Group.objects.get(name=Role.INSTRUCTOR.value))
    user._role_names = None
    for cache in ("_perm_cache", "_group_perm_cache", "_user_perm_cache"):
        if hasattr(user, cache):
            delattr(user, cache)
    return user


def _cohort_name(context: LtiContext) -> str:
    registration = context.deployment.registration
    title = context.title or context.label or context.id_on_platform or "LMS course"
    name = f"{title} ({registration.name})"[:110]
    candidate, n = name, 2
    while Cohort.objects.filter(name=candidate).exists():
        candidate = f"{name} #{n}"
        n += 1
    return candidate


def cohort_for_context(*, context: LtiContext) -> Cohort:
    """Return the cohort mirroring this course, creating it (and the link) on first sight."""
    link = CourseCohort.objects.select_related("cohort").filter(context=context).first()
    if link is not None:
        return link.cohort
    cohort = Cohort(name=_cohort_name(context))
    cohort.full_clean()
    cohort.save()
    CourseCohort.objects.create(context=context, cohort=cohort)
    return cohort


def cohort_join(*, cohort: Cohort, user, instructor: bool) -> bool:
    """Put `user` in `cohort` as instructor or student; True when it changed anything."""
    if instructor:
        if cohort.instructors.filter(pk=user.pk).exists():
            return False
        cohort.instructors.add(user)
        return True
    if cohort.students.filter(pk=user.pk).exists():
        return False
    cohort.students.add(user)
    return True


@dataclass
class LaunchResult:
    user: object
    instructor: bool
    context: LtiContext | None
    cohort: Cohort | None
    attempt: Attempt | None = None
    blueprint: Blueprint | None = None
    problem: str = ""


def blueprint_from_custom(value) -> Blueprint | None:
    """The blueprint a deep-linked resource names in its custom `blueprint` (slug or id)."""
    if value is None:
        return None
    value = str(value).strip()
    blueprints = Blueprint.objects.active().exclude(mode=Blueprint.Mode.CUSTOM)
    if value.isdigit():
        found = blueprints.filter(pk=int(value)).first()
        if found:
            return found
    return blueprints.filter(slug=value).first()


@transaction.atomic
def launch_accept(*, lti_launch, ip: str | None = None) -> LaunchResult:
    """Turn a validated launch into our records: user, role, cohort and, for a learner on a
    deep-linked exam, the attempt (started or resumed) with where its grade goes.

    `lti_launch` is django-lti's `LtiLaunch` after `sync_data_from_launch`.
    """
    from exams.services import attempt_start

    lti_user = lti_launch.user
    roles = lti_launch.roles_claim or []
    instructor = teaches(roles)
    user = user_for_lti_user(lti_user=lti_user, instructor=instructor)
    context = cohort = None
    if lti_launch.context_claim:
        context = lti_launch.context
        cohort = cohort_for_context(context=context)
        cohort_join(cohort=cohort, user=user, instructor=instructor)
    result = LaunchResult(user=user, instructor=instructor, context=context, cohort=cohort)
    if not lti_launch.is_resource_launch:
        return result
    blueprint = blueprint_from_custom(lti_launch.get_custom_claim("blueprint"))
    result.blueprint = blueprint
    if blueprint is None:
        if lti_launch.get_custom_claim("blueprint") is not None:
            result.problem = "The exam this link points to is not available any more."
        return result
    if instructor:
        return result
    try:
        with transaction.atomic():
            attempt = attempt_start(user=user, blueprint=blueprint, ip=ip)
    except ApplicationError as exc:
        result.problem = exc.message_text
        return result
    except IntegrityError:
        result.problem = "This exam could not be started; open the link again."
        return result
    ags = lti_launch.get_claim(AGS_CLAIM) or {}
    resource_link = None
    if lti_launch.resource_link_claim:
        resource_link = lti_launch.resource_link
    launched, created = LaunchedAttempt.objects.get_or_create(
        attempt=attempt,
        defaults={
            "lti_user": lti_user,
            "resource_link": resource_link,
            "lineitem_url": (ags.get("lineitem") or "")[:500],
            "lineitems_url": (ags.get("lineitems") or "")[:500],
        },
    )
    if not created and not launched.lineitem_url and ags.get("lineitem"):
        launched.lineitem_url = ags["lineitem"][:500]
        launched.save(update_fields=["lineitem_url"])
    result.attempt = attempt
    return result


# --- Grade passback ------------------------------------------------------------------------


def grade_for(attempt: Attempt) -> tuple[int, str]:
    """The score of 1000 and the comment sent to the platform for a finished attempt.

    Every finished attempt has a scaled score (100–1000): full mocks are scaled from the raw
    cut (720 = the cut), and practice sets, drills and quizzes get the same scale from their
    percent correct (their blueprint's cut percent maps to its passing score). The LMS column
    is "of 1000" either way; the comment says which it is.
    """
    scaled = int(attempt.scaled_score or 0)
    needed = int(attempt.passing_score)
    verdict = "Passed" if attempt.passed else "Not passed"
    if attempt.mode == Blueprint.Mode.EXAM:
        comment = f"{verdict} (scaled {scaled} of 1000; {needed} needed)"
    else:
        percent = attempt.percent if attempt.percent is not None else 0
        comment = (
            f"{verdict} (practice: {percent:.0f}% correct, scaled {scaled} of 1000; "
            f"{needed} needed)"
        )
    return scaled, comment


def passback_queue_for_attempt(
    *, attempt_id: int, dispatch: Callable[[int], None]
) -> GradePassback | None:
    """Called on `attempt_finished`: make the passback record and send it after commit.

    Most attempts were not launched from an LMS: for them this is one indexed read, with no
    transaction around it (BEGIN and COMMIT would triple the statements every submit pays).
    """
    launched = LaunchedAttempt.objects.filter(attempt_id=attempt_id).first()
    if launched is None:
        return None
    return _passback_queue(launched=launched, dispatch=dispatch)


@transaction.atomic
def _passback_queue(*, launched: LaunchedAttempt, dispatch: Callable[[int], None]) -> GradePassback:
    passback, _ = GradePassback.objects.get_or_create(launched=launched)
    if passback.state == GradePassback.State.SENT:
        # A regrade or a second finish: send again (the platform keeps the latest score).
        passback.state = GradePassback.State.PENDING
        passback.save(update_fields=["state", "updated_at"])
    _dispatch_on_commit(passback.pk, dispatch)
    return passback


def _dispatch_on_commit(passback_id: int, dispatch: Callable[[int], None]) -> None:
    # The caller hands the task's dispatch (lti.tasks.dispatch_passback): tasks call services,
    # never the reverse.
    def send():
        try:
            dispatch(passback_id)
        except Exception:  # the broker is down: the page's Resend and the log remain
            logger.exception("Could not queue grade passback %s", passback_id)

    transaction.on_commit(send)


@transaction.atomic
def passback_resend(
    *, passback: GradePassback, dispatch: Callable[[int], None], actor=None
) -> GradePassback:
    """Queue a passback again (after a final failure, or to refresh the LMS's copy)."""
    passback.state = GradePassback.State.PENDING
    passback.save(update_fields=["state", "updated_at"])
    event_log(
        kind=LtiEvent.Kind.GRADE_RESEND,
        actor=actor,
        registration=passback.launched.lti_user.registration,
        attempt_id=passback.launched.attempt_id,
    )
    _dispatch_on_commit(passback.pk, dispatch)
    return passback


class PassbackRetry(Exception):
    """A network error or a 5xx from the platform: the task tries again later."""


def passback_send(*, passback_id: int, final: bool = False) -> GradePassback:
    """POST the attempt's score to the platform's line item (AGS). Idempotent per attempt.

    Raises PassbackRetry on a network error or a 5xx (unless `final`, when the record is
    marked failed); a 4xx or a missing line item fails at once. Audited on success and on
    final failure.
    """
    import requests
    from pylti1p3.assignments_grades import AssignmentsGradesService
    from pylti1p3.exception import LtiException, LtiServiceException
    from pylti1p3.grade import Grade
    from pylti1p3.lineitem import LineItem
    from pylti1p3.service_connector import ServiceConnector

    passback = (
        GradePassback.objects.select_related(
            "launched__attempt",
            "launched__lti_user__registration",
            "launched__resource_link__context",
        )
        .filter(pk=passback_id)
        .first()
    )
    if passback is None or passback.state == GradePassback.State.SENT:
        return passback
    launched = passback.launched
    attempt = launched.attempt
    registration = launched.lti_user.registration
    score, comment = grade_for(attempt)
    passback.score_given = score
    passback.score_maximum = SCORE_MAXIMUM
    passback.comment = comment
    passback.tries += 1

    def fail(message: str, status: int | None = None, body: str = "") -> GradePassback:
        passback.state = GradePassback.State.FAILED
        passback.error = message[:2000]
        passback.response_status = status
        passback.response_body = body[:4000]
        passback.save()
        event_log(
            kind=LtiEvent.Kind.GRADE_FAILED,
            registration=registration,
            attempt_id=attempt.pk,
            detail={"error": message[:500], "status": status, "tries": passback.tries},
        )
        return passback

    if attempt.state == Attempt.State.IN_PROGRESS:
        return fail("The attempt is not finished.")
    if not registration.is_active:
        return fail("The platform is deactivated.")
    # Ask only for the scopes the platform granted in its launches (django-lti keeps them on
    # the course); a token request for more may be refused.
    scopes = ["https://purl.imsglobal.org/spec/lti-ags/scope/score"]
    context = launched.resource_link.context if launched.resource_link else None
    if context is None or context.can_manage_lineitems:
        scopes.append("https://purl.imsglobal.org/spec/lti-ags/scope/lineitem")
    elif context.can_query_lineitems:
        scopes.append("https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly")
    service_data = {"scope": scopes, "lineitems": launched.lineitems_url}
    if launched.lineitem_url:
        service_data["lineitem"] = launched.lineitem_url
    grade = (
        Grade()
        .set_score_given(score)
        .set_score_maximum(SCORE_MAXIMUM)
        .set_comment(comment)
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
        .set_user_id(launched.lti_user.sub)
        .set_timestamp((attempt.finished_at or timezone.now()).isoformat())
    )
    try:
        connector = ServiceConnector(registration.to_registration(), platform_session())
        ags = AssignmentsGradesService(connector, service_data)
        lineitem = None
        if not launched.lineitem_url:
            if not launched.lineitems_url:
                return fail("The launch gave no grade column (line item) to send to.")
            link_id = launched.resource_link.id_on_platform if launched.resource_link else None
            wanted = (
                LineItem()
                .set_label(attempt.blueprint.title[:255])
                .set_score_maximum(SCORE_MAXIMUM)
                .set_resource_id(attempt.blueprint.slug)
                .set_tag("dva-mock")
            )
            if link_id:
                wanted.set_resource_link_id(link_id)
            # One column per resource link (or per blueprint for a launch without a link).
            lineitem = ags.find_or_create_lineitem(
                wanted, find_by="resource_link_id" if link_id else "resource_id"
            )
            if lineitem.get_id():
                launched.lineitem_url = lineitem.get_id()[:500]
                launched.save(update_fields=["lineitem_url"])
        answer = ags.put_grade(grade, lineitem)
    except LtiServiceException as exc:
        status = exc.response.status_code
        body = exc.response.text or ""
        if status >= 500 and not final:
            passback.response_status = status
            passback.response_body = body[:4000]
            passback.error = f"The platform answered {status}; retrying."
            passback.save()
            raise PassbackRetry(str(exc)) from exc
        return fail(f"The platform answered {status}.", status, body)
    except requests.RequestException as exc:
        if not final:
            passback.error = f"Network error: {exc}; retrying."[:2000]
            passback.save()
            raise PassbackRetry(str(exc)) from exc
        return fail(f"Network error: {exc}")
    except (LtiException, Key.DoesNotExist, ValueError, KeyError) as exc:
        return fail(f"Could not send: {exc}")
    passback.state = GradePassback.State.SENT
    passback.response_status = 200
    passback.response_body = str(answer.get("body") or "")[:4000]
    passback.error = ""
    passback.sent_at = timezone.now()
    passback.save()
    event_log(
        kind=LtiEvent.Kind.GRADE_SENT,
        registration=registration,
        attempt_id=attempt.pk,
        detail={"score_given": score, "score_maximum": SCORE_MAXIMUM, "comment": comment},
    )
    return passback


# --- Roster sync (NRPS) --------------------------------------------------------------------


@dataclass
class RosterChange:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    gone: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "gone": self.gone,
        }


def _display(user) -> str:
    return f"{user.get_full_name() or user.username} ({user.username})"


@transaction.atomic
def roster_remove_departed(*, context: LtiContext, actor=None) -> list[str]:
    """Take the people who left the course (per the last roster sync) out of its cohort.

    Their accounts, attempts and results stay; a later sync or launch puts them back if they
    return. Returns who was removed (nobody, when the cohort no longer holds them).
    """
    cohort = cohort_for_context(context=context)
    departed = list(
        get_user_model()
        .objects.filter(
            lti_users__memberships__context=context, lti_users__memberships__is_active=False
        )
        .distinct()
    )
    in_cohort = [
        u
        for u in departed
        if cohort.students.filter(pk=u.pk).exists() or cohort.instructors.filter(pk=u.pk).exists()
    ]
    if in_cohort:
        cohort.students.remove(*in_cohort)
        cohort.instructors.remove(*in_cohort)
    removed = [_display(u) for u in in_cohort]
    link = CourseCohort.objects.select_for_update().get(context=context)
    link.last_sync = {**(link.last_sync or {}), "removed": removed}
    link.save(update_fields=["last_sync"])
    if removed:
        event_log(
            kind=LtiEvent.Kind.ROSTER_PRUNED,
            actor=actor,
            registration=context.deployment.registration,
            detail={"context": context.id_on_platform, "cohort": cohort.name, "removed": removed},
        )
    return removed


def roster_sync(*, context: LtiContext, actor=None, members: list[dict] | None = None):
    """Fetch the course's members (NRPS) and mirror them into its cohort.

    New members get accounts and join as student or instructor; members missing from the roster
    are reported and their memberships marked inactive (never deleted, and they stay in the
    cohort: a cohort has no "inactive member" state, so an instructor removes them by hand).
    """
    import requests
    from pylti1p3.exception import LtiException
    from pylti1p3.names_roles import NamesRolesProvisioningService
    from pylti1p3.service_connector import ServiceConnector

    if not context.memberships_url:
        raise ApplicationError(
            "This course's platform did not offer the roster service (NRPS) in its launches."
        )
    if members is None:
        try:
            connector = ServiceConnector(
                context.deployment.registration.to_registration(), platform_session()
            )
            nrps = NamesRolesProvisioningService(
                connector, {"context_memberships_url": context.memberships_url}
            )
            members = list(nrps.get_members())
        except (
            LtiException,
            requests.RequestException,
            Key.DoesNotExist,
            ValueError,
            KeyError,
        ) as exc:
            raise ApplicationError(f"The platform refused the roster request: {exc}") from exc
    return _roster_apply(context=context, actor=actor, members=members)


@transaction.atomic
def _roster_apply(*, context: LtiContext, actor, members: list[dict]) -> RosterChange:
    registration = context.deployment.registration
    cohort = cohort_for_context(context=context)
    change = RosterChange()
    seen: set[int] = set()
    for member in members:
        sub = str(member.get("user_id") or "").strip()
        if not sub:
            continue
        status = str(member.get("status", "Active"))
        roles = member.get("roles") or []
        instructor = teaches(roles)
        defaults = {
            k: v
            for k, v in {
                "given_name": member.get("given_name"),
                "family_name": member.get("family_name"),
                "name": member.get("name"),
                "email": member.get("email"),
            }.items()
            if v
        }
        lti_user, _ = LtiUser.objects.update_or_create(
            registration=registration, sub=sub, defaults=defaults
        )
        is_new = lti_user.auth_user_id is None
        if status.lower() != "active":
            continue
        user = user_for_lti_user(lti_user=lti_user, instructor=instructor)
        normalized = {normalize_role(r) for r in roles}
        membership, _ = LtiMembership.objects.update_or_create(
            user=lti_user,
            context=context,
            defaults={
                "is_active": True,
                "is_administrator": ContextRole.ADMINISTRATOR in normalized,
                "is_content_developer": ContextRole.CONTENT_DEVELOPER in normalized,
                "is_instructor": ContextRole.INSTRUCTOR in normalized,
                "is_learner": ContextRole.LEARNER in normalized,
                "is_mentor": ContextRole.MENTOR in normalized,
            },
        )
        seen.add(membership.pk)
        joined = cohort_join(cohort=cohort, user=user, instructor=instructor)
        label = f"{_display(user)} as {'instructor' if instructor else 'student'}"
        if is_new:
            change.added.append(label)
        elif joined:
            change.updated.append(label)
        else:
            change.unchanged += 1
    gone = (
        LtiMembership.objects.filter(context=context, is_active=True)
        .exclude(pk__in=seen)
        .select_related("user__auth_user")
    )
    for membership in gone:
        who = membership.user.auth_user
        change.gone.append(_display(who) if who else (membership.user.name or membership.user.sub))
    gone.update(is_active=False)
    link = CourseCohort.objects.get(context=context)
    link.last_synced_at = timezone.now()
    link.last_sync = change.as_dict()
    link.save(update_fields=["last_synced_at", "last_sync"])
    event_log(
        kind=LtiEvent.Kind.ROSTER_SYNCED,
        actor=actor,
        registration=registration,
        detail={"context": context.id_on_platform, **change.as_dict()},
    )
    return change
