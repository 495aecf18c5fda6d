"""How sure the student is, saved with the answer: both save paths on PostgreSQL.

The one-statement autocommit path (`_answer_save_at_once`) answers every ordinary save; the
transactional path (`_answer_save_locked` → `_answer_apply`) answers refusals, a save that found
the item changed while it waited, and SQLite (tests/embedded/test_confidence_on_sqlite.py).
"""

import random

import pytest
from django.db import transaction
from django.utils import timezone

from core.errors import ApplicationError
from exams.models import AttemptEvent, AttemptItem, ItemSelection
from exams.services import answer_save, attempt_start, item_check
from exams.services.attempts import _answer_save_locked
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempt(student):
    make_bank(per_domain=6)
    blueprint = short_blueprint(ask_confidence=True, mode="practice", feedback="after_each")
    return attempt_start(user=student, blueprint=blueprint, rng=random.Random(7))


@pytest.fixture
def not_asking(student):
    make_bank(per_domain=6)
    return attempt_start(user=student, blueprint=short_blueprint(), rng=random.Random(7))


def _item(attempt) -> AttemptItem:
    return attempt.items.filter(version__kind="multiple_choice").order_by("position").first()


def _save(student, attempt, item, options, seq, confidence=None):
    return answer_save(
        user=student,
        attempt_id=attempt.pk,
        position=item.position,
        option_ids=options,
        seq=seq,
        confidence=confidence,
    )


def _locked_save(student, attempt, item, options, seq, confidence=None):
    with transaction.atomic():
        return _answer_save_locked(
            user=student,
            attempt_id=attempt.pk,
            position=item.position,
            option_ids=options,
            seq=seq,
            ip=None,
            now=timezone.now(),
            confidence=confidence,
        )


def _confidence(item) -> str:
    return AttemptItem.objects.values_list("confidence", flat=True).get(pk=item.pk)


def _saves(attempt) -> list[dict]:
    return list(
        AttemptEvent.objects.filter(attempt=attempt, kind="save")
        .order_by("pk")
        .values_list("detail", flat=True)
    )


@pytest.fixture(params=["at once", "locked"])
def save(request):
    """Each test runs through both paths."""
    return _save if request.param == "at once" else _locked_save


def test_the_answer_and_its_confidence_are_saved_together(student, attempt, save):
    item = _item(attempt)
    save(student, attempt, item, item.option_order[:1], 1, "sure")
    assert _confidence(item) == "sure"
    assert set(ItemSelection.objects.filter(item=item).values_list("option_id", flat=True)) == {
        item.option_order[0]
    }
    assert _saves(attempt) == [
        {
            "position": item.position,
            "options": item.option_order[:1],
            "seq": 1,
            "confidence": "sure",
        }
    ]


def test_a_save_that_changes_only_the_confidence_is_a_change(student, attempt, save):
    item = _item(attempt)
    save(student, attempt, item, item.option_order[:1], 1, "sure")
    item.refresh_from_db()
    answered_at = item.answered_at
    save(student, attempt, item, item.option_order[:1], 2, "guess")
    item.refresh_from_db()
    assert item.confidence == "guess"
    assert item.answer_seq == 2
    assert item.answered_at == answered_at  # the answer itself did not change
    assert [d["confidence"] for d in _saves(attempt)] == ["sure", "guess"]


def test_an_unchanged_save_logs_nothing(student, attempt, save):
    item = _item(attempt)
    save(student, attempt, item, item.option_order[:1], 1, "unsure")
    save(student, attempt, item, item.option_order[:1], 2, "unsure")
    assert len(_saves(attempt)) == 1


def test_a_stale_seq_never_overwrites_the_confidence(student, attempt, save):
    item = _item(attempt)
    save(student, attempt, item, item.option_order[:1], 5, "sure")
    save(student, attempt, item, item.option_order[1:2], 4, "guess")
    item.refresh_from_db()
    assert (item.confidence, item.answer_seq) == ("sure", 5)
    assert len(_saves(attempt)) == 1


def test_no_confidence_sent_keeps_the_stored_one(student, attempt, save):
    item = _item(attempt)
    save(student, attempt, item, item.option_order[:1], 1, "unsure")
    save(student, attempt, item, item.option_order[1:2], 2)
    assert _confidence(item) == "unsure"
    assert "confidence" not in _saves(attempt)[-1]


def test_an_empty_confidence_clears_it(student, attempt, save):
    item = _item(attempt)
    save(student, attempt, item, item.option_order[:1], 1, "guess")
    save(student, attempt, item, item.option_order[:1], 2, "")
    assert _confidence(item) == ""
    assert _saves(attempt)[-1]["confidence"] == ""


def test_a_confidence_without_an_answer_is_kept(student, attempt, save):
    item = _item(attempt)
    save(student, attempt, item, [], 1, "sure")
    item.refresh_from_db()
    assert item.confidence == "sure"
    assert item.answered_at is None
    assert not ItemSelection.objects.filter(item=item).exists()
    # Answering later keeps it.
    save(student, attempt, item, item.option_order[:1], 2, "sure")
    assert _confidence(item) == "sure"


def test_an_attempt_that_does_not_ask_refuses_a_confidence(student, not_asking, save):
    item = _item(not_asking)
    with pytest.raises(ApplicationError, match="does not ask how sure") as caught:
        save(student, not_asking, item, item.option_order[:1], 1, "sure")
    assert caught.value.status == 400
    assert _confidence(item) == ""
    assert not ItemSelection.objects.filter(item=item).exists()
    # Without a confidence the same save is fine.
    save(student, not_asking, item, item.option_order[:1], 2)
    assert ItemSelection.objects.filter(item=item).exists()


def test_an_unknown_confidence_is_refused(student, attempt):
    item = _item(attempt)
    with pytest.raises(ApplicationError, match="Sure, Unsure or Guess"):
        _save(student, attempt, item, item.option_order[:1], 1, "certain")
    assert _confidence(item) == ""


def test_a_checked_item_keeps_its_confidence(student, attempt):
    item = _item(attempt)
    _save(student, attempt, item, item.option_order[:1], 1, "sure")
    item_check(user=student, attempt_id=attempt.pk, position=item.position)
    with pytest.raises(ApplicationError, match="already checked"):
        _save(student, attempt, item, item.option_order[:1], 2, "guess")
    assert _confidence(item) == "sure"


def test_the_at_once_save_with_a_confidence_is_one_statement(
    student, attempt, django_assert_num_queries
):
    item = _item(attempt)
    _save(student, attempt, item, item.option_order[:1], 1)
    with django_assert_num_queries(1):
        _save(student, attempt, item, item.option_order[:1], 2, "unsure")
    assert _confidence(item) == "unsure"
