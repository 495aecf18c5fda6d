"""Security headers and what rendered pages load: every HTML page type of the project.

`manage.py check --deploy` is tested in tests/test_settings_and_health.py and not repeated.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import reverse

from exams.models import Blueprint
from exams.services import attempt_start
from questions.services import question_create
from tests.factories.accounts import PASSWORD
from tests.factories.questions import question_data

from .conftest import ROLES, World
from .urlmatrix import MATRIX

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
ALLOWED_LINK_HOSTS = {"testserver", "docs.aws.amazon.com"}
EVIL = "https://evil.example/x.js"
HOSTILE = f'<script src="{EVIL}"></script><img src=x onerror="alert(1)">'
HOSTILE_MARKDOWN = (
    f"{HOSTILE} [docs](javascript:alert(1)) ![pixel](https://evil.example/p.png) "
    f'<iframe src="{EVIL}">'
)
# Attributes through which a page loads something (a link only navigates).
LOADS = {
    "script": "src",
    "link": "href",
    "img": "src",
    "iframe": "src",
    "frame": "src",
    "embed": "src",
    "object": "data",
    "source": "src",
    "video": "src",
    "audio": "src",
    "track": "src",
    "form": "action",
    "base": "href",
}


class PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_scripts: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "script" and not attrs.get("src"):
            self.inline_scripts.append(attrs)


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def header_problems(response) -> list[str]:
    problems = []
    header = response.headers.get("Content-Security-Policy")
    if not header:
        return ["no Content-Security-Policy header"]
    csp = csp_directives(header)
    if "'self'" not in csp.get("default-src", []):
        problems.append("default-src lacks 'self'")
    if "'unsafe-eval'" in header:
        problems.append("'unsafe-eval' is allowed")
    script = csp.get("script-src")
    if script is None:
        problems.append("no script-src")
    else:
        if "'self'" not in script:
            problems.append("script-src lacks 'self'")
        loose = [s for s in script if s not in ("'self'", "'none'") and not s.startswith("'nonce-")]
        if loose:
            problems.append(f"script-src allows {loose}")
    if csp.get("object-src") != ["'none'"]:
        problems.append("object-src is not 'none'")
    framing_denied = response.headers.get("X-Frame-Options", "").upper() == "DENY" or csp.get(
        "frame-ancestors"
    ) == ["'none'"]
    if not framing_denied:
        problems.append("the page may be framed (no X-Frame-Options DENY / frame-ancestors)")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if not response.headers.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    return problems


def _external_host(url: str) -> str | None:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") or url.startswith("//"):
        return parts.hostname
    return None


def body_problems(body: str) -> list[str]:
    parser = PageParser()
    parser.feed(body)
    problems = []
    for tag, attrs in parser.tags:
        if tag in LOADS:
            host = _external_host(attrs.get(LOADS[tag]) or "")
            if host and host != "testserver":
                problems.append(f"<{tag}> loads from {host}")
        if tag == "a":
            host = _external_host(attrs.get("href") or "")
            if host and host not in ALLOWED_LINK_HOSTS:
                problems.append(f"<a> links to third-party host {host}")
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"inline event handler {name} on <{tag}> (blocked by the CSP)")
            if name in ("href", "src", "action", "formaction") and (
                value or ""
            ).strip().lower().startswith(("javascript:", "data:text/html")):
                problems.append(f"<{tag} {name}={value!r}>")
    for attrs in parser.inline_scripts:
        if attrs.get("type") not in ("application/json", "application/ld+json"):
            problems.append(f"inline <script {attrs}> (blocked by script-src 'self')")
    return problems


def _check(label: str, response, wrong: list[str]) -> None:
    for problem in header_problems(response):
        wrong.append(f"{label}: {problem}")
    if response.get("Content-Type", "").startswith("text/html"):
        for problem in body_problems(response.content.decode()):
            wrong.append(f"{label}: {problem}")


def _make_hostile(world: World) -> None:
    """Put markup in every string users can set, so escaping mistakes show up as problems."""
    for role in ("student", "other_student", "instructor"):
        user = world.users[role]
        user.first_name = f"Eve{HOSTILE}"[:150]
        user.last_name = HOSTILE[:150]
        user.save()
    world.cohort.name = f"Cohort {HOSTILE}"[:120]
    world.cohort.save()
    world.blueprint.title = f"Exam {HOSTILE}"
    world.blueprint.description = HOSTILE_MARKDOWN
    world.blueprint.save()


def _pages(world: World):
    """(label, role, url) for one request per GET pattern, as the most capable role allowed."""
    for name, route in sorted(MATRIX.items()):
        kwargs = route.kwargs(world) if route.kwargs else {}
        for role in reversed(ROLES):
            if route.get[role] == 200:
                yield name, role, reverse(name, kwargs=kwargs)
                break


def test_the_crawl_covers_the_html_pages_of_the_project(world):
    names = {name for name, _, _ in _pages(world)}
    assert len(names) >= 35
    for expected in ("home", "exams:question", "questions:detail", "analytics:cohort"):
        assert expected in names


def test_every_page_sends_the_security_headers_and_loads_nothing_third_party(world):
    _make_hostile(world)
    wrong, html_pages = [], 0
    for name, role, url in _pages(world):
        response = world.client_for(role).get(url)
        assert response.status_code == 200, (name, role, response.status_code)
        html_pages += response.get("Content-Type", "").startswith("text/html")
        _check(f"{name} as {role} ({url})", response, wrong)
    assert html_pages >= 30
    assert not wrong, "\n".join(wrong)


def test_hostile_question_content_is_neutralised_on_every_page_that_shows_it(world):
    data = question_data(stem=f"Which service should the developer use? {HOSTILE_MARKDOWN}")
    data["explanation"] += f" {HOSTILE_MARKDOWN}"
    data["options"][0]["text"] += " " + HOSTILE
    data["options"][1]["rationale"] = HOSTILE_MARKDOWN
    question = question_create(data=data, author=world.instructor, status="published")
    practice = Blueprint.objects.get(slug="quick-practice")
    attempt = attempt_start(user=world.student, blueprint=practice, question_ids=[question.pk])
    student = world.client_for("student")
    instructor = world.client_for("instructor")
    wrong = []
    pages = [
        ("question detail", instructor, reverse("questions:detail", args=[question.pk])),
        ("question list", instructor, reverse("questions:list")),
        ("question edit", instructor, reverse("questions:edit", args=[question.pk])),
        ("exam question", student, reverse("exams:question", args=[attempt.pk, 1])),
    ]
    for label, client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, label
        if label != "question list":  # the list shows only part of the stem
            assert "&lt;script" in response.content.decode(), label  # shown, but as text
        _check(label, response, wrong)
    item = attempt.items.get()
    student.post(
        reverse("exams:answer", args=[attempt.pk, 1]),
        {"option": item.option_order[0], "seq": 1, "go": "check"},
    )
    checked = student.get(reverse("exams:question", args=[attempt.pk, 1]))
    _check("checked practice question", checked, wrong)
    student.post(reverse("exams:submit", args=[attempt.pk]))
    results = student.get(reverse("exams:results", args=[attempt.pk]))
    assert results.status_code == 200
    _check("results", results, wrong)
    assert "&lt;script" in results.content.decode()
    assert not wrong, "\n".join(wrong)


def test_error_and_lockout_pages_send_the_headers_too(world, settings):
    wrong = []
    anon = world.client_for("anon")
    not_found = anon.get("/no-such-page/")
    assert not_found.status_code == 404
    _check("404 page", not_found, wrong)
    forbidden = world.client_for("student").get(reverse("accounts:people"))
    assert forbidden.status_code == 403
    _check("403 page", forbidden, wrong)
    from django.test import Client

    csrf = Client(enforce_csrf_checks=True).post(reverse("login"), {})
    assert csrf.status_code == 403
    _check("CSRF failure page", csrf, wrong)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        anon.post(reverse("login"), {"username": world.student.username, "password": "wrong"})
    locked = anon.post(reverse("login"), {"username": world.student.username, "password": PASSWORD})
    assert locked.status_code == 429
    _check("lock-out page", locked, wrong)
    assert not wrong, "\n".join(wrong)


def test_the_django_admin_pages_send_the_headers_too(world):
    client = world.client_for("anon")
    wrong = []
    _check("admin login", client.get(reverse("admin:login")), wrong)
    client.force_login(world.superuser)
    for url in (
        reverse("admin:index"),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_cohort_change", args=[world.cohort.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        wrong += [f"{url}: {p}" for p in header_problems(response)]
    assert not wrong, "\n".join(wrong)


def test_json_and_csv_responses_are_not_sniffed_as_html(world):
    student = world.client_for("student")
    responses = {
        "attempt state": student.get(reverse("exams:state", args=[world.attempt.pk])),
        "healthz": world.client_for("anon").get(reverse("healthz")),
        "cohort csv": world.client_for("instructor").get(
            reverse("analytics:cohort_csv", args=[world.cohort.pk])
        ),
        "question export": world.client_for("instructor").get(reverse("questions:export")),
    }
    for label, response in responses.items():
        assert response.status_code == 200, label
        assert not response["Content-Type"].startswith("text/html"), label
        assert response.headers.get("X-Content-Type-Options") == "nosniff", label
    for label in ("cohort csv", "question export"):
        assert responses[label]["Content-Disposition"].startswith("attachment;"), label


def test_the_project_javascript_and_templates_need_no_eval_or_inline_code():
    """What the CSP forbids must not be needed: eval-like calls and htmx's eval features."""
    wrong = []
    for path in sorted((REPO / "static" / "js").glob("*.js")):
        text = path.read_text()
        for pattern in (
            r"\beval\s*\(",
            r"new\s+Function\s*\(",
            r"set(?:Timeout|Interval)\(\s*['\"]",
        ):
            if re.search(pattern, text):
                wrong.append(f"{path.name}: {pattern}")
    for path in sorted((REPO / "templates").rglob("*.html")):
        text = path.read_text()
        for pattern in (r"\bhx-on\b", r"\bhx-on:", r"\bhx-vars\b", r"js:", r"\son[a-z]+\s*="):
            if re.search(pattern, text):
                wrong.append(f"{path.relative_to(REPO)}: {pattern}")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            wrong.append(f"{path.relative_to(REPO)}: an inline <script>")
    assert not wrong, "\n".join(wrong)


