"""Steps of the LTI flow against the test platform (tests/lti/platform.py), as a course's
instructor and learner take them: launches, placing an exam by deep linking, answering."""

from __future__ import annotations

import re

from django.urls import reverse

from exams.models import Attempt
from exams.services import answer_save
from tests.factories.study import answer_ids, items_of

LOGIN = "http://testserver/lti/login/"
LAUNCH = "http://testserver/lti/launch/"


def learner_launch(lti_platform, client, **kw):
    params = {
        "sub": "learner-1",
        "name": "Lena Learner",
        "email": "lena@example.edu",
        "roles": ["Learner"],
        "context_id": "course-1",
        "context_title": "AWS Developer course",
    }
    params.update(kw)
    return lti_platform.launch(client, **params)


def instructor_launch(lti_platform, client, **kw):
    params = {
        "sub": "teacher-1",
        "name": "Ian Instructor",
        "email": "ian@example.edu",
        "roles": ["Instructor"],
        "context_id": "course-1",
        "context_title": "AWS Developer course",
    }
    params.update(kw)
    return lti_platform.launch(client, **params)


def picker_launch_id(picker) -> str:
    """The launch id the deep-linking picker's form carries (its credential)."""
    found = re.search(r'name="launch_id" value="([^"]+)"', picker.content.decode())
    assert found, "the picker has no launch_id field"
    return found.group(1)


def open_picker(lti_platform, client):
    """The instructor of course-1 opens the deep-linking picker (the LMS's "Add an exam")."""
    return lti_platform.deep_link(
        client,
        sub="teacher-1",
        name="Ian Instructor",
        email="ian@example.edu",
        roles=["Instructor"],
        context_id="course-1",
        context_title="AWS Developer course",
    )


def place_exam(lti_platform, client, blueprint) -> dict:
    """The instructor places `blueprint` in course-1; returns the platform's placement."""
    picker = open_picker(lti_platform, client)
    assert picker.status_code == 200
    assert "Add an exam to your course" in picker.content.decode()
    launch_id = picker_launch_id(picker)
    answer = client.post(
        reverse("lti:deep_link_return"), {"launch_id": launch_id, "blueprint": blueprint.pk}
    )
    assert answer.status_code == 200
    items = lti_platform.receive_deep_link_response(answer)
    assert len(items) == 1
    return lti_platform.placements[-1]


def placed_then_launched(lti_platform, client, blueprint) -> tuple[dict, Attempt]:
    """The instructor places `blueprint` in course-1, then the learner launches it: the
    placement and the attempt the launch opened."""
    placement = place_exam(lti_platform, client, blueprint)
    client.logout()
    learner_launch(
        lti_platform,
        client,
        resource_link_id=placement["resource_link_id"],
        custom=placement["custom"],
    )
    return placement, Attempt.objects.get(user__lti_users__sub="learner-1")


def answer_all(attempt: Attempt, *, right: bool):
    for item in items_of(attempt):
        answer_save(
            user=attempt.user,
            attempt_id=attempt.pk,
            position=item.position,
            option_ids=answer_ids(item, "right" if right else "wrong"),
            seq=1,
        )
