"""Every state-changing POST refuses a request without a valid CSRF token and writes nothing.

Each case posts a payload that does change the database when the token is there (the last
step of the test proves it), so a view that skipped the CSRF check would fail the test.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from lti_tool.models import Key, LtiRegistration, LtiUser

from accounts.models import Cohort, User
from analytics.models import AnalyticsRun, CalibrationRun
from exams.models import Attempt, AttemptItem, Blueprint, KeyCorrection, Sitting
from lti.models import GradePassback
from questions.models import ImportMapping, Question, QuestionReport
from questions.services import question_as_data
from study.models import ReviewCard, StudyPreference
from tests.factories.accounts import PASSWORD
from tests.factories.questions import question_data, question_form_post
from tests.factories.regrade import key_changed, sample_correction
from tests.lti.world import (
    lti_course,
    lti_departed,
    lti_passback,
    lti_registration,
    roster_course,
)

from .conftest import World
from .urlmatrix import (
    CSRF_EXEMPT,
    STATE_CHANGING,
    _question_report,
    _sitting,
    import_mapping,
    import_upload,
)

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-7"


@dataclass
class Case:
    role: str  # a World role, or "superuser"
    url: str
    data: Callable[[], dict]  # called for every request (uploads can be read only once)
    probe: Callable[[Client], object]  # what the request would change
    prepare: Callable[[Client], None] | None = None


def blueprint_form(blueprint: Blueprint | None, **extra) -> dict:
    from tests.factories.exams import blueprint_form_data

    post = blueprint_form_data()
    if blueprint is not None:
        post.update(title=blueprint.title, slug=blueprint.slug, guide=blueprint.guide_id)
    post.update(extra)
    return post


def _open_sitting(world: World) -> Sitting:
    """A sitting of the student's cohort that opened a minute ago, of a mock they never sat."""
    blueprint = Blueprint.objects.create(
        title="CSRF sitting mock",
        slug="csrf-sitting-mock",
        # Small: the student's exam in progress holds most of the little bank.
        question_count=1,
        duration_minutes=30,
        guide=world.blueprint.guide,
    )
    return Sitting.objects.create(
        cohort=world.cohort,
        blueprint=blueprint,
        opens_at=timezone.now() - timedelta(minutes=1),
        created_by=world.users["instructor"],
    )


def _due_card(world: World) -> None:
    """A review card due now for the student, of a question their open exam does not hold."""
    question = (
        Question.objects.published()
        .filter(is_pretest=False)
        .exclude(pk__in=world.attempt.items.values("question"))
        .first()
    )
    ReviewCard.objects.get_or_create(
        user=world.student, question=question, defaults={"due": timezone.now()}
    )


def _item(world: World) -> AttemptItem:
    return world.attempt.items.get(position=1)


def _password(user: User) -> Callable[[Client], str]:
    return lambda client: User.objects.get(pk=user.pk).password


