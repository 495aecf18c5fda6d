"""The project's URL patterns and who may reach each of them.

`walk()` lists every pattern of the URLconf, recursively, so a URL added without an entry in
MATRIX makes tests/security/test_permission_matrix.py fail. Expected outcomes per role:

- an HTTP status (200, 403, 404, 405),
- LOGIN: a 302 to the log-in page (anonymous users),
- REDIRECT: a 302 anywhere else (the view did its work or bounced a logged-in user).

Django admin patterns (under ADMIN_PREFIX) are not listed one by one: every one of them is
requested and must send every non-staff role to the admin log-in page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

from .conftest import World

LOGIN = "302 to login"
REDIRECT = "302 elsewhere"
ADMIN_PREFIX = "django-admin/"


def by_role(anon, student, other_student, instructor, other_instructor, admin) -> dict:
    return {
        "anon": anon,
        "student": student,
        "other_student": other_student,
        "instructor": instructor,
        "other_instructor": other_instructor,
        "admin": admin,
    }


def same(value) -> dict:
    return by_role(value, value, value, value, value, value)


EVERYONE = same(200)
LOGGED_IN = by_role(LOGIN, 200, 200, 200, 200, 200)
LOGGED_IN_POST_ONLY = by_role(LOGIN, 405, 405, 405, 405, 405)
LOGGED_IN_REDIRECT = by_role(LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)
ANON_ONLY = by_role(200, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)
STAFF = by_role(LOGIN, 403, 403, 200, 200, 200)  # Instructor and Admin roles
STAFF_POST_ONLY = by_role(LOGIN, 403, 403, 405, 405, 405)
STAFF_REDIRECT = by_role(LOGIN, 403, 403, REDIRECT, REDIRECT, REDIRECT)
ADMIN_ONLY = by_role(LOGIN, 403, 403, 403, 403, 200)
OWNER = by_role(LOGIN, 200, 404, 404, 404, 404)  # the student's own attempt, nobody else's
OWNER_REDIRECT = by_role(LOGIN, REDIRECT, 404, 404, 404, 404)
COHORT_PAGE = by_role(LOGIN, 404, 404, 200, 404, 200)  # accounts: students have no cohort page
COHORT_REPORT = by_role(LOGIN, 403, 403, 200, 404, 200)  # analytics: students lack the perm


@dataclass(frozen=True)
class Route:
    get: dict
    post: dict | None = None  # set for views that change state
    kwargs: Callable[[World], dict] | None = None
    query: str = ""


def _attempt(w: World) -> dict:
    return {"attempt_id": w.attempt.pk}


def _item(w: World) -> dict:
    return {"attempt_id": w.attempt.pk, "position": 1}


def _question(w: World) -> dict:
    return {"question_id": w.question.pk}


def _blueprint(w: World) -> dict:
    return {"blueprint_id": w.blueprint.pk}


def _cohort(w: World) -> dict:
    return {"cohort_id": w.cohort.pk}


def _sitting(w: World):
    """A sitting of the student's cohort opening tomorrow (made on first use)."""
    from datetime import timedelta

    from django.utils import timezone

    from exams.models import Sitting

    sitting, _ = Sitting.objects.get_or_create(
        cohort=w.cohort,
        blueprint=w.blueprint,
        defaults={
            "opens_at": timezone.now() + timedelta(days=1),
            "created_by": w.users["instructor"],
        },
    )
    return sitting


def _question_report(w: World):
    """The student's open report on question 1 of their finished attempt (made on first use)."""
    from questions.models import QuestionReport

    item = w.finished_attempt.items.get(position=1)
    report, _ = QuestionReport.objects.get_or_create(
        reporter=w.student,
        question_id=item.question_id,
        status=QuestionReport.Status.OPEN,
        defaults={"version_id": item.version_id, "category": QuestionReport.Category.TYPO},
    )
    return report


def _key_changed(w: World) -> dict:
    """The shown question with a newer version keying other options (the preview has work)."""
    from tests.factories.regrade import key_changed

    return {"question_id": key_changed(w.question).pk}


