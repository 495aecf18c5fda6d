"""Submit grades an attempt in one set-based statement whose rule agrees with is_item_correct."""

import random

import pytest

from exams.models import AttemptItem, ItemSelection
from exams.scoring import ItemResponse, MarkedItem, is_item_correct, score_attempt, score_marked
from exams.services import attempt_regrade, attempt_start, attempt_submit
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempt(student):
    make_bank(per_domain=12)
    blueprint = short_blueprint(question_count=30, duration_minutes=60)
    return attempt_start(user=student, blueprint=blueprint, rng=random.Random(3))


def _choices(item: AttemptItem, case: int) -> list[int]:
    """Every shape of answer, including ones the page cannot send (more than the key's size)."""
    options = list(item.version.options.all())
    keyed = [o.pk for o in options if o.is_correct]
    wrong = [o.pk for o in options if not o.is_correct]
    return [
        [],  # unanswered
        keyed,  # exactly the key
        keyed + wrong[:1],  # the key and one more
        keyed[:-1],  # part of the key (nothing, for multiple choice)
        wrong[:1],  # a wrong option only
        wrong[: len(keyed)],  # as many options as the key, all wrong
        keyed[:-1] + wrong[:1],  # the right count, one of them wrong
    ][case % 7]


def test_submit_grades_every_item_as_is_item_correct_does(student, attempt):
    items = list(attempt.items.select_related("version").prefetch_related("version__options"))
    assert {i.version.kind for i in items} == {"multiple_choice", "multiple_response"}
    expected = {}
    for n, item in enumerate(items):
        chosen = _choices(item, n)
        ItemSelection.objects.bulk_create(ItemSelection(item=item, option_id=o) for o in chosen)
        keyed = {o.pk for o in item.version.options.all() if o.is_correct}
        expected[item.pk] = is_item_correct(item.version.kind, keyed, chosen)
    assert set(expected.values()) == {True, False}

    result = attempt_submit(user=student, attempt_id=attempt.pk)

    graded = dict(attempt.items.values_list("pk", "is_correct"))
    assert graded == expected
    scored = [i for i in items if i.scored]
    assert result.scored_count == len(scored)
    assert result.correct_count == sum(expected[i.pk] for i in scored)


def test_submit_sends_one_grading_statement(student, attempt, django_assert_num_queries):
    item = attempt.items.select_related("version").first()
    ItemSelection.objects.create(
        item=item, option=item.version.options.filter(is_correct=True).first()
    )
    # Inside the test's transaction the service's atomic block is a savepoint.
    with django_assert_num_queries(6) as captured:
        attempt_submit(user=student, attempt_id=attempt.pk)
    sql = [q["sql"] for q in captured.captured_queries]
    assert sql[0].startswith("SAVEPOINT") and sql[-1].startswith("RELEASE SAVEPOINT")
    lock, grade, finish, log = sql[1:-1]
    assert "FOR UPDATE" in lock
    assert grade.lstrip().startswith("WITH graded AS MATERIALIZED")
    assert "UPDATE exams_attemptitem SET is_correct" in grade
    assert finish.startswith('UPDATE "exams_attempt"')
    assert log.startswith('INSERT INTO "exams_attemptevent"')
    item.refresh_from_db()
    assert item.is_correct is True
    assert attempt.items.filter(is_correct__isnull=True).count() == 0


def test_regrade_uses_the_same_statement(student, attempt, django_assert_num_queries):
    attempt_submit(user=student, attempt_id=attempt.pk)
    item = attempt.items.select_related("version").first()
    ItemSelection.objects.create(
        item=item, option=item.version.options.filter(is_correct=True).first()
    )
    with django_assert_num_queries(6):
        regraded = attempt_regrade(attempt_id=attempt.pk, reason="key fixed")
    assert regraded.correct_count == 1
    item.refresh_from_db()
    assert item.is_correct is True


def test_score_marked_is_score_attempt_after_marking():
    responses = [
        ItemResponse(item_id=1, domain="A", kind="multiple_choice", keyed={1}, chosen={1}),
        ItemResponse(item_id=2, domain="B", kind="multiple_response", keyed={1, 2}, chosen={1}),
        ItemResponse(item_id=3, domain="A", kind="multiple_choice", keyed={4}, chosen={4}),
        ItemResponse(
            item_id=4, domain="C", kind="multiple_choice", keyed={1}, chosen={1}, scored=False
        ),
    ]
    marked = [
        MarkedItem(
            item_id=r.item_id,
            domain=r.domain,
            ok=is_item_correct(r.kind, r.keyed, r.chosen),
            scored=r.scored,
        )
        for r in responses
    ]
    assert score_marked(marked) == score_attempt(responses)
    with pytest.raises(ValueError, match="duplicate"):
        score_marked(marked + marked[:1])
