"""The dashboard follows "Sure" answers over time: one query whatever the number of attempts."""

import random

import pytest
from django.urls import reverse

from analytics.selectors import student_confidence_trend
from exams.services import answer_save, attempt_start, attempt_submit
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db


def _sit(user, blueprint, *, right: int, wrong: int, seed: int):
    """Mark `right` right and `wrong` wrong answers Sure; the rest Guess or not answered."""
    attempt = attempt_start(user=user, blueprint=blueprint, rng=random.Random(seed))
    items = attempt.items.select_related("version").prefetch_related("version__options")
    for n, item in enumerate(items.order_by("position")):
        options = list(item.version.options.all())
        key = [o.pk for o in options if o.is_correct][: item.version.select_count]
        miss = [o.pk for o in options if not o.is_correct][:1]
        if n < right:
            chosen, confidence = key, "sure"
        elif n < right + wrong:
            chosen, confidence = miss, "sure"
        elif n == right + wrong:
            chosen, confidence = [], "sure"  # no answer: not counted
        else:
            chosen, confidence = miss, "guess"
        answer_save(
            user=user,
            attempt_id=attempt.pk,
            position=item.position,
            option_ids=chosen,
            seq=1,
            confidence=confidence if attempt.ask_confidence else None,
        )
    return attempt_submit(user=user, attempt_id=attempt.pk)


@pytest.fixture
def asking():
    make_bank(per_domain=8)
    return short_blueprint(slug="asks", ask_confidence=True, mode="practice")


def test_each_asking_attempt_gives_its_sure_answers_right_and_wrong(student, asking):
    _sit(student, asking, right=3, wrong=1, seed=1)
    _sit(student, short_blueprint(slug="mock"), right=2, wrong=2, seed=2)  # did not ask
    _sit(student, asking, right=1, wrong=3, seed=3)
    points = student_confidence_trend(user=student, guide_code="DVA-C01").points
    assert [(p.sure, p.point.sure_correct, p.sure_wrong) for p in points] == [
        (4, 3, 1),
        (4, 1, 3),
    ]
    assert points[0].sure_percent == 75
    trend = student_confidence_trend(user=student, guide_code="DVA-C01")
    assert trend.chart["sure"] == [75.0, 25.0]
    assert student_confidence_trend(user=student, guide_code="DVA-C02").points == []


def test_one_query_whatever_the_number_of_attempts(
    student, other_student, asking, django_assert_num_queries
):
    _sit(student, asking, right=2, wrong=1, seed=1)
    for seed in range(4):
        _sit(other_student, asking, right=1, wrong=1, seed=seed)
    with django_assert_num_queries(1):
        assert len(student_confidence_trend(user=student, guide_code="DVA-C01").points) == 1
    with django_assert_num_queries(1):
        assert len(student_confidence_trend(user=other_student, guide_code="DVA-C01").points) == 4


def test_the_dashboard_shows_the_table_and_the_chart(client, student, asking):
    _sit(student, asking, right=2, wrong=1, seed=1)
    client.force_login(student)
    body = client.get(reverse("analytics:dashboard"), {"guide": "DVA-C01"}).content.decode()
    assert "When you were sure" in body
    assert "2 of 3 (67%)" in body
    assert 'data-chart="confidence-trend"' in body and 'id="confidence-data"' in body


def test_no_section_without_an_asking_attempt(client, student):
    make_bank(per_domain=8)
    _sit(student, short_blueprint(slug="mock"), right=2, wrong=1, seed=1)
    client.force_login(student)
    body = client.get(reverse("analytics:dashboard"), {"guide": "DVA-C01"}).content.decode()
    assert "When you were sure" not in body
