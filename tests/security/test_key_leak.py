"""No response a student can get while an attempt is open gives its key away.

The requests come from the permission matrix: every URL the student may GET (following
redirects, so resume lands on the question page), every state-changing URL the student may POST
that does not end the attempt, the autosave and flag endpoints for every item both as JSON and
as the page's own buttons (every `go` value), and the review filters. Every body is searched for
the explanation and rationale texts of the open attempt's items, for any HTML attribute that
mentions correctness (`data-correct="true"`, a `correct` class), for "Correct answer" and
"Explanation" text, and for JSON keys about correctness.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from exams.services import attempt_start, attempt_submit
from questions.services import question_create
from tests.factories.questions import question_data

from .conftest import World, build_world
from .urlmatrix import MATRIX, REDIRECT

pytestmark = pytest.mark.django_db

# POSTs that end or leave the attempt (or the session): sent last, or not at all.
ENDS_THE_ATTEMPT = {"exams:submit", "logout", "password_change"}
PER_ITEM = {"exams:answer", "exams:flag", "exams:eliminate"}  # sent for every item below
GO_VALUES = ("", "next", "prev", "review", "submit", "flag", "check", "first", "last")
CORRECTNESS = re.compile(r"correct|rationale|explanation|answer[-_]?key", re.IGNORECASE)
TEXT_MARKERS = ("Correct answer", "Explanation", "Rationale", "is_correct")


def _secret_question(n: int):
    data = question_data(domain=("Deployment", "Security", "Refactoring")[n % 3])
    data["explanation"] = f"Secret explanation {n} zq{n}x."
    for i, option in enumerate(data["options"]):
        option["rationale"] = f"Secret rationale {n}-{i} zr{n}y{i}."
    return question_create(data=data, author=None, status="published")


@pytest.fixture
def leak_world(db) -> World:
    """The security world, with the student's open attempt on questions of its own.

    The finished attempt is on other questions, so its score report (which rightly shows keys)
    cannot be mistaken for a leak of the open attempt.
    """
    world = build_world()
    student = world.student
    questions = [_secret_question(n) for n in range(world.blueprint.question_count)]
    # The world's open attempt is finished too: one more score report that must not leak.
    attempt_submit(user=student, attempt_id=world.attempt.pk)
    attempt = attempt_start(
        user=student,
        blueprint=world.blueprint,
        question_ids=[q.pk for q in questions],
        rng=random.Random(2),
    )
    assert attempt.state == "in_progress"
    return dataclasses.replace(world, attempt=attempt)


def _secrets(attempt) -> set[str]:
    secrets = set()
    for item in attempt.items.select_related("version").prefetch_related("version__options"):
        secrets |= {item.version.explanation.strip(), item.version.explanation_html.strip()}
        for option in item.version.options.all():
            secrets |= {option.rationale.strip(), option.rationale_html.strip()}
    return {s for s in secrets if s}


class _Attributes(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if CORRECTNESS.search(name) or (value and CORRECTNESS.search(value)):
                self.found.append(f'<{tag} {name}="{value}">')


def leaks(body: str, content_type: str, secrets: set[str], *, markers: bool = True) -> list[str]:
    """Everything in a response body that would reveal the open attempt's key.

    With `markers` off only the open attempt's own texts count: pages about finished
    attempts (score reports, the dashboard) rightly speak of correctness.
    """
    found = [f"text {s!r}" for s in secrets if s in body]
    if not markers:
        return found
    if "json" in content_type:
        keys = re.findall(r'"([^"]+)"\s*:', body)
        found += [f"JSON key {k!r}" for k in keys if CORRECTNESS.search(k)]
        body = json.dumps(json.loads(body))  # the values' texts are searched below too
    else:
        parser = _Attributes()
        parser.feed(body)
        found += [f"attribute {a}" for a in parser.found]
    found += [f"text {m!r}" for m in TEXT_MARKERS if m in body]
    return found


def test_the_detector_finds_what_it_looks_for():
    secrets = {"Secret explanation 1 zq1x."}
    assert leaks('<li data-correct="true">A</li>', "text/html", set())
    assert leaks('<li class="option is-correct">A</li>', "text/html", set())
    assert leaks("<p>Secret explanation 1 zq1x.</p>", "text/html", secrets)
    assert leaks('{"ok": true, "correct": false}', "application/json", set())
    assert leaks("<p>Correct answer: B</p>", "text/html", set())
    assert not leaks('<li data-option="7" class="option">A</li>', "text/html", secrets)


def _student_requests(world: World):
    """(label, method, url, data, headers) for everything the student may send mid-attempt."""
    json_headers = {"HTTP_ACCEPT": "application/json"}
    for name, route in sorted(MATRIX.items()):
        kwargs = route.kwargs(world) if route.kwargs else {}
        url = reverse(name, kwargs=kwargs)
        if route.get["student"] in (200, REDIRECT):
            yield name, "get", url, {}, {}
            yield f"{name} (JSON)", "get", url, {}, json_headers
        posts = route.post and route.post["student"] in (200, REDIRECT, 400)
        if posts and name not in ENDS_THE_ATTEMPT | PER_ITEM:
            yield f"POST {name}", "post", url, {}, {}
            yield f"POST {name} (JSON)", "post", url, {}, json_headers
    for show in ("all", "unanswered", "flagged"):
        yield (
            f"review {show}",
            "get",
            reverse("exams:review", args=[world.attempt.pk]),
            {"show": show},
            {},
        )
    for seq, item in enumerate(world.attempt.items.order_by("position"), start=1):
        args = [world.attempt.pk, item.position]
        answer, flag = reverse("exams:answer", args=args), reverse("exams:flag", args=args)
        yield "question", "get", reverse("exams:question", args=args), {}, {}
        option = {"option": item.option_order[0], "seq": seq * 100}
        yield "autosave", "post", answer, option, json_headers
        for n, go in enumerate(GO_VALUES):
            yield (
                f"page button go={go}",
                "post",
                answer,
                {**option, "seq": seq * 100 + n, "go": go},
                {},
            )
        yield "flag", "post", flag, {"flagged": "true"}, json_headers
        yield "flag button", "post", flag, {"flagged": "false"}, {}
        if "exams:eliminate" in MATRIX:
            strike = reverse("exams:eliminate", args=args)
            struck = {"option": item.option_order[-1], "eliminated": "true"}
            yield "eliminate", "post", strike, struck, json_headers
            yield "eliminate button", "post", strike, {**struck, "eliminated": "false"}, {}
    yield "resume", "get", reverse("exams:resume", args=[world.attempt.pk]), {}, {}
    yield "dashboard", "get", reverse("analytics:dashboard"), {}, {}


def test_no_response_to_the_student_during_an_open_attempt_reveals_the_key(leak_world):
    world = leak_world
    secrets = _secrets(world.attempt)
    assert len(secrets) >= 5 * 5
    client = world.client_for("student")
    client.raise_request_exception = False
    found, sent = [], 0
    # Pages about finished work: the dashboard, and the Anki decks of missed and carded
    # questions (they show keys, but never of the open attempt's questions: its texts still
    # count as leaks there).
    finished_pages = {
        reverse("analytics:dashboard"),
        reverse("exams:missed_anki"),
        reverse("study:review_deck"),
    } | {
        reverse("exams:results", args=[pk])
        for pk in world.student.attempts.exclude(pk=world.attempt.pk).values_list("pk", flat=True)
    }
    for label, method, url, data, headers in _student_requests(world):
        response = getattr(client, method)(url, data, follow=True, **headers)
        sent += 1
        assert response.status_code < 500, (label, url, response.status_code)
        body = response.content.decode(errors="replace")
        path = response.request["PATH_INFO"]  # after redirects
        about_the_open_attempt = path not in finished_pages
        content_type = response.get("Content-Type", "")
        for leak in leaks(body, content_type, secrets, markers=about_the_open_attempt):
            found.append(f"{label} {method.upper()} {url}: {leak}")
    world.attempt.refresh_from_db()
    assert world.attempt.state == "in_progress", "the requests must not have ended the attempt"
    assert sent > 50
    assert not found, "\n".join(sorted(set(found)))

    # The control: once submitted, the same detector finds the key on the score report.
    client.post(reverse("exams:submit", args=[world.attempt.pk]))
    results = client.get(reverse("exams:results", args=[world.attempt.pk]))
    assert leaks(results.content.decode(), results["Content-Type"], secrets)
