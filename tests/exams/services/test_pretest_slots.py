"""Pretest items fill the unscored slots first and are never scored, in any mode."""

from __future__ import annotations

import random

import pytest

from exams.models import Blueprint
from exams.services import attempt_start, attempt_submit
from exams.services.assembly import draw_form
from questions.models import Question
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank, make_question

pytestmark = pytest.mark.django_db


def pretest(n: int, domain: str = "Deployment") -> list[Question]:
    made = [make_question(domain=domain) for _ in range(n)]
    Question.objects.filter(pk__in=[q.pk for q in made]).update(is_pretest=True)
    return made


def test_unscored_slots_take_pretest_items_first_and_only_there():
    make_bank(per_domain=6)
    items = pretest(2)
    ids = {q.pk for q in items}
    blueprint = short_blueprint(question_count=10, unscored_count=4)
    for seed in range(15):
        form = draw_form(blueprint=blueprint, seen_question_ids=set(), rng=random.Random(seed))
        assert len(form) == 10
        drawn_pretest = [i for i in form if i.question_id in ids]
        assert len(drawn_pretest) == 2  # both pretest items, every time
        assert all(not i.scored for i in drawn_pretest)
        assert sum(1 for i in form if not i.scored) == 4  # plus two random unscored
        assert sum(1 for i in form if i.scored) == 6


def test_more_pretest_items_than_slots_fill_the_slots_only():
    make_bank(per_domain=6)
    ids = {q.pk for q in pretest(3, "Deployment") + pretest(3, "Security")}
    blueprint = short_blueprint(question_count=10, unscored_count=2)
    form = draw_form(blueprint=blueprint, seen_question_ids=set(), rng=random.Random(1))
    assert {i.question_id for i in form if not i.scored} <= ids
    assert sum(1 for i in form if i.question_id in ids) == 2
    assert all(i.scored for i in form if i.question_id not in ids)


@pytest.mark.parametrize("mode", [Blueprint.Mode.PRACTICE, Blueprint.Mode.DRILL])
def test_practice_and_drills_never_score_pretest_items(mode):
    make_bank(per_domain=6)
    ids = {q.pk for q in pretest(4)}
    fields = {"mode": mode, "duration_minutes": None, "question_count": 5}
    if mode == Blueprint.Mode.DRILL:
        fields["drill_domain"] = Blueprint._meta.get_field(
            "drill_domain"
        ).related_model.objects.get(guide__code="DVA-C01", name="Deployment")
    blueprint = short_blueprint(slug=f"p-{mode}", **fields)
    for seed in range(10):
        form = draw_form(blueprint=blueprint, seen_question_ids=set(), rng=random.Random(seed))
        assert not any(i.question_id in ids and i.scored for i in form)


def test_a_submitted_exam_counts_pretest_items_nowhere():
    make_bank(per_domain=6)
    ids = {q.pk for q in pretest(3)}
    student = UserFactory(role="Student")
    blueprint = short_blueprint(question_count=10, unscored_count=3)
    attempt = attempt_start(user=student, blueprint=blueprint, rng=random.Random(3))
    assert {i.question_id for i in attempt.items.filter(scored=False)} == ids
    attempt = attempt_submit(user=student, attempt_id=attempt.pk)
    assert attempt.scored_count == 7
