import random
from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from exams.models import Attempt, Blueprint
from exams.services import BankTooSmall, attempt_start
from questions.services import question_as_data, question_update
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_exam():
    """A 10-question DVA-C01 exam at the guide weights, 20 minutes."""
    return short_blueprint()


def test_form_follows_domain_weights_with_no_repeats(student, small_exam):
    make_bank(per_domain=6)
    attempt = attempt_start(user=student, blueprint=small_exam, rng=random.Random(1))
    items = list(attempt.items.select_related("domain"))
    assert len(items) == 10
    assert len({i.question_id for i in items}) == 10
    counts = {}
    for item in items:
        counts[item.domain.name] = counts.get(item.domain.name, 0) + 1
    # 10 × (22, 26, 30, 10, 12)% by largest remainder.
    assert counts == {
        "Deployment": 2,
        "Security": 3,
        "Development with AWS Services": 3,
        "Refactoring": 1,
        "Monitoring and Troubleshooting": 1,
    }
    assert [i.position for i in items] == list(range(1, 11))


def test_seeded_full_mock_draws_65_from_the_guide(student):
    make_bank(per_domain=20)
    blueprint = Blueprint.objects.get(slug="dva-c01-full-mock")
    attempt = attempt_start(user=student, blueprint=blueprint)
    assert attempt.items.count() == 65
    assert attempt.deadline - attempt.started_at == timedelta(minutes=130)


def test_dva_c02_mock_marks_15_items_unscored(student):
    make_bank(per_domain=22, guide="DVA-C02")
    attempt = attempt_start(user=student, blueprint=Blueprint.objects.get(slug="dva-c02-full-mock"))
    assert attempt.items.filter(scored=False).count() == 15
    assert attempt.items.count() == 65


def test_unseen_questions_are_preferred(student, small_exam):
    make_bank(per_domain=6)  # 30 questions, each domain has at least twice what a form needs
    first = attempt_start(user=student, blueprint=small_exam, rng=random.Random(2))
    seen = set(first.items.values_list("question_id", flat=True))
    Attempt.objects.filter(pk=first.pk).update(
        state="submitted", finished_at=timezone.now(), scaled_score=500
    )
    second = attempt_start(user=student, blueprint=small_exam, rng=random.Random(3))
    assert seen.isdisjoint(second.items.values_list("question_id", flat=True))


def test_option_order_is_shuffled_and_frozen_per_attempt(small_exam):
    make_bank(per_domain=6)
    orders = set()
    for seed in range(6):
        attempt = attempt_start(
            user=UserFactory(role="Student"), blueprint=small_exam, rng=random.Random(seed)
        )
        for item in attempt.items.all():
            assert sorted(item.option_order) == sorted(
                item.version.options.values_list("pk", flat=True)
            )
            orders.add(tuple(item.option_order))
    assert len(orders) > 10


def test_versions_are_pinned_when_a_question_is_edited_later(student, small_exam):
    make_bank(per_domain=6)
    attempt = attempt_start(user=student, blueprint=small_exam, rng=random.Random(4))
    item = attempt.items.select_related("question", "version").first()
    data = question_as_data(item.question)
    data["stem"] = data["stem"] + " (edited)"
    assert question_update(question=item.question, data=data)
    item.refresh_from_db()
    item.question.refresh_from_db()
    assert item.version_id != item.question.current_version_id
    assert "(edited)" not in item.version.stem


def test_starting_again_resumes_the_attempt_in_progress(student, small_exam):
    make_bank(per_domain=6)
    first = attempt_start(user=student, blueprint=small_exam)
    again = attempt_start(user=student, blueprint=small_exam)
    assert again.pk == first.pk
    assert Attempt.objects.filter(user=student).count() == 1


def test_database_refuses_a_second_attempt_in_progress(student, small_exam):
    make_bank(per_domain=6)
    first = attempt_start(user=student, blueprint=small_exam)
    duplicate = Attempt(
        user=student,
        blueprint=small_exam,
        started_at=first.started_at,
        mode="exam",
        feedback="after_submit",
        passing_score=720,
        cut_percent=72,
    )
    with pytest.raises(IntegrityError):
        duplicate.save()


def test_accommodation_extends_the_deadline(small_exam):
    make_bank(per_domain=6)
    student = UserFactory(role="Student", accommodation_minutes=30, accommodation_note="ESL +30")
    attempt = attempt_start(user=student, blueprint=small_exam)
    assert attempt.deadline - attempt.started_at == timedelta(minutes=50)
    assert attempt.accommodation_minutes == 30


def test_bank_too_small_names_the_short_domains(student, small_exam):
    make_bank(per_domain=1)
    with pytest.raises(BankTooSmall) as info:
        attempt_start(user=student, blueprint=small_exam)
    assert "Security: 1 published, 3 needed" in str(info.value)
    assert not Attempt.objects.exists()


def test_drill_draws_only_from_its_domain(student):
    make_bank(per_domain=12)
    drill = Blueprint.objects.get(slug="drill-dva-c01-security")
    attempt = attempt_start(user=student, blueprint=drill)
    assert set(attempt.items.values_list("domain__name", flat=True)) == {"Security"}
    assert attempt.deadline is None