def test_no_setting_relaxes_the_policy(client):
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
    header = client.get(reverse("healthz")).headers["Content-Security-Policy"]
    if policy is not None:
        assert header == policy
    assert "'unsafe-inline'" not in csp_directives(header)["script-src"]
    assert settings.X_FRAME_OPTIONS == "DENY"


def test_the_checks_themselves_catch_what_they_look_for():
    from django.http import HttpResponse

    bad_body = (
        '<script src="https://cdn.example.com/lib.js"></script>'
        '<link rel="stylesheet" href="//fonts.example.net/x.css">'
        "<script>alert(1)</script>"
        '<button onclick="go()">x</button>'
        '<a href="javascript:alert(1)">x</a>'
        '<a href="https://tracker.example.org/">x</a>'
        '<a href="https://docs.aws.amazon.com/lambda/">fine</a>'
        '<script id="d" type="application/json">{"fine": true}</script>'
    )
    problems = body_problems(bad_body)
    assert len(problems) == 6, problems
    assert body_problems('<script src="/static/x.js"></script><a href="/x/">ok</a>') == []

    loose = HttpResponse()
    loose["Content-Security-Policy"] = (
        "default-src *; script-src 'self' 'unsafe-inline' 'unsafe-eval' https://cdn.example.com"
    )
    problems = header_problems(loose)
    for expected in ("default-src", "unsafe-eval", "script-src allows", "object-src", "framed"):
        assert any(expected in p for p in problems), (expected, problems)
