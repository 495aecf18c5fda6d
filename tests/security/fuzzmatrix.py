"""Hostile input values and the request fields each URL reads, for tests/security/test_fuzz.py.

QUERY_PARAMS lists, per URL name of urlmatrix.MATRIX, the query parameters its view reads
(`request.GET`, including helpers such as the bank filters and the report filters). POST_FIELDS
lists the POST fields a view reads that no rendered form on the project's pages shows (fields
sent by JavaScript or by a button's name). The fuzz test adds every field it finds in the
rendered forms, and fails when a rendered GET form has a field the list here lacks, or when a
URL of the matrix has no entry: a new URL or parameter cannot escape the fuzzing.
"""

from __future__ import annotations

# Values that broke views before (issue #9): Unicode digits that pass str.isdigit() but not
# int(), numbers too large for a PostgreSQL integer or bigint, negative numbers, NUL (which
# PostgreSQL refuses in text), and a right-to-left override character.
HOSTILE: dict[str, str] = {
    "superscript": "²",
    "huge": "9" * 30,
    "bigint+1": str(2**63),
    "negative": "-1",
    "huge negative": "-" + "9" * 20,
    "minutes": "9999999999999",
    "nul": "a\x00b",
    "rtl override": "\u202etxt.exe",
}

# File contents for upload fields, next to each hostile value as a file.
HOSTILE_FILES: dict[str, tuple[str, bytes]] = {
    "deeply nested json": ("deep.json", b"[" * 100_000),
    "aiken with 27 options": (
        "many.txt",
        (
            "Which one?\n"
            + "".join(f"{chr(65 + n) if n < 26 else 'AA'}. option {n}\n" for n in range(27))
            + "ANSWER: A\n"
        ).encode(),
    ),
    "nul in csv": ("nul.csv", b"stem,a,b\x00\n"),
    "csv with correct=²": (
        "super.csv",
        "key,kind,stem,option_1,option_2,correct,domain_dva_c01\n"
        "k1,multiple_choice,Which one?,A,B,²,Deployment\n".encode(),
    ),
    "not utf-8": ("latin.json", "caf\xe9".encode("latin-1")),
}

BANK_FILTERS = ("guide", "domain", "kind", "status", "tag", "q", "task_statement", "needs_review")
REPORT_FILTERS = ("blueprint", "start", "end")

QUERY_PARAMS: dict[str, tuple[str, ...]] = {
    "home": (),
    "healthz": (),
    "metrics": (),
    "bench_floor": (),
    "login": ("next",),
    "logout": ("next",),
    "password_change": (),
    "password_change_done": (),
    "password_reset": (),
    "password_reset_done": (),
    "password_reset_confirm": (),
    "password_reset_complete": (),
    "accounts:sign_up": (),
    "accounts:people": ("q", "role", "page"),
    "accounts:person_edit": (),
    "accounts:cohorts": (),
    "accounts:cohort_new": (),
    "accounts:cohort_detail": (),
    "accounts:cohort_edit": (),
    "questions:list": (*BANK_FILTERS, "page"),
    "questions:bulk": (),
    "questions:create": (),
    "questions:import": (),
    "questions:import_mapping": (),
    "questions:import_mapping_download": (),
    "questions:import_mapping_delete": (),
    "questions:export": ("format", *BANK_FILTERS),
    "questions:export_anki": BANK_FILTERS,
    "exams:missed_anki": (),
    "questions:coverage": (),
    "questions:due_for_review": ("page",),
    "questions:detail": (),
    "questions:edit": (),
    "questions:diff": ("a", "b"),
    "questions:status": (),
    "questions:delete": (),
    "exams:list": (),
    "exams:attempts": (),
    "exams:custom_quiz": ("guide",),
    "exams:start": (),
    "exams:resume": (),
    "exams:question": (),
    "exams:answer": (),
    "exams:flag": (),
    "exams:state": (),
    "exams:review": ("show",),
    "exams:submit": (),
    "exams:submitted": (),
    "exams:results": ("show", "domain"),
    "exams:eliminate": (),
    "exams:text_size": (),
    "analytics:retry_missed": (),
    "exams:report_question": (),
    "exams:audit": ("user", "kind", "attempt", "page"),
    "exams:blueprints": (),
    "exams:blueprint_new": (),
    "exams:blueprint_edit": (),
    "exams:cohort_sittings": (),
    "exams:sitting_cancel": (),
    "exams:sitting_start": (),
    "exams:key_correction": ("policy", "reason", "preview"),
    "exams:key_correction_apply": (),
    "exams:key_correction_detail": (),
    "exams:key_correction_retry": (),
    "analytics:dashboard": ("guide",),
    "study:review": (),
    "study:review_start": (),
    "study:retention": (),
    "study:review_deck": (),
    "analytics:item_index": (),
    "analytics:items": ("show",),
    "analytics:recompute": (),
    "analytics:run": (),
    "analytics:cohorts": (),
    "analytics:cohort": REPORT_FILTERS,
    "analytics:cohort_csv": REPORT_FILTERS,
    "analytics:cohort_student": ("guide",),
    "analytics:cohort_readiness_csv": ("guide",),
    "analytics:calibration": (),
    "analytics:calibrate_now": (),
    "analytics:calibration_run": (),
    "analytics:question_reports": ("status", "order", "page"),
    "analytics:question_report_resolve": (),
    "analytics:pretest": (),
    "analytics:pretest_promote": (),
    "lti:platforms": (),
    "lti:platform_new": (),
    "lti:platform_edit": (),
    "lti:platform_active": (),
    "lti:key_create": (),
    "lti:jwks": (),
    # The OIDC login initiation reads the platform's parameters from the query (GET) or form.
    "lti:login": (
        "iss",
        "login_hint",
        "target_link_uri",
        "client_id",
        "lti_message_hint",
        "lti_deployment_id",
    ),
    "lti:launch": (),
    "lti:deep_link_return": (),
    "lti:courses": (),
    "lti:course": (),
    "lti:course_sync": (),
    "lti:course_remove_departed": (),
    "lti:passback_resend": (),
}

