import random
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from exams.models import Attempt, AttemptEvent
from exams.services import SAVE_GRACE, AttemptClosed, answer_save, attempt_start, item_flag_set
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempt(student):
    make_bank(per_domain=6)
    blueprint = short_blueprint()
    return attempt_start(user=student, blueprint=blueprint, rng=random.Random(7))


def _item(attempt, kind):
    return attempt.items.filter(version__kind=kind).select_related("version").first()


def test_save_replaces_the_selection(student, attempt):
    item = _item(attempt, "multiple_choice")
    first, second = item.option_order[:2]
    answer_save(
        user=student, attempt_id=attempt.pk, position=item.position, option_ids=[first], seq=1
    )
    answer_save(
        user=student, attempt_id=attempt.pk, position=item.position, option_ids=[second], seq=2
    )
    assert list(item.selections.values_list("option_id", flat=True)) == [second]
    assert AttemptEvent.objects.filter(attempt=attempt, kind="save").count() == 2


def test_a_stale_retry_does_not_overwrite_a_newer_answer(student, attempt):
    item = _item(attempt, "multiple_choice")
    first, second = item.option_order[:2]
    answer_save(
        user=student, attempt_id=attempt.pk, position=item.position, option_ids=[second], seq=5
    )
    answer_save(
        user=student, attempt_id=attempt.pk, position=item.position, option_ids=[first], seq=4
    )
    assert list(item.selections.values_list("option_id", flat=True)) == [second]


def test_multiple_choice_accepts_one_option_only(student, attempt):
    item = _item(attempt, "multiple_choice")
    with pytest.raises(ValidationError, match="at most 1 option"):
        answer_save(
            user=student,
            attempt_id=attempt.pk,
            position=item.position,
            option_ids=item.option_order[:2],
            seq=1,
        )
    assert not item.selections.exists()


def test_multiple_response_accepts_no_more_than_asked(student, attempt):
    item = _item(attempt, "multiple_response")
    n = item.version.select_count
    with pytest.raises(ValidationError, match=f"at most {n} options"):
        answer_save(
            user=student,
            attempt_id=attempt.pk,
            position=item.position,
            option_ids=item.option_order[: n + 1],
            seq=1,
        )
    answer_save(
        user=student,
        attempt_id=attempt.pk,
        position=item.position,
        option_ids=item.option_order[:n],
        seq=2,
    )
    assert item.selections.count() == n


def test_options_of_another_question_are_refused(student, attempt):
    items = list(attempt.items.all()[:2])
    with pytest.raises(ValidationError, match="does not belong"):
        answer_save(
            user=student,
            attempt_id=attempt.pk,
            position=items[0].position,
            option_ids=[items[1].option_order[0]],
            seq=1,
        )


def test_saves_within_the_grace_are_accepted_and_later_ones_refused(student, attempt):
    item = attempt.items.first()
    answer_save(
        user=student,
        attempt_id=attempt.pk,
        position=item.position,
        option_ids=[item.option_order[0]],
        seq=1,
        now=attempt.deadline + SAVE_GRACE - timedelta(seconds=1),
    )
    with pytest.raises(AttemptClosed, match="Time is up"):
        answer_save(
            user=student,
            attempt_id=attempt.pk,
            position=item.position,
            option_ids=[item.option_order[1]],
            seq=2,
            now=attempt.deadline + SAVE_GRACE + timedelta(seconds=1),
        )
    assert list(item.selections.values_list("option_id", flat=True)) == [item.option_order[0]]
    assert AttemptEvent.objects.filter(attempt=attempt, kind="refused").count() == 1


def test_another_student_cannot_touch_the_attempt(other_student, attempt):
    item = attempt.items.first()
    with pytest.raises(Attempt.DoesNotExist):
        answer_save(
            user=other_student,
            attempt_id=attempt.pk,
            position=item.position,
            option_ids=[item.option_order[0]],
            seq=1,
        )
    with pytest.raises(Attempt.DoesNotExist):
        item_flag_set(user=other_student, attempt_id=attempt.pk, position=1, flagged=True)


def test_flag_toggles(student, attempt):
    item_flag_set(user=student, attempt_id=attempt.pk, position=3, flagged=True)
    assert attempt.items.get(position=3).flagged
    item_flag_set(user=student, attempt_id=attempt.pk, position=3, flagged=False)
    assert not attempt.items.get(position=3).flagged
