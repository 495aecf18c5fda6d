"""While an exam-mode attempt is open, no other form may hand out its questions (and keys)."""

import random

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from exams.models import Attempt, BlueprintDomainWeight
from exams.services import BankTooSmall, attempt_start, attempt_submit
from questions.models import Domain
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db


def _questions(attempt: Attempt) -> set[int]:
    return set(attempt.items.values_list("question_id", flat=True))


def _sit(user, blueprint, seed, **kwargs) -> set[int]:
    """Start and submit at once, as the key-harvesting loop does; return the form's questions."""
    attempt = attempt_start(user=user, blueprint=blueprint, rng=random.Random(seed), **kwargs)
    drawn = _questions(attempt)
    attempt_submit(user=user, attempt_id=attempt.pk)
    return drawn


def _blueprint(slug):
    from exams.models import Blueprint

    return Blueprint.objects.get(slug=slug)


def test_practice_drill_and_missed_forms_never_draw_the_open_mock(student):
    bank = make_bank(per_domain=14)
    mock = attempt_start(user=student, blueprint=short_blueprint(), rng=random.Random(1))
    held = _questions(mock)
    assert len(held) == 10
    practice, drill = _blueprint("quick-practice"), _blueprint("drill-dva-c01-security")
    retry = _blueprint("retry-missed")
    every_question = [q.pk for q in bank]
    for round_ in range(8):
        assert held.isdisjoint(_sit(student, practice, seed=round_))
        assert held.isdisjoint(_sit(student, drill, seed=100 + round_))
        chosen = list(held) + every_question[round_ * 4 : round_ * 4 + 4]
        assert held.isdisjoint(_sit(student, retry, seed=200 + round_, question_ids=chosen))
    mock.refresh_from_db()
    assert mock.state == Attempt.State.IN_PROGRESS


def test_practising_only_questions_of_the_open_mock_is_refused_plainly(student):
    make_bank(per_domain=6)
    mock = attempt_start(user=student, blueprint=short_blueprint(), rng=random.Random(2))
    with pytest.raises(ValidationError, match="in your exam in progress"):
        attempt_start(
            user=student, blueprint=_blueprint("retry-missed"), question_ids=list(_questions(mock))
        )
    assert Attempt.objects.filter(user=student).count() == 1


def test_a_mock_started_while_a_practice_is_open_leaves_the_practice_questions_out(student):
    make_bank(per_domain=14)
    practice = attempt_start(
        user=student, blueprint=_blueprint("quick-practice"), rng=random.Random(3)
    )
    mock = attempt_start(user=student, blueprint=short_blueprint(), rng=random.Random(4))
    assert mock.items.count() == 10
    assert _questions(practice).isdisjoint(_questions(mock))
    assert Attempt.objects.in_progress().filter(user=student).count() == 2


def test_other_open_practices_do_not_hold_questions_back_from_a_practice(student):
    # Keys of one practice only matter to the student's exams, so practices may overlap.
    make_bank(per_domain=12)
    drill = attempt_start(
        user=student, blueprint=_blueprint("drill-dva-c01-security"), rng=random.Random(5)
    )
    assert drill.items.count() == 10  # leaves 2 Security questions, the practice needs more
    practice = attempt_start(
        user=student, blueprint=_blueprint("quick-practice"), rng=random.Random(6)
    )
    assert practice.items.count() == 20


def test_a_mock_the_open_practice_starves_says_bank_too_small_not_500(client, student):
    make_bank(per_domain=6)  # 30 questions
    mock = short_blueprint(slug="whole-bank", question_count=30)
    for domain in Domain.objects.filter(guide__code="DVA-C01"):
        BlueprintDomainWeight.objects.create(blueprint=mock, domain=domain, weight=20)
    attempt_start(user=student, blueprint=_blueprint("quick-practice"), rng=random.Random(7))
    with pytest.raises(BankTooSmall, match="submit those attempts first"):
        attempt_start(user=student, blueprint=mock)
    client.force_login(student)
    response = client.post(reverse("exams:start", args=[mock.slug]), follow=True)
    assert response.status_code == 200
    assert "cannot fill" in response.content.decode()
    assert not Attempt.objects.filter(user=student, blueprint=mock).exists()


def test_practise_missed_while_the_mock_holds_them_all_is_a_message(client, student):
    make_bank(per_domain=6)
    first = short_blueprint(slug="first")
    _sit(student, first, seed=8)  # nothing answered: every scored item is missed
    mock = short_blueprint(slug="whole-bank", question_count=30)
    for domain in Domain.objects.filter(guide__code="DVA-C01"):
        BlueprintDomainWeight.objects.create(blueprint=mock, domain=domain, weight=20)
    attempt_start(user=student, blueprint=mock, rng=random.Random(9))
    client.force_login(student)
    response = client.post(reverse("analytics:retry_missed"), follow=True)
    assert response.status_code == 200
    assert "in your exam in progress" in response.content.decode()
    assert not Attempt.objects.filter(user=student, blueprint__slug="retry-missed").exists()
