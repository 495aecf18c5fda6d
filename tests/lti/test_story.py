"""One instructor's story through the integrations, as the issue's "Done when" tells it.

An instructor opens the tool from the LMS course, brings a real Moodle GIFT export (three-option
and true/false questions) and another tool's JSON question set, exports the bank as a QTI 3.0
package that validates and imports back identically, places an exam in the course; a learner
launches it, submits, and the platform receives the grade; the instructor syncs the roster.
Every step runs through the pages (django.test.Client) and the real LTI platform library on
127.0.0.1 (tests/lti/platform.py); the unit-level tests of each part live beside their code.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from lti_tool.models import LtiContext

from accounts.selectors import user_roles
from exams.models import Attempt
from exams.services import attempt_submit
from lti.models import CourseCohort, GradePassback
from questions import formats
from questions.models import Question
from questions.services import question_delete
from tests.factories.exams import short_blueprint
from tests.factories.questions import bank_as_data, make_bank
from tests.lti.flow import answer_all, instructor_launch, learner_launch, place_exam
from tests.questions import qti_schemas

pytestmark = pytest.mark.django_db

QUESTIONS = Path(__file__).resolve().parent.parent / "questions"
MOODLE_GIFT = QUESTIONS / "fixtures" / "moodle_export.gift"
FOREIGN_JSON = QUESTIONS / "formats" / "files" / "foreign_aws.json"


def _upload(client, name: str, body: bytes):
    return client.post(
        reverse("questions:import"),
        {"file": SimpleUploadedFile(name, body), "status": "draft", "format": ""},
    )


def _mapping_form(page) -> dict:
    """The mapping step's values as the page renders them (what the browser sends back)."""
    form = page.context["form"]
    values = {name: form.initial.get(name, field.initial) for name, field in form.fields.items()}
    return {name: value for name, value in values.items() if value not in (None, "", False, [])}


def test_an_instructor_brings_questions_places_an_exam_and_the_grade_comes_back(
    lti_platform, tool, django_capture_on_commit_callbacks
):
    teacher = Client()
    # 1. From the LMS course: an instructor account, logged in, on the course page.
    opened = instructor_launch(lti_platform, teacher)
    assert opened.status_code == 302
    assert teacher.get(opened["Location"]).status_code == 200
    home = teacher.get("/")
    assert user_roles(home.wsgi_request.user) == {"Instructor"}
    # The course can be found again from the menu, without another launch.
    assert f'href="{reverse("lti:courses")}">LMS courses</a>' in home.content.decode()
    courses = teacher.get(reverse("lti:courses")).content.decode()
    assert "AWS Developer course" in courses

    # 2. The Moodle GIFT export: its seven choice questions (three-option ones, two true/false)
    #    come in as drafts with the reasons; short answer and matching are skipped.
    report = _upload(teacher, "moodle_export.gift", MOODLE_GIFT.read_bytes()).content.decode()
    assert "Imported 7 question(s). 7 of them break a content rule" in report
    assert "needs at least 4 options (one answer and three distractors), found 3" in report
    assert "a true/false question: imported as a two-option multiple-choice question" in report
    assert "short answer questions are not supported" in report
    assert set(Question.objects.values_list("status", "needs_review")) == {("draft", True)}

    # 3. Another tool's JSON set goes through the mapping step and imports.
    step = _upload(teacher, "acme-aws.json", FOREIGN_JSON.read_bytes())
    assert step.url.startswith("/questions/import/map/")
    page = teacher.get(step.url)
    assert page.context["preview"]["failing"] == 0
    imported = teacher.post(
        step.url,
        {
            **_mapping_form(page),
            "default_domain": "Development with AWS Services",
            "action": "import",
        },
    )
    assert imported.status_code == 302, imported.context["form"].errors
    assert Question.objects.filter(key__startswith="acme-aws-").count() == 8

    # 4. The bank as a QTI 3.0 package: every file validates against the 1EdTech XSDs, and the
    #    package imports into an empty bank with every field QTI holds, then exports the same.
    first = teacher.get(reverse("questions:export"), {"format": "qti"})
    assert first.status_code == 200
    files = qti_schemas.package_members(first.content)
    assert qti_schemas.errors(qti_schemas.qti3_manifest(), files["imsmanifest.xml"]) == []
    items = {name: body for name, body in files.items() if name != "imsmanifest.xml"}
    assert len(items) == 15
    for name, body in items.items():
        assert qti_schemas.errors(qti_schemas.qti3_item(), body) == [], name
    before = bank_as_data()
    for question in Question.objects.all():
        question_delete(question=question)
    back = _upload(teacher, "bank-qti3.zip", first.content).content.decode()
    assert "Imported 15 question(s)" in back
    after = bank_as_data()
    assert sorted(after) == sorted(before)
    for key, question in before.items():
        assert formats.held_by_format("qti", after[key]) == formats.held_by_format(
            "qti", question
        ), key
    again = qti_schemas.package_members(
        teacher.get(reverse("questions:export"), {"format": "qti"}).content
    )
    for name, body in items.items():
        assert again[name] == body, name

    # 5. Deep linking: the instructor places a published mock in the course.
    make_bank(per_domain=4)
    mock = short_blueprint(slug="lti-story", title="Story mock", question_count=5)
    placement = place_exam(lti_platform, teacher, mock)

    # 6. A learner launches it, answers and submits; the platform receives the scaled score.
    learner = Client()
    launched = learner_launch(
        lti_platform,
        learner,
        resource_link_id=placement["resource_link_id"],
        custom=placement["custom"],
    )
    attempt = Attempt.objects.get(user__lti_users__sub="learner-1")
    assert launched["Location"] == reverse("exams:question", args=[attempt.pk, 1])
    answer_all(attempt, right=True)
    with django_capture_on_commit_callbacks(execute=True):
        attempt = attempt_submit(user=attempt.user, attempt_id=attempt.pk)
    [score] = lti_platform.scores[placement["lineitem_url"]]
    assert score["scoreGiven"] == attempt.scaled_score == 1000
    assert score["scoreMaximum"] == 1000
    assert score["comment"] == "Passed (scaled 1000 of 1000; 720 needed)"
    assert GradePassback.objects.get(launched__attempt=attempt).state == "sent"

    # 7. Names and Role Provisioning: the instructor syncs the roster into the cohort.
    lti_platform.add_member(
        "course-1", sub="s-2", name="Sam Second", email="sam@example.edu", roles=["Learner"]
    )
    context = LtiContext.objects.get(id_on_platform="course-1")
    synced = teacher.post(reverse("lti:course_sync", args=[context.pk]), follow=True)
    assert "Roster synced: 1 added" in synced.content.decode()
    cohort = CourseCohort.objects.get(context=context).cohort
    assert {u.email for u in cohort.students.all()} == {"lena@example.edu", "sam@example.edu"}
    course_page = teacher.get(reverse("lti:course", args=[context.pk])).content.decode()
    assert "Lena Learner" in course_page and "Sent" in course_page
