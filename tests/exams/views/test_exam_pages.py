import random

import pytest
from django.urls import reverse

from exams.models import Attempt, Blueprint
from exams.services import attempt_start
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db


@pytest.fixture
def blueprint():
    return short_blueprint()


@pytest.fixture
def attempt(student, blueprint):
    make_bank(per_domain=6)
    return attempt_start(user=student, blueprint=blueprint, rng=random.Random(3))


def _secrets(attempt):
    """Every text that would give the key away if served while the attempt is open."""
    secrets = set()
    for item in attempt.items.select_related("version").prefetch_related("version__options"):
        secrets.add(item.version.explanation_html.strip())
        for option in item.version.options.all():
            if option.rationale_html.strip():
                secrets.add(option.rationale_html.strip())
    return secrets


def test_no_response_during_an_open_attempt_contains_keys_or_explanations(client, student, attempt):
    client.force_login(student)
    responses = [client.get(reverse("exams:list")), client.get(reverse("exams:attempts"))]
    for item in attempt.items.all():
        url = reverse("exams:question", args=[attempt.pk, item.position])
        responses.append(client.get(url))
        responses.append(
            client.post(
                reverse("exams:answer", args=[attempt.pk, item.position]),
                {"option": item.option_order[0], "seq": 1},
                HTTP_ACCEPT="application/json",
            )
        )
        responses.append(
            client.post(
                reverse("exams:flag", args=[attempt.pk, item.position]),
                {"flagged": "true"},
                HTTP_ACCEPT="application/json",
            )
        )
    responses.append(client.get(reverse("exams:review", args=[attempt.pk])))
    responses.append(client.get(reverse("exams:review", args=[attempt.pk]) + "?show=flagged"))
    responses.append(client.get(reverse("exams:submit", args=[attempt.pk])))
    responses.append(client.get(reverse("exams:state", args=[attempt.pk])))
    responses.append(client.get(reverse("exams:results", args=[attempt.pk]), follow=True))
    secrets = _secrets(attempt)
    assert secrets
    for response in responses:
        body = response.content.decode()
        assert response.status_code in (200, 302), response
        for secret in secrets:
            assert secret not in body
        for marker in ("is_correct", 'correct":', "Correct answer", "Explanation", "rationale"):
            assert marker not in body, (marker, response.request["PATH_INFO"])
    client.post(reverse("exams:submit", args=[attempt.pk]))
    results = client.get(reverse("exams:results", args=[attempt.pk])).content.decode()
    assert any(secret in results for secret in secrets)


def test_another_student_gets_404_for_read_save_flag_and_submit(client, other_student, attempt):
    client.force_login(other_student)
    urls = [
        ("get", reverse("exams:question", args=[attempt.pk, 1])),
        ("get", reverse("exams:review", args=[attempt.pk])),
        ("get", reverse("exams:results", args=[attempt.pk])),
        ("get", reverse("exams:state", args=[attempt.pk])),
        ("post", reverse("exams:answer", args=[attempt.pk, 1])),
        ("post", reverse("exams:flag", args=[attempt.pk, 1])),
        ("post", reverse("exams:submit", args=[attempt.pk])),
    ]
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 404, url
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.IN_PROGRESS


def test_autosave_json_and_refusal_after_submit(client, student, attempt):
    client.force_login(student)
    item = attempt.items.first()
    url = reverse("exams:answer", args=[attempt.pk, item.position])
    ok = client.post(
        url, {"option": item.option_order[0], "seq": 3}, HTTP_ACCEPT="application/json"
    )
    assert ok.json() == {"ok": True, "seq": 3, "position": item.position}
    bad = client.post(url, {"option": "x", "seq": 4}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 400
    client.post(reverse("exams:submit", args=[attempt.pk]))
    late = client.post(
        url, {"option": item.option_order[1], "seq": 5}, HTTP_ACCEPT="application/json"
    )
    assert late.status_code == 409
    assert "already been submitted" in late.json()["error"]


def test_page_buttons_save_and_navigate_without_javascript(client, student, attempt):
    client.force_login(student)
    item = attempt.items.get(position=2)
    response = client.post(
        reverse("exams:answer", args=[attempt.pk, 2]),
        {"option": item.option_order[0], "seq": 1, "go": "next"},
    )
    assert response.url == reverse("exams:question", args=[attempt.pk, 3])
    assert item.selections.count() == 1
    resume = client.get(reverse("exams:resume", args=[attempt.pk]))
    assert resume.url == reverse("exams:question", args=[attempt.pk, 2])


def test_question_page_has_the_exam_interface_contract(client, student, attempt):
    client.force_login(student)
    body = client.get(reverse("exams:question", args=[attempt.pk, 1])).content.decode()
    for text in (
        'role="timer"',
        ">Previous</button>",
        ">Next</button>",
        'aria-label="Flag for review"',
        'aria-pressed="false"',
        ">Review answers</button>",
        ">Submit exam</button>",
    ):
        assert text in body


def test_bank_too_small_shows_a_message_not_an_error_page(client, student, blueprint):
    client.force_login(student)
    response = client.post(reverse("exams:start", args=[blueprint.slug]), follow=True)
    assert response.status_code == 200
    assert "cannot fill" in response.content.decode()
    assert not Attempt.objects.exists()


def test_instructor_sees_why_a_blueprint_cannot_be_filled(client, instructor, blueprint):
    client.force_login(instructor)
    body = client.get(reverse("exams:blueprint_edit", args=[blueprint.pk])).content.decode()
    assert "cannot fill" in body
    assert client.get(reverse("exams:blueprints")).status_code == 200


def test_students_cannot_edit_blueprints(client, student, blueprint):
    client.force_login(student)
    assert client.get(reverse("exams:blueprints")).status_code == 403


def test_practice_mode_shows_feedback_after_checking(client, student):
    make_bank(per_domain=6)
    blueprint = Blueprint.objects.get(slug="quick-practice")
    Blueprint.objects.filter(pk=blueprint.pk).update(question_count=10)
    blueprint.refresh_from_db()
    client.force_login(student)
    attempt = attempt_start(user=student, blueprint=blueprint)
    item = attempt.items.select_related("version").get(position=1)
    page = client.get(reverse("exams:question", args=[attempt.pk, 1])).content.decode()
    assert item.version.explanation_html.strip() not in page
    client.post(
        reverse("exams:answer", args=[attempt.pk, 1]),
        {"option": item.option_order[0], "seq": 1, "go": "check"},
    )
    page = client.get(reverse("exams:question", args=[attempt.pk, 1])).content.decode()
    assert item.version.explanation_html.strip() in page
    assert "Check answer" not in page
    # The checked item is locked; its buttons still navigate.
    moved = client.post(
        reverse("exams:answer", args=[attempt.pk, 1]), {"seq": 2, "go": "review", "nav_only": "1"}
    )
    assert moved.url == reverse("exams:review", args=[attempt.pk])
    changed = client.post(
        reverse("exams:answer", args=[attempt.pk, 1]),
        {"option": item.option_order[1], "seq": 3},
        HTTP_ACCEPT="application/json",
    )
    assert changed.status_code == 400 and "already checked" in changed.json()["error"]
