"""LTI records for the security tests' world (tests/security): a registered platform, a course
linked to the student's cohort (taught by "instructor") and a failed grade passback of the
student's finished attempt. Made on first use."""

from __future__ import annotations

from lti_tool.models import (
    LtiContext,
    LtiDeployment,
    LtiMembership,
    LtiRegistration,
    LtiResourceLink,
    LtiUser,
)

from lti.models import CourseCohort, GradePassback, LaunchedAttempt


def lti_registration(w) -> LtiRegistration:
    registration, _ = LtiRegistration.objects.get_or_create(
        issuer="https://lms.example.edu",
        client_id="matrix-client",
        defaults={
            "name": "Matrix LMS",
            "keyset_url": "https://lms.example.edu/jwks",
            "auth_url": "https://lms.example.edu/auth",
            "token_url": "https://lms.example.edu/token",
        },
    )
    return registration


def lti_course(w, *, memberships_url: str = "") -> LtiContext:
    registration = lti_registration(w)
    deployment, _ = LtiDeployment.objects.get_or_create(
        registration=registration, deployment_id="d-1", defaults={"is_active": True}
    )
    context, _ = LtiContext.objects.get_or_create(
        deployment=deployment,
        id_on_platform="matrix-course",
        defaults={"title": "Matrix course", "memberships_url": memberships_url},
    )
    CourseCohort.objects.get_or_create(context=context, defaults={"cohort": w.cohort})
    return context


def lti_passback(w, *, state: str = GradePassback.State.FAILED) -> GradePassback:
    context = lti_course(w)
    lti_user, _ = LtiUser.objects.get_or_create(
        registration=context.deployment.registration,
        sub="matrix-student",
        defaults={"auth_user": w.student},
    )
    link, _ = LtiResourceLink.objects.get_or_create(context=context, id_on_platform="rl-matrix")
    launched, _ = LaunchedAttempt.objects.get_or_create(
        attempt=w.finished_attempt,
        defaults={
            "lti_user": lti_user,
            "resource_link": link,
            "lineitem_url": "https://lms.example.edu/lineitems/1",
        },
    )
    passback, _ = GradePassback.objects.get_or_create(
        launched=launched, defaults={"state": state, "tries": 6}
    )
    return passback


def lti_departed(w):
    """A member who left the matrix course (an inactive membership, per a roster sync) and is
    still in its cohort: the other student. Returns that user."""
    context = lti_course(w)
    user = w.users["other_student"]
    lti_user, _ = LtiUser.objects.get_or_create(
        registration=context.deployment.registration,
        sub="matrix-left",
        defaults={"auth_user": user},
    )
    LtiMembership.objects.get_or_create(
        user=lti_user, context=context, defaults={"is_active": False, "is_learner": True}
    )
    w.cohort.students.add(user)
    return user


def roster_course(w):
    """A course of a real local platform (tests/lti/platform.py) with one member to sync; the
    platform's thread is a daemon (stopped with the test process). Returns the LtiContext."""
    from lti import services
    from tests.lti.platform import LocalPlatform

    platform = LocalPlatform().start()
    registration = services.platform_save(
        name="Roster LMS",
        issuer=platform.issuer,
        client_id=platform.client_id,
        deployment_ids=[platform.deployment_id],
        keyset_url=platform.keyset_url,
        auth_url=platform.auth_url,
        token_url=platform.token_url,
    )
    key, _ = services.keys_ensure()
    platform.register_tool(
        login_url="http://testserver/lti/login/",
        launch_url="http://testserver/lti/launch/",
        tool_public_key_pem=key.public_key,
    )
    platform.add_member(
        "roster-course", sub="r-1", name="Rita Roster", email="rita@example.edu", roles=["Learner"]
    )
    ctx = platform._context("roster-course")
    context = LtiContext.objects.create(
        deployment=registration.deployments.get(),
        id_on_platform="roster-course",
        title="Roster course",
        memberships_url=platform._memberships_url(ctx),
    )
    from accounts.models import Cohort

    cohort = Cohort.objects.create(name="Roster course cohort")
    cohort.instructors.add(w.instructor)
    CourseCohort.objects.create(context=context, cohort=cohort)
    return context