# POST fields read by views but absent from the rendered forms (or only a button's name).
POST_FIELDS: dict[str, tuple[str, ...]] = {
    "exams:answer": ("option", "seq", "go", "nav_only", "confidence"),
    "exams:flag": ("flagged",),
    "exams:eliminate": ("option", "eliminated"),
    "exams:text_size": ("size", "next"),
    "exams:submit": ("auto",),
    "exams:key_correction_apply": ("policy", "reason", "version"),
    "questions:bulk": ("action", "selected", "query"),
    "questions:import_mapping": ("action",),
    "questions:status": ("status",),
    "analytics:question_report_resolve": ("decision", "reply"),
    "logout": ("next",),
    "login": ("next",),
    "lti:login": ("iss", "login_hint", "target_link_uri", "client_id", "lti_message_hint"),
    "lti:launch": ("id_token", "state"),
    "lti:deep_link_return": ("launch_id", "blueprint"),
}

# Where the forms posting to a URL are rendered, when not on the URL's own page. The fuzz test
# reads the forms from these pages; test_every_form_is_on_a_page_the_fuzz_test_reads checks
# the list against every form of every page.
FORM_PAGES: dict[str, tuple[str, ...]] = {
    "logout": ("home",),  # and on every page of a logged-in user (ON_EVERY_PAGE)
    "exams:start": ("exams:list", "analytics:dashboard"),
    "exams:sitting_start": ("exams:list",),
    "exams:sitting_cancel": ("exams:cohort_sittings",),
    "exams:answer": ("exams:question",),
    "exams:flag": ("exams:question",),
    "exams:submit": ("exams:submit", "exams:question", "exams:review"),
    "exams:eliminate": ("exams:question",),
    "exams:text_size": ("exams:question", "exams:review", "exams:submit"),
    "analytics:retry_missed": ("analytics:dashboard",),
    "study:review_start": ("study:review", "analytics:dashboard"),
    "study:retention": ("study:review",),
    "questions:bulk": ("questions:list",),
    "questions:status": ("questions:detail",),
    "questions:delete": ("questions:detail",),
    "analytics:recompute": ("analytics:items",),
    "exams:key_correction_apply": ("exams:key_correction",),
    "exams:key_correction_retry": ("exams:key_correction_detail",),
    "analytics:calibrate_now": ("analytics:calibration",),
    "analytics:pretest_promote": ("analytics:pretest",),
    "exams:report_question": ("exams:results",),
    "analytics:question_report_resolve": ("analytics:question_reports",),
    "lti:platform_active": ("lti:platforms",),
    "lti:key_create": ("lti:platforms", "lti:platform_new", "lti:platform_edit"),
    "lti:course_sync": ("lti:course",),
    "lti:course_remove_departed": ("lti:course",),
    "lti:passback_resend": ("lti:course",),
}

# Forms in the page frame (templates/base.html): the same form on every page.
ON_EVERY_PAGE = frozenset({"logout"})

# Endpoints the exam page calls with fetch(): fuzzed with Accept: application/json as well.
JSON_ENDPOINTS = frozenset(
    {"exams:answer", "exams:flag", "exams:state", "exams:eliminate", "exams:text_size"}
)

# POSTs after which the client is no longer the same user (a fresh client for each).
ENDS_THE_SESSION = frozenset({"logout", "login", "password_change", "password_reset_confirm"})
