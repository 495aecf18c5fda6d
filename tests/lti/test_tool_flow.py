"""The LTI tool against a real LTI 1.3 platform (lti1p3platform on 127.0.0.1):
registration, OIDC login and launch, deep linking, grade passback (AGS) and roster sync (NRPS).

The tool runs under django.test.Client (the platform was given its public key); it fetches the
platform's keyset and calls its token, AGS and NRPS endpoints over real HTTP.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import jwt
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from lti_tool.models import LtiContext, LtiUser

from accounts.models import Cohort
from accounts.selectors import user_roles
from exams.models import Attempt
from exams.services import attempt_submit, attempts_expire_overdue
from lti import services
from lti.models import CourseCohort, GradePassback, LaunchedAttempt, LtiEvent
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank
from tests.lti.flow import (
    LAUNCH,
    answer_all,
    instructor_launch,
    learner_launch,
    open_picker,
    picker_launch_id,
    place_exam,
    placed_then_launched,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank(db):
    make_bank(per_domain=4)
    return short_blueprint(slug="lti-mock", title="LTI mock", question_count=5)


def test_learner_launch_creates_user_student_role_cohort_and_logs_in(lti_platform, tool, client):
    response = learner_launch(lti_platform, client)
    assert response.status_code == 302
    assert response["Location"] == "/"
    lti_user = LtiUser.objects.get(sub="learner-1")
    user = lti_user.auth_user
    assert user.first_name == "Lena" and user.last_name == "Learner"
    assert user.email == "lena@example.edu"
    assert not user.has_usable_password()
    assert user_roles(user) == {"Student"}
    link = CourseCohort.objects.get(context__id_on_platform="course-1")
    assert link.cohort.name == "AWS Developer course (Harness LMS)"
    assert list(link.cohort.students.all()) == [user]
    assert client.get("/").wsgi_request.user == user
    # The second launch links the same account (no duplicate user, cohort or membership).
    client.logout()
    assert learner_launch(lti_platform, client).status_code == 302
    assert LtiUser.objects.get(sub="learner-1").auth_user == user
    assert Cohort.objects.filter(lti_link__isnull=False).count() == 1


def test_instructor_launch_grants_instructor_never_admin(lti_platform, tool, client):
    response = instructor_launch(
        lti_platform,
        client,
        roles=[
            "Instructor",
            "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
            "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
        ],
    )
    assert response.status_code == 302
    user = LtiUser.objects.get(sub="teacher-1").auth_user
    assert user_roles(user) == {"Instructor"}
    assert not user.is_staff and not user.is_superuser
    cohort = CourseCohort.objects.get().cohort
    assert list(cohort.instructors.all()) == [user]
    assert not cohort.students.exists()
    context = LtiContext.objects.get(id_on_platform="course-1")
    assert response["Location"] == reverse("lti:course", args=[context.pk])
    assert client.get(response["Location"]).status_code == 200


def test_existing_email_is_not_taken_over(lti_platform, tool, client, admin_user):
    admin_user.email = "boss@example.edu"
    admin_user.save()
    learner_launch(lti_platform, client, email="BOSS@example.edu", sub="intruder")
    user = LtiUser.objects.get(sub="intruder").auth_user
    assert user != admin_user
    assert user.email == ""
    assert user_roles(user) == {"Student"}


def test_deep_link_then_learner_launch_opens_the_exam_and_the_grade_comes_back(
    lti_platform, tool, bank, client, django_capture_on_commit_callbacks
):
    placement = place_exam(lti_platform, client, bank)
    item = lti_platform.deep_links[-1]
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == LAUNCH
    assert item["title"] == "LTI mock"
    assert item["custom"] == {"blueprint": "lti-mock"}
    # The exam opens in a new window or tab (the exam pages refuse framing).
    assert item["window"] == {"targetName": "_blank"}
    assert item["lineItem"]["scoreMaximum"] == 1000
    assert item["lineItem"]["label"] == "LTI mock"
    assert item["lineItem"]["resourceId"] == "lti-mock"
    lineitem_url = placement["lineitem_url"]
    assert lineitem_url in lti_platform.lineitems

    client.logout()
    response = learner_launch(
        lti_platform,
        client,
        resource_link_id=placement["resource_link_id"],
        custom=placement["custom"],
    )
    assert response.status_code == 302
    attempt = Attempt.objects.get(user__lti_users__sub="learner-1")
    assert response["Location"] == reverse("exams:question", args=[attempt.pk, 1])
    assert client.get(response["Location"]).status_code == 200
    launched = LaunchedAttempt.objects.get(attempt=attempt)
    assert launched.lineitem_url == lineitem_url

    # Launching again resumes the same attempt.
    client.logout()
    again = learner_launch(
        lti_platform,
        client,
        resource_link_id=placement["resource_link_id"],
        custom={"blueprint": "lti-mock"},
    )
    assert again["Location"] == reverse("exams:question", args=[attempt.pk, 1])

    answer_all(attempt, right=True)
    with django_capture_on_commit_callbacks(execute=True):
        attempt = attempt_submit(user=attempt.user, attempt_id=attempt.pk)
    passback = GradePassback.objects.get(launched__attempt=attempt)
    assert passback.state == GradePassback.State.SENT, passback.error
    scores = lti_platform.scores[lineitem_url]
    assert len(scores) == 1
    score = scores[0]
    assert score["scoreGiven"] == attempt.scaled_score == 1000
    assert score["scoreMaximum"] == 1000
    assert score["comment"] == "Passed (scaled 1000 of 1000; 720 needed)"
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"
    assert score["userId"] == "learner-1"
    assert score["timestamp"]
    assert LtiEvent.objects.filter(kind=LtiEvent.Kind.GRADE_SENT, attempt_id=attempt.pk).exists()


def test_auto_submit_by_the_timer_sweep_sends_not_passed(
    lti_platform, tool, bank, client, django_capture_on_commit_callbacks
):
    placement, attempt = placed_then_launched(lti_platform, client, bank)
    answer_all(attempt, right=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert attempts_expire_overdue(now=timezone.now() + timedelta(hours=2)) == 1
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.EXPIRED
    score = lti_platform.scores[placement["lineitem_url"]][0]
    assert score["scoreGiven"] == attempt.scaled_score
    assert score["comment"] == f"Not passed (scaled {attempt.scaled_score} of 1000; 720 needed)"


def test_a_503_is_retried_then_the_grade_arrives(
    lti_platform, tool, bank, client, django_capture_on_commit_callbacks, settings
):
    settings.LTI_PASSBACK_BACKOFF_SECONDS = 0
    placement, attempt = placed_then_launched(lti_platform, client, bank)
    lti_platform.fail_next(2, status=503)
    with django_capture_on_commit_callbacks(execute=True):
        attempt_submit(user=attempt.user, attempt_id=attempt.pk)
    passback = GradePassback.objects.get(launched__attempt=attempt)
    assert passback.state == GradePassback.State.SENT, passback.error
    assert passback.tries == 3
    assert [e["status"] for e in lti_platform.service_log[-4:]][:2] == [503, 503]
    assert len(lti_platform.scores[placement["lineitem_url"]]) == 1


def test_a_platform_that_keeps_failing_ends_failed_audited_and_can_be_resent(
    lti_platform, tool, bank, client, django_capture_on_commit_callbacks, settings
):
    settings.LTI_PASSBACK_BACKOFF_SECONDS = 0
    settings.LTI_PASSBACK_MAX_RETRIES = 2
    placement, attempt = placed_then_launched(lti_platform, client, bank)
    lti_platform.fail_next(10, status=502)
    with django_capture_on_commit_callbacks(execute=True):
        attempt_submit(user=attempt.user, attempt_id=attempt.pk)
    passback = GradePassback.objects.get(launched__attempt=attempt)
    assert passback.state == GradePassback.State.FAILED
    assert passback.tries == 3
    assert passback.response_status == 502
    assert LtiEvent.objects.filter(kind=LtiEvent.Kind.GRADE_FAILED, attempt_id=attempt.pk).exists()
    assert placement["lineitem_url"] not in lti_platform.scores

    # The instructor sees it on the course page and resends once the platform is back.
    lti_platform.fail_next(0)
    teacher = client
    teacher.logout()
    instructor_launch(lti_platform, teacher)
    context = LtiContext.objects.get(id_on_platform="course-1")
    page = teacher.get(reverse("lti:course", args=[context.pk]))
    assert "Failed" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        resent = teacher.post(reverse("lti:passback_resend", args=[passback.pk]))
    assert resent.status_code == 302
    passback.refresh_from_db()
    assert passback.state == GradePassback.State.SENT
    assert len(lti_platform.scores[placement["lineitem_url"]]) == 1


def test_practice_passback_says_it_is_practice(
    lti_platform, tool, client, django_capture_on_commit_callbacks
):
    make_bank(per_domain=4)
    practice = short_blueprint(
        slug="lti-practice",
        title="LTI practice",
        question_count=4,
        mode="practice",
        duration_minutes=None,
    )
    placement, attempt = placed_then_launched(lti_platform, client, practice)
    answer_all(attempt, right=True)
    with django_capture_on_commit_callbacks(execute=True):
        attempt_submit(user=attempt.user, attempt_id=attempt.pk)
    score = lti_platform.scores[placement["lineitem_url"]][0]
    assert score["scoreGiven"] == 1000
    assert score["comment"].startswith("Passed (practice: 100% correct, scaled 1000 of 1000")


def test_roster_sync_adds_members_and_reports_those_gone(lti_platform, tool, client):
    instructor_launch(lti_platform, client)
    learner_launch(lti_platform, Client_fresh())
    lti_platform.add_member(
        "course-1", sub="s-2", name="Sam Second", email="sam@example.edu", roles=["Learner"]
    )
    lti_platform.add_member(
        "course-1",
        sub="t-2",
        name="Tia Teacher",
        email="tia@example.edu",
        roles=["ContentDeveloper"],
    )
    context = LtiContext.objects.get(id_on_platform="course-1")
    response = client.post(reverse("lti:course_sync", args=[context.pk]), follow=True)
    text = response.content.decode()
    assert "Roster synced: 2 added" in text
    cohort = CourseCohort.objects.get(context=context).cohort
    assert {u.email for u in cohort.students.all()} == {"lena@example.edu", "sam@example.edu"}
    assert {u.email for u in cohort.instructors.all()} == {"ian@example.edu", "tia@example.edu"}
    assert user_roles(LtiUser.objects.get(sub="t-2").auth_user) == {"Instructor"}

    # Sam leaves the course: reported, membership inactive, nobody deleted.
    lti_platform.add_member(
        "course-1",
        sub="s-2",
        name="Sam Second",
        email="sam@example.edu",
        roles=["Learner"],
        status="Inactive",
    )
    response = client.post(reverse("lti:course_sync", args=[context.pk]), follow=True)
    text = response.content.decode()
    assert "1 no longer in the course" in text
    assert "Sam Second" in text
    sam = LtiUser.objects.get(sub="s-2").auth_user
    assert sam.is_active
    assert LtiEvent.objects.filter(kind=LtiEvent.Kind.ROSTER_SYNCED).count() == 2
    # Still in the cohort until the instructor removes those who left; the account stays.
    assert sam in cohort.students.all()
    assert "Remove those who left from the cohort" in text
    removed = client.post(reverse("lti:course_remove_departed", args=[context.pk]), follow=True)
    text = removed.content.decode()
    assert "Removed from the cohort: Sam Second (" in text
    assert "Their accounts and results are kept." in text
    assert "Remove those who left from the cohort" not in text
    assert sam not in cohort.students.all()
    assert {u.email for u in cohort.students.all()} == {"lena@example.edu"}
    sam.refresh_from_db()
    assert sam.is_active
    event = LtiEvent.objects.get(kind=LtiEvent.Kind.ROSTER_PRUNED)
    assert event.actor.email == "ian@example.edu" and event.detail["removed"][0].startswith("Sam")
    # Nobody left to remove: said so, nothing written.
    again = client.post(reverse("lti:course_remove_departed", args=[context.pk]), follow=True)
    assert "Nobody who left the course is still in the cohort." in again.content.decode()
    assert LtiEvent.objects.filter(kind=LtiEvent.Kind.ROSTER_PRUNED).count() == 1
    # Sam comes back to the course: the next sync puts Sam in the cohort again.
    lti_platform.add_member(
        "course-1", sub="s-2", name="Sam Second", email="sam@example.edu", roles=["Learner"]
    )
    client.post(reverse("lti:course_sync", args=[context.pk]))
    assert sam in cohort.students.all()


def Client_fresh():
    from django.test import Client

    return Client()


# --- Refused launches ----------------------------------------------------------------------


def _login_then_post(client, lti_platform, id_token: str):
    """Start a real OIDC login (state cookie + nonce) and post our own id_token instead."""
    from urllib.parse import parse_qs, urlsplit

    response = client.get(
        "/lti/login/",
        {
            "iss": lti_platform.issuer,
            "login_hint": "learner-1",
            "target_link_uri": LAUNCH,
            "client_id": lti_platform.client_id,
            "lti_deployment_id": lti_platform.deployment_id,
        },
    )
    assert response.status_code == 302
    params = parse_qs(urlsplit(response["Location"]).query)
    state, nonce = params["state"][0], params["nonce"][0]
    return client.post(
        "/lti/launch/", {"id_token": id_token.replace("NONCE", nonce), "state": state}
    ), nonce


def _claims(lti_platform, nonce="NONCE", **over):
    now = int(timezone.now().timestamp())
    claims = {
        "iss": lti_platform.issuer,
        "aud": lti_platform.client_id,
        "sub": "learner-1",
        "iat": now,
        "exp": now + 300,
        "nonce": nonce,
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id": lti_platform.deployment_id,
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
        "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
        "https://purl.imsglobal.org/spec/lti/claim/roles": [
            "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
        ],
        "https://purl.imsglobal.org/spec/lti/claim/resource_link": {"id": "rl-x"},
        "https://purl.imsglobal.org/spec/lti/claim/target_link_uri": LAUNCH,
    }
    claims.update(over)
    return claims


def _forged_key():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    return (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def _platform_kid(lti_platform) -> str:
    import requests

    return requests.get(lti_platform.keyset_url, timeout=5).json()["keys"][0]["kid"]


@pytest.mark.parametrize(
    "case",
    ["forged-signature", "unsigned", "wrong-issuer", "expired", "unknown-deployment", "garbage"],
)
def test_bad_launches_are_refused_with_a_page_not_a_500(lti_platform, tool, client, case):
    kid = _platform_kid(lti_platform)
    if case == "forged-signature":
        token = jwt.encode(_claims(lti_platform), _forged_key(), "RS256", headers={"kid": kid})
    elif case == "unsigned":
        token = jwt.encode(_claims(lti_platform), None, "none")
    elif case == "wrong-issuer":
        token = jwt.encode(
            _claims(lti_platform, iss="https://evil.example"),
            lti_platform.private_key_pem,
            "RS256",
            headers={"kid": kid},
        )
    elif case == "expired":
        past = int(timezone.now().timestamp()) - 3600
        token = jwt.encode(
            _claims(lti_platform, iat=past - 300, exp=past),
            lti_platform.private_key_pem,
            "RS256",
            headers={"kid": kid},
        )
    elif case == "unknown-deployment":
        token = jwt.encode(
            _claims(
                lti_platform,
                **{"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "other"},
            ),
            lti_platform.private_key_pem,
            "RS256",
            headers={"kid": kid},
        )
    else:
        token = "not.a.jwt"
    response, _ = _login_then_post(client, lti_platform, token)
    assert response.status_code in (400, 403)
    assert "This launch was refused" in response.content.decode()
    assert not LtiUser.objects.filter(auth_user__isnull=False).exists()
    assert "_auth_user_id" not in client.session


def test_a_replayed_launch_is_refused(lti_platform, tool, client):
    assert learner_launch(lti_platform, client).status_code == 302
    last = lti_platform.last_launch
    other = Client_fresh()
    # The same id_token and state posted again (the state cookie copied too).
    for name, morsel in client.cookies.items():
        if name.startswith("lti1p3-"):
            other.cookies[name] = morsel.value
    replay = other.post("/lti/launch/", {"id_token": last["id_token"], "state": last["state"]})
    assert replay.status_code == 403
    assert "already used" in replay.content.decode()


def test_launch_without_token_and_login_without_params_are_400(client, lti_platform, tool):
    assert client.post("/lti/launch/", {}).status_code == 400
    assert client.get("/lti/login/").status_code == 400
    unknown = client.get(
        "/lti/login/",
        {"iss": "https://unknown.example", "login_hint": "x", "target_link_uri": LAUNCH},
    )
    assert unknown.status_code == 403
    assert "not registered" in unknown.content.decode()


def test_a_deactivated_platform_cannot_launch(lti_platform, tool, client, admin_user):
    services.platform_set_active(registration=tool, active=False, actor=admin_user)
    from tests.lti.platform import PlatformFlowError

    with pytest.raises(PlatformFlowError):
        learner_launch(lti_platform, client)
    assert not LtiUser.objects.exists()


def test_learners_cannot_place_an_exam(lti_platform, tool, client):
    response = lti_platform.deep_link(
        client,
        sub="learner-1",
        name="Lena Learner",
        email="lena@example.edu",
        roles=["Learner"],
        context_id="course-1",
        context_title="AWS Developer course",
    )
    assert response.status_code == 403
    assert "Only the course" in response.content.decode()


def test_the_picker_may_be_shown_in_the_platforms_frame_and_nowhere_else(
    lti_platform, tool, bank, client
):
    picker = open_picker(lti_platform, client)
    assert picker.status_code == 200
    platform = urlsplit(lti_platform.keyset_url)
    origin = f"{platform.scheme}://{platform.netloc}"
    # Moodle and Canvas show the picker in a frame of their page: only that origin may frame it.
    assert "X-Frame-Options" not in picker.headers
    assert picker.headers["Content-Security-Policy"].endswith(f"frame-ancestors {origin}")
    # Every other page keeps refusing frames.
    home = client.get("/")
    assert home.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in home.headers["Content-Security-Policy"]


def test_the_pick_needs_only_the_launch_id_and_only_once(lti_platform, tool, bank, client):
    """In the LMS's frame the browser sends none of our cookies (no session, no CSRF token):
    the unguessable launch id the picker carries is the credential, good for one answer."""
    picker = open_picker(lti_platform, client)
    launch_id = picker_launch_id(picker)
    framed = Client(enforce_csrf_checks=True)  # a frame: no cookies of ours at all
    url = reverse("lti:deep_link_return")
    answer = framed.post(url, {"launch_id": launch_id, "blueprint": bank.pk})
    assert answer.status_code == 200
    assert "X-Frame-Options" not in answer.headers
    [item] = lti_platform.receive_deep_link_response(answer)
    assert item["custom"] == {"blueprint": "lti-mock"}
    # The same launch again (a replayed form), a made-up id, a learner's launch: refused.
    assert framed.post(url, {"launch_id": launch_id, "blueprint": bank.pk}).status_code == 403
    made_up = {"launch_id": "lti1p3-launch-0000", "blueprint": bank.pk}
    assert framed.post(url, made_up).status_code == 403
    learner = Client()
    learner_launch(lti_platform, learner)
    learner_launch_id = learner.session["lti_launch_id"]
    refused = framed.post(url, {"launch_id": learner_launch_id, "blueprint": bank.pk})
    assert refused.status_code == 403
    assert "Open “Add an exam” in your course again" in refused.content.decode()


def test_without_a_line_item_the_tool_creates_its_column(
    lti_platform, tool, bank, client, django_capture_on_commit_callbacks
):
    """A link set up by hand in the LMS (custom blueprint=lti-mock, no line item): the tool
    finds or creates its own grade column (resourceId = the blueprint's slug) and posts there."""
    learner_launch(
        lti_platform, client, resource_link_id="manual-link", custom={"blueprint": "lti-mock"}
    )
    attempt = Attempt.objects.get(user__lti_users__sub="learner-1")
    assert LaunchedAttempt.objects.get(attempt=attempt).lineitem_url == ""
    answer_all(attempt, right=True)
    with django_capture_on_commit_callbacks(execute=True):
        attempt_submit(user=attempt.user, attempt_id=attempt.pk)
    passback = GradePassback.objects.get()
    assert passback.state == GradePassback.State.SENT, (passback.error, passback.response_body)
    [(url, item)] = lti_platform.lineitems.items()
    assert item["resourceId"] == "lti-mock"
    assert item["scoreMaximum"] == 1000
    assert lti_platform.scores[url][0]["scoreGiven"] == 1000


def test_a_link_to_a_retired_exam_says_so(lti_platform, tool, bank, client):
    bank.is_active = False
    bank.save()
    response = learner_launch(lti_platform, client, custom={"blueprint": "lti-mock"})
    assert response.status_code == 409
    assert "not available any more" in response.content.decode()


def test_a_token_whose_body_is_not_an_object_is_refused(lti_platform, tool, client):
    import base64

    def part(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    header, body = part(b'{"alg": "RS256"}'), part(b"[1, 2]")
    token = ".".join([header, body, part(b"sig")])
    response, _ = _login_then_post(client, lti_platform, token)
    assert response.status_code in (400, 403)
    assert "This launch was refused" in response.content.decode()
