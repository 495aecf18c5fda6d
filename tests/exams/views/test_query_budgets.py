"""Query budgets of the exam pages stay flat as the data grows."""

import random

import pytest
from django.urls import reverse

from exams.services import answer_save, attempt_start, attempt_submit
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db


def _grow(blueprint, others: int):
    """Other students with submitted attempts: data that must not cost extra queries."""
    for n in range(others):
        user = UserFactory(role="Student")
        attempt = attempt_start(user=user, blueprint=blueprint, rng=random.Random(n))
        attempt_submit(user=user, attempt_id=attempt.pk)


@pytest.mark.parametrize("others", [0, 15])
def test_exam_page_budgets(client, student, others, django_assert_max_num_queries):
    make_bank(per_domain=12)
    blueprint = short_blueprint(slug="mock", question_count=20, duration_minutes=40)
    _grow(blueprint, others)
    attempt = attempt_start(user=student, blueprint=blueprint, rng=random.Random(99))
    for item in attempt.items.all()[:10]:
        answer_save(
            user=student,
            attempt_id=attempt.pk,
            position=item.position,
            option_ids=[item.option_order[0]],
            seq=1,
        )
    client.force_login(student)
    item = attempt.items.get(position=5)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("exams:question", args=[attempt.pk, 5])).status_code == 200
    with django_assert_max_num_queries(14):
        response = client.post(
            reverse("exams:answer", args=[attempt.pk, 5]),
            {"option": item.option_order[1], "seq": 2},
            HTTP_ACCEPT="application/json",
        )
        assert response.status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("exams:review", args=[attempt.pk])).status_code == 200
    with django_assert_max_num_queries(30):
        assert client.post(reverse("exams:submit", args=[attempt.pk])).status_code == 302
    with django_assert_max_num_queries(12):
        assert client.get(reverse("exams:results", args=[attempt.pk])).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("exams:attempts")).status_code == 200