def _reset_confirm(world: World) -> Case:
    user = world.student
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)

    def prepare(client):
        # The link from the e-mail stores the token in the session and redirects.
        response = client.get(reverse("password_reset_confirm", args=[uid, token]))
        assert response.status_code == 302

    return Case(
        "anon",
        reverse("password_reset_confirm", args=[uid, "set-password"]),
        lambda: {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        _password(user),
        prepare,
    )


def _resolve_case(report_id: int) -> Case:
    return Case(
        "instructor",
        reverse("analytics:question_report_resolve", args=[report_id]),
        lambda: {"decision": "reject", "reply": "Forged reply."},
        lambda c: QuestionReport.objects.get(pk=report_id).status,
    )


CASES: dict[str, Callable[[World], Case]] = {
    "accounts:sign_up": lambda w: Case(
        "anon",
        reverse("accounts:sign_up"),
        lambda: {
            "username": "csrf-newbie",
            "email": "csrf-newbie@example.test",
            "first_name": "New",
            "last_name": "Bie",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
        lambda c: User.objects.filter(username="csrf-newbie").exists(),
    ),
    "login": lambda w: Case(
        "anon",
        reverse("login"),
        lambda: {"username": w.student.username, "password": PASSWORD},
        lambda c: c.session.get("_auth_user_id"),
    ),
    "logout": lambda w: Case(
        "student", reverse("logout"), dict, lambda c: c.session.get("_auth_user_id")
    ),
    "password_change": lambda w: Case(
        "student",
        reverse("password_change"),
        lambda: {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        _password(w.student),
    ),
    "password_reset": lambda w: Case(
        "anon",
        reverse("password_reset"),
        lambda: {"email": w.student.email},
        lambda c: len(mail.outbox),
    ),
    "password_reset_confirm": _reset_confirm,
    "accounts:person_edit": lambda w: Case(
        "admin",
        reverse("accounts:person_edit", args=[w.student.pk]),
        lambda: {
            "role": "Admin",
            "accommodation_minutes": 30,
            "accommodation_note": "ESL +30",
            "is_active": "on",
        },
        lambda c: (
            sorted(w.student.groups.values_list("name", flat=True)),
            User.objects.get(pk=w.student.pk).accommodation_minutes,
        ),
    ),
    "accounts:cohort_new": lambda w: Case(
        "admin",
        reverse("accounts:cohort_new"),
        lambda: {"name": "Forged cohort", "instructors": [w.other_instructor.pk]},
        lambda c: Cohort.objects.filter(name="Forged cohort").exists(),
    ),
    "accounts:cohort_edit": lambda w: Case(
        "admin",
        reverse("accounts:cohort_edit", args=[w.cohort.pk]),
        lambda: {"name": "Renamed", "instructors": [w.other_instructor.pk]},
        lambda c: (
            Cohort.objects.get(pk=w.cohort.pk).name,
            list(w.cohort.instructors.values_list("pk", flat=True)),
        ),
    ),
    "questions:create": lambda w: Case(
        "instructor",
        reverse("questions:create"),
        lambda: question_form_post(question_data()),
        lambda c: Question.objects.count(),
    ),
    "questions:edit": lambda w: Case(
        "instructor",
        reverse("questions:edit", args=[w.draft_question.pk]),
        lambda: question_form_post(
            {**question_as_data(w.draft_question), "explanation": "Changed by a forged form."},
            **{"options-INITIAL_FORMS": "4"},  # the four existing options, as the page sends
        ),
        lambda c: Question.objects.get(pk=w.draft_question.pk).versions.count(),
    ),
    "questions:bulk": lambda w: Case(
        "instructor",
        reverse("questions:bulk"),
        lambda: {"action": "retire", "selected": [w.question.pk]},
        lambda c: Question.objects.get(pk=w.question.pk).status,
    ),
    "questions:status": lambda w: Case(
        "instructor",
        reverse("questions:status", args=[w.draft_question.pk]),
        lambda: {"status": "in_review"},
        lambda c: Question.objects.get(pk=w.draft_question.pk).status,
    ),
    "questions:delete": lambda w: Case(
        "instructor",
        reverse("questions:delete", args=[w.draft_question.pk]),
        dict,
        lambda c: Question.objects.filter(pk=w.draft_question.pk).exists(),
    ),
    "questions:import": lambda w: Case(
        "instructor",
        reverse("questions:import"),
        lambda: {
            "file": SimpleUploadedFile("bank.json", json.dumps([question_data()]).encode()),
            "status": "draft",
        },
        lambda c: Question.objects.count(),
    ),
    "questions:import_mapping": lambda w: Case(
        "instructor",
        reverse("questions:import_mapping", kwargs=import_upload(w)),
        lambda: {
            "stem": "question",
            "options": ["options"],
            "correct": "correct",
            "domain": "domain",
            "key": "id",
            "indices": "zero",
            "guide": "DVA-C01",
            "source": "acme",
            "status": "draft",
            "action": "import",
        },
        lambda c: Question.objects.count(),
    ),
    "questions:import_mapping_delete": lambda w: Case(
        "instructor",
        reverse("questions:import_mapping_delete", kwargs=import_mapping(w)),
        dict,
        lambda c: ImportMapping.objects.exists(),
    ),
    "exams:blueprint_new": lambda w: Case(
        "instructor",
        reverse("exams:blueprint_new"),
        lambda: blueprint_form(None),
        lambda c: Blueprint.objects.count(),
    ),
    "exams:blueprint_edit": lambda w: Case(
        "instructor",
        reverse("exams:blueprint_edit", args=[w.blueprint.pk]),
        lambda: blueprint_form(w.blueprint, title="Forged title", duration_minutes=600),
        lambda c: Blueprint.objects.values_list("title", "duration_minutes").get(pk=w.blueprint.pk),
    ),
    "exams:start": lambda w: Case(
        "other_student",
        reverse("exams:start", args=[w.blueprint.slug]),
        dict,
        lambda c: Attempt.objects.filter(user=w.other_student).count(),
    ),
    "exams:custom_quiz": lambda w: Case(
        "other_student",
        reverse("exams:custom_quiz"),
        lambda: {"count": 1, "source": "all", "timing": "untimed", "feedback": "after_each"},
        lambda c: Attempt.objects.filter(user=w.other_student).count(),
    ),
    "exams:answer": lambda w: Case(
        "student",
        reverse("exams:answer", args=[w.attempt.pk, 1]),
        lambda: {"option": _item(w).option_order[0], "seq": 1},
        lambda c: list(_item(w).selections.values_list("option_id", flat=True)),
    ),
    "exams:flag": lambda w: Case(
        "student",
        reverse("exams:flag", args=[w.attempt.pk, 1]),
        lambda: {"flagged": "true"},
        lambda c: _item(w).flagged,
    ),
    "exams:eliminate": lambda w: Case(
        "student",
        reverse("exams:eliminate", args=[w.attempt.pk, 1]),
        lambda: {"option": _item(w).option_order[0], "eliminated": "true"},
        lambda c: _item(w).eliminated,
    ),
    "exams:text_size": lambda w: Case(
        "student",
        reverse("exams:text_size"),
        lambda: {"size": 4},
        lambda c: User.objects.get(pk=w.student.pk).text_size,
    ),
    "exams:submit": lambda w: Case(
        "student",
        reverse("exams:submit", args=[w.attempt.pk]),
        dict,
        lambda c: Attempt.objects.get(pk=w.attempt.pk).state,
    ),
    "exams:cohort_sittings": lambda w: Case(
        "instructor",
        reverse("exams:cohort_sittings", args=[w.cohort.pk]),
        lambda: {
            "blueprint": w.blueprint.pk,
            "opens_at": (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        },
        lambda c: Sitting.objects.count(),
    ),
    "exams:sitting_cancel": lambda w: Case(
        "instructor",
        reverse("exams:sitting_cancel", args=[w.cohort.pk, _sitting(w).pk]),
        dict,
        lambda c: Sitting.objects.get(pk=_sitting(w).pk).cancelled_at,
    ),
    "exams:sitting_start": lambda w: Case(
        "student",
        reverse("exams:sitting_start", args=[_open_sitting(w).pk]),
        dict,
        lambda c: Attempt.objects.filter(user=w.student).count(),
    ),
    "exams:report_question": lambda w: Case(
        "student",
        reverse("exams:report_question", args=[w.finished_attempt.pk, 2]),
        lambda: {"category": "key_wrong", "text": "Forged?"},
        lambda c: QuestionReport.objects.filter(reporter=w.student).count(),
    ),
    "analytics:question_report_resolve": lambda w: _resolve_case(_question_report(w).pk),
    "exams:key_correction_apply": lambda w: Case(
        "instructor",
        reverse("exams:key_correction_apply", args=[key_changed(w.question).pk]),
        lambda: {
            "policy": "either",
            "reason": "Forged correction",
            "version": w.question.current_version_id,
        },
        lambda c: KeyCorrection.objects.count(),
    ),
    "exams:key_correction_retry": lambda w: Case(
        "instructor",
        reverse(
            "exams:key_correction_retry", args=[sample_correction(w.question, state="failed").pk]
        ),
        dict,
        lambda c: KeyCorrection.objects.get(question=w.question).state,
    ),
    "analytics:retry_missed": lambda w: Case(
        "student",
        reverse("analytics:retry_missed"),
        dict,
        lambda c: Attempt.objects.filter(user=w.student).count(),
    ),
    "study:review_start": lambda w: Case(
        "student",
        reverse("study:review_start"),
        dict,
        lambda c: Attempt.objects.filter(user=w.student).count(),
        prepare=lambda c: _due_card(w),
    ),
    "study:retention": lambda w: Case(
        "student",
        reverse("study:retention"),
        lambda: {"desired_retention": "0.85"},
        lambda c: list(StudyPreference.objects.values_list("desired_retention", flat=True)),
    ),
    "analytics:recompute": lambda w: Case(
        "instructor",
        reverse("analytics:recompute", args=[w.blueprint.pk]),
        dict,
        lambda c: AnalyticsRun.objects.count(),
    ),
    "analytics:calibrate_now": lambda w: Case(
        "instructor",
        reverse("analytics:calibrate_now"),
        dict,
        lambda c: CalibrationRun.objects.count(),
    ),
    "analytics:pretest_promote": lambda w: Case(
        "instructor",
        reverse("analytics:pretest_promote", args=[w.pretest_question.pk]),
        dict,
        lambda c: Question.objects.get(pk=w.pretest_question.pk).is_pretest,
    ),
    "bench_floor": lambda w: Case(
        "student",
        reverse("bench_floor"),
        dict,
        lambda c: User.objects.get(pk=w.student.pk).last_login,
    ),
    # --- lti (tests/lti/world.py) --------------------------------------------------------
    "lti:platform_new": lambda w: Case(
        "admin",
        reverse("lti:platform_new"),
        lambda: {
            "name": "CSRF LMS",
            "issuer": "https://csrf-lms.example.edu",
            "client_id": "csrf-client",
            "deployment_ids": "1",
            "keyset_url": "https://csrf-lms.example.edu/jwks",
            "auth_url": "https://csrf-lms.example.edu/auth",
            "token_url": "https://csrf-lms.example.edu/token",
        },
        lambda c: LtiRegistration.objects.filter(client_id="csrf-client").exists(),
    ),
    "lti:platform_edit": lambda w: Case(
        "admin",
        reverse("lti:platform_edit", args=[lti_registration(w).pk]),
        lambda: {
            "name": "Renamed LMS",
            "issuer": "https://lms.example.edu",
            "client_id": "matrix-client",
            "deployment_ids": "d-1",
            "keyset_url": "https://lms.example.edu/jwks",
            "auth_url": "https://lms.example.edu/auth",
            "token_url": "https://lms.example.edu/token",
        },
        lambda c: LtiRegistration.objects.get(client_id="matrix-client").name,
    ),
    "lti:platform_active": lambda w: Case(
        "admin",
        reverse("lti:platform_active", args=[lti_registration(w).pk]),
        lambda: {"active": "0"},
        lambda c: LtiRegistration.objects.get(client_id="matrix-client").is_active,
    ),
    "lti:key_create": lambda w: Case(
        "admin", reverse("lti:key_create"), dict, lambda c: Key.objects.count()
    ),
    "lti:course_sync": lambda w: Case(
        "instructor",
        reverse("lti:course_sync", args=[roster_course(w).pk]),
        dict,
        lambda c: LtiUser.objects.filter(sub="r-1", auth_user__isnull=False).exists(),
    ),
    "lti:course_remove_departed": lambda w: Case(
        "instructor",
        reverse("lti:course_remove_departed", args=[lti_course(w).pk]),
        dict,
        lambda c: w.cohort.students.filter(pk=w.users["other_student"].pk).exists(),
        prepare=lambda c: lti_departed(w),
    ),
    "lti:passback_resend": lambda w: Case(
        "instructor",
        reverse("lti:passback_resend", args=[lti_passback(w).pk]),
        dict,
        lambda c: GradePassback.objects.get().state,
    ),
    # One Django admin form, as a sample of the admin site.
    "admin:accounts_cohort_add": lambda w: Case(
        "superuser",
        reverse("admin:accounts_cohort_add"),
        lambda: {"name": "Admin-made cohort"},
        lambda c: Cohort.objects.filter(name="Admin-made cohort").exists(),
    ),
}


def test_every_state_changing_view_has_a_csrf_case():
    assert STATE_CHANGING - set(CASES) == set()


@pytest.mark.parametrize("name", sorted(CSRF_EXEMPT))
def test_csrf_exempt_lti_endpoints_refuse_a_forged_cross_site_request(name, world):
    """The platform's cross-site posts carry no CSRF token; a forged one (no state cookie, no
    signed id_token, an unknown issuer) is refused and logs nobody in (tests/lti has more)."""
    client = Client(enforce_csrf_checks=True)
    forged = {
        "lti:login": {"iss": "https://evil.example", "login_hint": "x", "target_link_uri": "/"},
        "lti:launch": {"id_token": "e30.e30.", "state": "state-forged"},
        # The picker's answer: a guessed launch id names no cached deep-linking launch.
        "lti:deep_link_return": {"launch_id": "lti1p3-launch-guessed", "blueprint": "1"},
    }[name]
    response = client.post(reverse(name), forged)
    assert response.status_code in (400, 403)
    assert "_auth_user_id" not in client.session
    assert not LtiUser.objects.exists()


def _client(world: World, role: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    user = world.superuser if role == "superuser" else world.users[role]
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("name", sorted(CASES))
def test_post_without_a_valid_csrf_token_is_refused_and_writes_nothing(name, world, settings):
    settings.BENCH_ENDPOINTS = True
    case = CASES[name](world)
    client = _client(world, case.role)
    secret = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    if case.prepare:
        case.prepare(client)
    before = case.probe(client)
    mail_before = len(mail.outbox)

    attacks = {
        "no token": {},
        "token not matching the cookie": {"HTTP_X_CSRFTOKEN": _get_new_csrf_string()},
        "malformed token": {"HTTP_X_CSRFTOKEN": "x" * 10},
    }
    for attack, headers in attacks.items():
        response = client.post(case.url, case.data(), **headers)
        assert response.status_code == 403, (attack, response.status_code)
        assert "CSRF" in response.content.decode() or response.reason_phrase == "Forbidden"
        assert case.probe(client) == before, attack
    assert len(mail.outbox) == mail_before

    # Without the cookie a matching token in the form is not enough either.
    cookieless = Client(enforce_csrf_checks=True)
    if settings.SESSION_COOKIE_NAME in client.cookies:  # the same session, minus the cookie
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookieless.cookies[settings.SESSION_COOKIE_NAME] = session
    data = {**case.data(), "csrfmiddlewaretoken": secret}
    assert cookieless.post(case.url, data).status_code == 403
    assert case.probe(client) == before

    # The control: the same request with the token goes through and changes the database.
    response = client.post(case.url, case.data(), HTTP_X_CSRFTOKEN=secret)
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200 and response.context and "form" in response.context:
        assert not response.context["form"].errors, response.context["form"].errors
    assert case.probe(client) != before, "the payload must change something for the test to mean it"