def _correction(w: World) -> dict:
    from tests.factories.regrade import sample_correction

    return {"correction_id": sample_correction(w.question).pk}


# A foreign question file (another tool's JSON layout) for the import's mapping step.
FOREIGN_JSON = (
    '[{"id": 7, "question": "Which service stores objects?", "options": ["Amazon S3", '
    '"Amazon EBS", "Amazon EFS", "Instance store"], "correct": [0], "domain": "Security"}]'
)


def import_upload(w: World) -> dict:
    """The instructor's foreign file waiting on the mapping step (made on first use)."""
    from questions.models import ImportUpload

    upload, _ = ImportUpload.objects.get_or_create(
        owner=w.users["instructor"],
        name="acme.json",
        defaults={"shape": "json", "text": FOREIGN_JSON},
    )
    return {"upload_id": upload.pk}


def import_mapping(w: World) -> dict:
    """A remembered field mapping (shared by everyone who imports; made on first use)."""
    from questions.models import ImportMapping

    mapping, _ = ImportMapping.objects.get_or_create(
        name="acme",
        defaults={"shape": "json", "fields": {"stem": ["question"]}, "guide": "DVA-C02"},
    )
    return {"mapping_id": mapping.pk}


def _lti_platform(w: World) -> dict:
    from tests.lti.world import lti_registration

    return {"platform_id": lti_registration(w).pk}


def _lti_course(w: World) -> dict:
    from tests.lti.world import lti_course

    return {"context_id": lti_course(w).pk}


def _lti_passback(w: World) -> dict:
    from tests.lti.world import lti_passback

    return {"passback_id": lti_passback(w).pk}


