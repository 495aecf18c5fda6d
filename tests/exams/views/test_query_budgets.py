"""Query counts of the exam pages do not grow with other students' data or the form's length.

Each page is measured twice: with 10 other students on a 20-item form, and with 1,000 other
students on a 65-item form. The counts must be equal; a ceiling would hide an N+1 query that
adds one query per item or per student until the ceiling is reached.
"""

import copy
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from exams.models import Attempt, AttemptItem, ItemSelection
from exams.services import answer_save, attempt_start, attempt_submit
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db


def _clone(instance, **changes):
    clone = copy.copy(instance)
    clone.pk = clone.id = None
    clone._state = copy.copy(instance._state)
    clone._state.adding = True
    for name, value in changes.items():
        setattr(clone, name, value)
    return clone


def _grow(blueprint, others: int, prefix: str) -> None:
    """Give `others` new students a submitted attempt with every item answered (bulk)."""
    model = UserFactory(role="Student")
    template = _sit(model, blueprint, answered=blueprint.question_count, seed=1)
    items = list(template.items.order_by("position"))
    selections = {s.item_id: s.option_id for s in ItemSelection.objects.filter(item__in=items)}
    users = User.objects.bulk_create(
        User(username=f"{prefix}-{n}", email=f"{prefix}-{n}@example.test")
        for n in range(others - 1)
    )
    attempts = Attempt.objects.bulk_create(_clone(template, user=u) for u in users)
    new_items = AttemptItem.objects.bulk_create(
        _clone(item, attempt=attempt) for attempt in attempts for item in items
    )
    originals = items * len(attempts)
    ItemSelection.objects.bulk_create(
        ItemSelection(item=new, option_id=selections[old.pk])
        for new, old in zip(new_items, originals, strict=True)
        if old.pk in selections
    )
    assert Attempt.objects.filter(blueprint=blueprint).count() >= others


def _started(user, blueprint, *, answered: int, seed: int) -> Attempt:
    """Start an attempt and answer its first `answered` items, through the services."""
    attempt = attempt_start(user=user, blueprint=blueprint, rng=random.Random(seed))
    for item in attempt.items.order_by("position")[:answered]:
        answer_save(
            user=user,
            attempt_id=attempt.pk,
            position=item.position,
            option_ids=[item.option_order[0]],
            seq=1,
        )
    return attempt


def _sit(user, blueprint, *, answered: int, seed: int) -> Attempt:
    attempt = _started(user, blueprint, answered=answered, seed=seed)
    return attempt_submit(user=user, attempt_id=attempt.pk)


def _count(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code in (200, 302), response
    return len(queries)


def _page_counts(client, blueprint) -> dict[str, int]:
    """Sit an attempt on `blueprint` as a new student; the queries of each page it uses."""
    student = UserFactory(role="Student")
    client.force_login(student)
    attempt = _started(student, blueprint, answered=blueprint.question_count // 2, seed=99)
    item = attempt.items.get(position=5)
    json = {"HTTP_ACCEPT": "application/json"}
    question_url = reverse("exams:question", args=[attempt.pk, 5])
    answer_url = reverse("exams:answer", args=[attempt.pk, 5])
    counts = {
        "exam list": _count(lambda: client.get(reverse("exams:list"))),
        "resume": _count(lambda: client.get(reverse("exams:resume", args=[attempt.pk]))),
        "question": _count(lambda: client.get(question_url)),
        "autosave": _count(
            lambda: client.post(answer_url, {"option": item.option_order[1], "seq": 2}, **json)
        ),
        "page button": _count(
            lambda: client.post(
                answer_url, {"option": item.option_order[2], "seq": 3, "go": "next"}
            )
        ),
        "flag": _count(
            lambda: client.post(
                reverse("exams:flag", args=[attempt.pk, 5]), {"flagged": "true"}, **json
            )
        ),
        "state": _count(lambda: client.get(reverse("exams:state", args=[attempt.pk]))),
        "review": _count(lambda: client.get(reverse("exams:review", args=[attempt.pk]))),
        "submit page": _count(lambda: client.get(reverse("exams:submit", args=[attempt.pk]))),
        "submit": _count(lambda: client.post(reverse("exams:submit", args=[attempt.pk]))),
        "results": _count(lambda: client.get(reverse("exams:results", args=[attempt.pk]))),
        "attempts": _count(lambda: client.get(reverse("exams:attempts"))),
    }
    return counts


def test_exam_page_query_counts_are_equal_for_10_and_1000_students_and_20_and_65_items(client):
    make_bank(per_domain=20)
    small = short_blueprint(slug="small", question_count=20, duration_minutes=40)
    large = short_blueprint(slug="large", question_count=65, duration_minutes=130)
    _page_counts(client, small)  # warms the process-wide caches (content types, sites)

    _grow(small, 10, "few")
    few = _page_counts(client, small)
    _grow(large, 1000, "many")
    many = _page_counts(client, large)

    assert Attempt.objects.count() > 1000
    assert AttemptItem.objects.filter(attempt__blueprint=large).count() > 65 * 1000
    assert many == few, {page: (few[page], many[page]) for page in few if few[page] != many[page]}
