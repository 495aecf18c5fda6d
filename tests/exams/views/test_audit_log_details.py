"""The admins' audit log shows what each event did in words, not stored JSON."""

import random

import pytest
from django.urls import reverse

from exams.services import attempt_start
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempt(student):
    make_bank(per_domain=6)
    return attempt_start(user=student, blueprint=short_blueprint(), rng=random.Random(1))


def test_the_audit_log_says_in_words_what_each_event_did(client, student, attempt, admin_user):
    client.force_login(student)
    item = attempt.items.get(position=2)
    saved = client.post(
        reverse("exams:answer", args=[attempt.pk, 2]),
        {"option": item.option_order[1], "seq": 7},
        HTTP_ACCEPT="application/json",
    )
    assert saved.status_code == 200
    client.post(reverse("exams:flag", args=[attempt.pk, 2]), {"flagged": "true"})
    client.force_login(admin_user)
    response = client.get(reverse("exams:audit"), {"attempt": attempt.pk})
    body = response.content.decode()
    rows = [description for _, description in response.context["rows"]]
    assert "Question 2: chose B (save no. 7)" in rows, rows
    assert "Question 2: flagged for review" in rows
    assert f"{attempt.items.count()} questions drawn" in rows
    assert "{&#x27;position&#x27;" not in body and "seq&#x27;" not in body