MATRIX: dict[str, Route] = {
    # --- core ----------------------------------------------------------------------------
    "home": Route(get=EVERYONE),
    "healthz": Route(get=EVERYONE),
    # Off without METRICS_TOKEN/METRICS_ALLOWED_IPS (tests/core/test_metrics.py turns it on);
    # read-only, a POST is refused too (tests/core/test_metrics.py).
    "metrics": Route(get=same(404)),
    "bench_floor": Route(get=same(404), post=same(404)),  # off unless BENCH_ENDPOINTS
    # --- django.contrib.auth -------------------------------------------------------------
    "login": Route(get=EVERYONE, post=EVERYONE),  # an empty form re-renders with errors
    "logout": Route(get=same(405), post=EVERYONE),
    "password_change": Route(get=LOGGED_IN, post=LOGGED_IN),
    "password_change_done": Route(get=LOGGED_IN),
    "password_reset": Route(get=EVERYONE, post=EVERYONE),
    "password_reset_done": Route(get=EVERYONE),
    "password_reset_confirm": Route(
        get=EVERYONE,  # an invalid link says so
        post=EVERYONE,
        kwargs=lambda w: {"uidb64": "MQ", "token": "not-a-valid-token"},
    ),
    "password_reset_complete": Route(get=EVERYONE),
    # --- accounts --------------------------------------------------------------------------
    "accounts:sign_up": Route(get=ANON_ONLY, post=ANON_ONLY),
    "accounts:people": Route(get=ADMIN_ONLY),
    "accounts:person_edit": Route(
        get=ADMIN_ONLY, post=ADMIN_ONLY, kwargs=lambda w: {"user_id": w.student.pk}
    ),
    "accounts:cohorts": Route(get=by_role(LOGIN, 404, 404, 200, 200, 200)),
    "accounts:cohort_new": Route(get=ADMIN_ONLY, post=ADMIN_ONLY),
    "accounts:cohort_detail": Route(get=COHORT_PAGE, kwargs=_cohort),
    "accounts:cohort_edit": Route(get=ADMIN_ONLY, post=ADMIN_ONLY, kwargs=_cohort),
    # --- questions ---------------------------------------------------------------------------
    "questions:list": Route(get=STAFF),
    "questions:bulk": Route(get=STAFF_POST_ONLY, post=STAFF_REDIRECT),
    "questions:create": Route(get=STAFF, post=STAFF),
    "questions:import": Route(get=STAFF, post=STAFF),
    # Only the owner's upload exists: other instructors and admins get a 404.
    "questions:import_mapping": Route(
        get=by_role(LOGIN, 403, 403, 200, 404, 404),
        post=by_role(LOGIN, 403, 403, 200, 404, 404),
        kwargs=import_upload,
    ),
    "questions:import_mapping_download": Route(get=STAFF, kwargs=import_mapping),
    # The instructor's POST forgets the mapping: the roles after it find it gone.
    "questions:import_mapping_delete": Route(
        get=STAFF, post=by_role(LOGIN, 403, 403, REDIRECT, 404, 404), kwargs=import_mapping
    ),
    "questions:export": Route(get=STAFF),
    "questions:export_anki": Route(get=STAFF),
    "questions:coverage": Route(get=STAFF),
    "questions:due_for_review": Route(get=STAFF),
    "questions:detail": Route(get=STAFF, kwargs=_question),
    "questions:edit": Route(get=STAFF, post=STAFF, kwargs=_question),
    "questions:diff": Route(get=STAFF, kwargs=_question),
    "questions:status": Route(get=STAFF_POST_ONLY, post=STAFF_REDIRECT, kwargs=_question),
    # GET asks for confirmation. The question appears in an attempt, so deleting it is
    # refused with a redirect.
    "questions:delete": Route(get=STAFF, post=STAFF_REDIRECT, kwargs=_question),
    # --- exams -------------------------------------------------------------------------------
    "exams:list": Route(get=LOGGED_IN),
    "exams:attempts": Route(get=LOGGED_IN),
    # The quiz builder: an empty POST is a form error for anyone who may sit exams.
    "exams:custom_quiz": Route(get=LOGGED_IN, post=by_role(LOGIN, 400, 400, 400, 400, 400)),
    # The student's own missed questions as an Anki deck; nobody else in the world missed any.
    "exams:missed_anki": Route(get=by_role(LOGIN, 200, REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    "exams:start": Route(
        get=LOGGED_IN_POST_ONLY,
        post=LOGGED_IN_REDIRECT,
        kwargs=lambda w: {"slug": w.blueprint.slug},
    ),
    "exams:resume": Route(get=OWNER_REDIRECT, kwargs=_attempt),
    "exams:question": Route(get=OWNER, kwargs=_item),
    "exams:answer": Route(get=LOGGED_IN_POST_ONLY, post=OWNER_REDIRECT, kwargs=_item),
    "exams:flag": Route(get=LOGGED_IN_POST_ONLY, post=OWNER_REDIRECT, kwargs=_item),
    "exams:state": Route(get=OWNER, kwargs=_attempt),
    # An empty POST is a form error (400) for the owner; nobody else finds the attempt.
    "exams:eliminate": Route(
        get=LOGGED_IN_POST_ONLY, post=by_role(LOGIN, 400, 404, 404, 404, 404), kwargs=_item
    ),
    "exams:text_size": Route(get=LOGGED_IN_POST_ONLY, post=by_role(LOGIN, 400, 400, 400, 400, 400)),
    "exams:review": Route(get=OWNER, kwargs=_attempt),
    "exams:submit": Route(get=OWNER, post=OWNER_REDIRECT, kwargs=_attempt),
    "exams:submitted": Route(get=OWNER, kwargs=lambda w: {"attempt_id": w.finished_attempt.pk}),
    "exams:results": Route(get=OWNER, kwargs=lambda w: {"attempt_id": w.finished_attempt.pk}),
    "analytics:retry_missed": Route(get=LOGGED_IN_POST_ONLY, post=LOGGED_IN_REDIRECT),
    # Report a problem: the owner's empty post is refused with a redirect back to the results.
    "exams:report_question": Route(
        get=LOGGED_IN_POST_ONLY,
        post=OWNER_REDIRECT,
        kwargs=lambda w: {"attempt_id": w.finished_attempt.pk, "position": 1},
    ),
    "exams:audit": Route(get=ADMIN_ONLY),
    "exams:blueprints": Route(get=STAFF),
    "exams:blueprint_new": Route(get=STAFF, post=STAFF),
    "exams:blueprint_edit": Route(get=STAFF, post=STAFF, kwargs=_blueprint),
    # Scheduled sittings: the cohort's instructors and admins (an empty post shows the form).
    "exams:cohort_sittings": Route(get=COHORT_REPORT, post=COHORT_REPORT, kwargs=_cohort),
    "exams:sitting_cancel": Route(
        get=STAFF_POST_ONLY,
        post=by_role(LOGIN, 403, 403, REDIRECT, 404, REDIRECT),
        kwargs=lambda w: {"cohort_id": w.cohort.pk, "sitting_id": _sitting(w).pk},
    ),
    # Refused (not open yet, or not a member) with a redirect to the Exams page.
    "exams:sitting_start": Route(
        get=LOGGED_IN_POST_ONLY,
        post=LOGGED_IN_REDIRECT,
        kwargs=lambda w: {"sitting_id": _sitting(w).pk},
    ),
    # --- analytics -----------------------------------------------------------------------------
    "exams:key_correction": Route(
        get=STAFF, kwargs=_key_changed, query="policy=either&reason=x&preview=1"
    ),
    "exams:key_correction_apply": Route(get=STAFF_POST_ONLY, post=STAFF_REDIRECT, kwargs=_question),
    "exams:key_correction_detail": Route(get=STAFF, kwargs=_correction),
    "exams:key_correction_retry": Route(
        get=STAFF_POST_ONLY, post=STAFF_REDIRECT, kwargs=_correction
    ),
    "analytics:dashboard": Route(get=LOGGED_IN),
    # --- study ---------------------------------------------------------------------------------
    "study:review": Route(get=LOGGED_IN),
    # Nothing due in the world: refused with a redirect back to the review page.
    "study:review_start": Route(get=LOGGED_IN_POST_ONLY, post=LOGGED_IN_REDIRECT),
    # An empty post is the form again with its error.
    "study:retention": Route(get=LOGGED_IN_POST_ONLY, post=by_role(LOGIN, 400, 400, 400, 400, 400)),
    # The world's decks are empty: the download is refused with a redirect to the review page.
    "study:review_deck": Route(get=LOGGED_IN_REDIRECT),
    "analytics:item_index": Route(get=STAFF),
    "analytics:items": Route(get=STAFF, kwargs=_blueprint),
    "analytics:recompute": Route(get=STAFF_POST_ONLY, post=STAFF_REDIRECT, kwargs=_blueprint),
    "analytics:run": Route(get=STAFF, kwargs=lambda w: {"run_id": w.run.pk}),
    "analytics:cohorts": Route(get=STAFF),
    "analytics:cohort": Route(get=COHORT_REPORT, kwargs=_cohort),
    "analytics:cohort_csv": Route(get=COHORT_REPORT, kwargs=_cohort),
    "analytics:cohort_student": Route(
        get=COHORT_REPORT, kwargs=lambda w: {"cohort_id": w.cohort.pk, "user_id": w.student.pk}
    ),
    "analytics:cohort_readiness_csv": Route(get=COHORT_REPORT, kwargs=_cohort),
    "analytics:calibration": Route(get=STAFF),
    "analytics:calibrate_now": Route(get=STAFF_POST_ONLY, post=STAFF_REDIRECT),
    "analytics:calibration_run": Route(
        get=STAFF, kwargs=lambda w: {"run_id": w.calibration_run.pk}
    ),
    # Question reports: the bank's editors (any instructor); an empty post goes back refused.
    "analytics:question_reports": Route(get=STAFF),
    "analytics:question_report_resolve": Route(
        get=STAFF_POST_ONLY,
        post=STAFF_REDIRECT,
        kwargs=lambda w: {"report_id": _question_report(w).pk},
    ),
    "analytics:pretest": Route(get=STAFF),
    # Promoting needs analytics.view_item_analysis and questions.publish_question.
    # --- lti (tests/lti/world.py makes the records) --------------------------------------------
    "lti:platforms": Route(get=ADMIN_ONLY),
    "lti:platform_new": Route(get=ADMIN_ONLY, post=by_role(LOGIN, 403, 403, 403, 403, 400)),
    "lti:platform_edit": Route(
        get=ADMIN_ONLY, post=by_role(LOGIN, 403, 403, 403, 403, 400), kwargs=_lti_platform
    ),
    "lti:platform_active": Route(
        get=by_role(LOGIN, 403, 403, 403, 403, 405),
        post=by_role(LOGIN, 403, 403, 403, 403, REDIRECT),
        kwargs=_lti_platform,
    ),
    "lti:key_create": Route(
        get=by_role(LOGIN, 403, 403, 403, 403, 405),
        post=by_role(LOGIN, 403, 403, 403, 403, REDIRECT),
    ),
    "lti:jwks": Route(get=EVERYONE),
    # Cross-site protocol endpoints, csrf_exempt (CSRF_EXEMPT below): without the platform's
    # parameters, or its signed id_token, they refuse with a page.
    "lti:login": Route(get=same(400), post=same(400)),
    "lti:launch": Route(get=same(405), post=same(400)),
    # The deep-linking picker's answer, often posted from the LMS's frame (no cookies of ours):
    # csrf_exempt, its credential is the launch id in the form; without one, a page saying the
    # link expired (writes nothing), whoever asks.
    "lti:deep_link_return": Route(get=same(405), post=same(403)),
    "lti:courses": Route(get=by_role(LOGIN, 404, 404, 200, 200, 200)),
    "lti:course": Route(get=COHORT_PAGE, kwargs=_lti_course),
    "lti:course_sync": Route(
        get=LOGGED_IN_POST_ONLY,
        post=by_role(LOGIN, 404, 404, REDIRECT, 404, REDIRECT),
        kwargs=_lti_course,
    ),
    "lti:course_remove_departed": Route(
        get=LOGGED_IN_POST_ONLY,
        post=by_role(LOGIN, 404, 404, REDIRECT, 404, REDIRECT),
        kwargs=_lti_course,
    ),
    "lti:passback_resend": Route(
        get=LOGGED_IN_POST_ONLY,
        post=by_role(LOGIN, 404, 404, REDIRECT, 404, REDIRECT),
        kwargs=_lti_passback,
    ),
    "analytics:pretest_promote": Route(
        get=STAFF_POST_ONLY,
        post=STAFF_REDIRECT,
        kwargs=lambda w: {"question_id": w.pretest_question.pk},
    ),
}

# Cross-site LTI endpoints the platform posts to: csrf_exempt by the protocol (state cookie,
# nonce, the platform's signature instead; for the deep-linking answer, the single-use launch
# id); test_csrf.py checks they refuse forged requests.
CSRF_EXEMPT = frozenset({"lti:login", "lti:launch", "lti:deep_link_return"})

# Views that accept a POST which changes state (test_csrf.py must cover each of them).
STATE_CHANGING = frozenset(
    name for name, route in MATRIX.items() if route.post is not None and name not in CSRF_EXEMPT
)


@dataclass(frozen=True)
class Pattern:
    route: str  # the full route, as ResolverMatch.route spells it
    name: str | None  # "namespace:name"


def _join(route1: str, route2: str) -> str:
    # The same joining as django.urls.resolvers._join_route, so routes compare equal.
    if route2.startswith("^"):
        route2 = route2[1:]
    return route1 + route2


def walk(resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""):
    """Yield every URL pattern of the project, recursively through includes."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = _join(prefix, str(entry.pattern))
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry, route, inner)
        elif isinstance(entry, URLPattern):
            yield Pattern(route, f"{namespace}{entry.name}" if entry.name else None)
