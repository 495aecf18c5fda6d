"""A submit makes review cards through the real Redis broker and a real Celery worker."""

import pytest

from study.models import CardReview, ReviewCard
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank
from tests.factories.study import RIGHT, WRONG, sit_and_submit
from tests.faults.conftest import wait_for

pytestmark = pytest.mark.services("postgresql", "redis")


def test_a_submit_makes_cards_through_the_worker(start_worker):
    worker = start_worker(ANALYTICS_DEBOUNCE_SECONDS=1)
    make_bank(per_domain=3)
    student = UserFactory(role="Student")
    blueprint = short_blueprint(slug="worker-mock", question_count=5, duration_minutes=None)
    attempt = sit_and_submit(
        student, blueprint, {1: (WRONG, ""), 2: (RIGHT, "guess"), 3: (RIGHT, "sure")}
    )
    cards = ReviewCard.objects.filter(user=student)
    assert wait_for(lambda: cards.count() == 2, timeout=60), worker.output()
    items = attempt.items.order_by("position")
    assert set(ReviewCard.objects.filter(user=student).values_list("question_id", flat=True)) == {
        items[0].question_id,
        items[1].question_id,
    }
    assert CardReview.objects.filter(card__user=student).count() == 2
