"""The audit log's filters: malformed or out-of-range values are a 400 with a message."""

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


@pytest.mark.parametrize(
    "params",
    [
        {"attempt": "²"},
        {"attempt": "99999999999999999999"},
        {"attempt": "9" * 5000},
        {"attempt": "-1"},
        {"kind": "nonsense"},
        {"user": "a\x00b"},
    ],
    ids=["superscript", "bigint-overflow", "huge", "negative", "kind", "nul"],
)
def test_bad_filters_are_a_400_with_a_message(client, admin_user, attempt, params):
    client.force_login(admin_user)
    response = client.get(reverse("exams:audit"), params)
    assert response.status_code == 400
    assert "Check the filters" in response.content.decode()
    assert list(response.context["page"]) == []


def test_good_filters_still_filter(client, admin_user, attempt):
    client.force_login(admin_user)
    url = reverse("exams:audit")
    page = client.get(url, {"attempt": attempt.pk, "kind": "start"}).context["page"]
    assert [(e.attempt_id, e.kind) for e in page] == [(attempt.pk, "start")]
    assert list(client.get(url, {"attempt": attempt.pk + 1000}).context["page"]) == []
