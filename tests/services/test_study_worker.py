"""A submit makes review cards through the real Redis broker and a real Celery worker."""

import time

import pytest

from study.models import CardReview, ReviewCard
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank
from tests.factories.study import RIGHT, WRONG, sit_and_submit

pytestmark = pytest.mark.services("postgresql", "redis")


def _wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_a_submit_makes_cards_through_the_worker(start_worker):
    worker = start_worker(ANALYTICS_DEBOUNCE_SECONDS=1)
    make_bank(per_domain=3)
    student = UserFactory(role="Student")
    blueprint = short_blueprint(slug="worker-mock", question_count=5, duration_minutes=None)
    attempt = sit_and_submit(
        student, blueprint, {1: (WRONG, ""), 2: (RIGHT, "guess"), 3: (RIGHT, "sure")}
    )
    assert _wait_for(lambda: ReviewCard.objects.filter(user=student).count() == 2), worker.output()
    items = attempt.items.order_by("position")
    assert set(ReviewCard.objects.filter(user=student).values_list("question_id", flat=True)) == {
        items[0].question_id,
        items[1].question_id,
    }
    assert CardReview.objects.filter(card__user=student).count() == 2
