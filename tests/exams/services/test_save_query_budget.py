"""Autosave at the floor's cost: the statements one save sends, pinned, and what they leave.

Transactional tests, so the counts are what production sends (no test-transaction savepoints):
ONE statement in autocommit, which locks the attempt, reads the item with it and writes only
what changed (data-modifying CTEs). Refusals and a save that found the item changed while it
waited for the lock take the transactional path: BEGIN, the locked read, a write, COMMIT.
"""

import random
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import ApplicationError
from exams.models import Attempt, AttemptEvent, AttemptItem, ItemSelection
from exams.services import AttemptClosed, answer_save, attempt_start, attempt_submit
from exams.services.attempts import SAVE_GRACE, SEQ_AHEAD
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def attempt(student):
    make_bank(per_domain=6)
    return attempt_start(user=student, blueprint=short_blueprint(), rng=random.Random(7))


def _item(attempt, kind, *, position=None):
    items = attempt.items.filter(version__kind=kind).select_related("version")
    if position is not None:
        items = items.filter(position=position)
    return items.order_by("position").first()


def _save(student, attempt, item, options, seq):
    return answer_save(
        user=student, attempt_id=attempt.pk, position=item.position, option_ids=options, seq=seq
    )


def _stored(item):
    return set(ItemSelection.objects.filter(item=item).values_list("option_id", flat=True))


def _sql(captured) -> str:
    """The one statement of a save (no BEGIN/COMMIT: it runs in autocommit)."""
    [sql] = [q["sql"] for q in captured.captured_queries]
    return sql


def _move_to(attempt, item):
    Attempt.objects.filter(pk=attempt.pk).update(current_position=item.position)


def test_the_locked_read_is_one_statement_joining_attempt_and_item(
    student, attempt, django_assert_num_queries
):
    item = _item(attempt, "multiple_choice")
    _move_to(attempt, item)
    with django_assert_num_queries(1) as captured:
        _save(student, attempt, item, item.option_order[:1], 1)
    sql = _sql(captured)
    assert "FOR UPDATE OF a" in sql and "a.user_id" in sql  # the lock, scoped to the user
    assert "FROM exams_attemptitem i" in sql and "JOIN exams_attempt a" in sql
    assert "FROM exams_itemselection" in sql  # the stored selection comes with it
    # The selection, the item, and the audit row: the same round trip.
    assert "INSERT INTO exams_itemselection" in sql
    assert "INSERT INTO exams_attemptevent" in sql
    assert "UPDATE exams_attemptitem" in sql
    assert _stored(item) == {item.option_order[0]}
    assert AttemptEvent.objects.filter(attempt=attempt, kind="save").count() == 1
    attempt.refresh_from_db()
    assert attempt.current_position == item.position


def test_a_first_save_elsewhere_also_moves_the_attempt_in_the_same_statement(
    student, attempt, django_assert_num_queries
):
    item = _item(attempt, "multiple_choice")
    other = attempt.items.exclude(pk=item.pk).first()
    _move_to(attempt, other)
    with django_assert_num_queries(1) as captured:
        _save(student, attempt, item, item.option_order[:1], 1)
    assert "UPDATE exams_attempt a SET current_position" in _sql(captured)
    attempt.refresh_from_db()
    assert attempt.current_position == item.position
    assert _stored(item) == {item.option_order[0]}
    event = AttemptEvent.objects.get(attempt=attempt, kind="save")
    assert event.detail == {"position": item.position, "options": item.option_order[:1], "seq": 1}
    assert event.actor == student


def test_a_changed_save_is_one_statement_and_keeps_the_unchanged_options_rows(
    student, attempt, django_assert_num_queries
):
    item = _item(attempt, "multiple_response")
    _move_to(attempt, item)
    a, b, c = item.option_order[:3]
    _save(student, attempt, item, [a, b], 1)
    kept = ItemSelection.objects.get(item=item, option_id=a).pk
    with django_assert_num_queries(1):
        _save(student, attempt, item, [a, c], 2)
    assert _stored(item) == {a, c}
    assert ItemSelection.objects.get(item=item, option_id=a).pk == kept  # not rewritten
    item.refresh_from_db()
    assert item.answer_seq == 2 and item.answered_at is not None
    assert AttemptEvent.objects.filter(attempt=attempt, kind="save").count() == 2


def test_clearing_an_answer_deletes_only(student, attempt, django_assert_num_queries):
    item = _item(attempt, "multiple_choice")
    _move_to(attempt, item)
    _save(student, attempt, item, item.option_order[:1], 1)
    with django_assert_num_queries(1):
        _save(student, attempt, item, [], 2)
    assert _stored(item) == set()
    item.refresh_from_db()
    assert item.answered_at is None


def test_an_unchanged_save_writes_only_the_seq(student, attempt, django_assert_num_queries):
    item = _item(attempt, "multiple_response")
    _move_to(attempt, item)
    a, b = item.option_order[:2]
    _save(student, attempt, item, [a, b], 1)
    rows = set(ItemSelection.objects.filter(item=item).values_list("pk", flat=True))
    item.refresh_from_db()
    answered_at = item.answered_at
    with django_assert_num_queries(1):
        _save(student, attempt, item, [b, a], 2)  # the same set in another order
    assert set(ItemSelection.objects.filter(item=item).values_list("pk", flat=True)) == rows
    item.refresh_from_db()
    assert (item.answer_seq, item.answered_at) == (2, answered_at)
    assert AttemptEvent.objects.filter(attempt=attempt, kind="save").count() == 1


def test_a_stale_save_writes_nothing(student, attempt, django_assert_num_queries):
    item = _item(attempt, "multiple_choice")
    _move_to(attempt, item)
    first, second = item.option_order[:2]
    _save(student, attempt, item, [second], 5)
    events = AttemptEvent.objects.count()
    with django_assert_num_queries(1):
        assert _save(student, attempt, item, [first], 4).answer_seq == 5
    assert _stored(item) == {second} and AttemptEvent.objects.count() == events
    item.refresh_from_db()
    assert item.answer_seq == 5


def test_a_stale_save_elsewhere_only_moves_the_attempt(student, attempt, django_assert_num_queries):
    item = _item(attempt, "multiple_choice")
    other = attempt.items.exclude(pk=item.pk).first()
    _move_to(attempt, item)
    _save(student, attempt, item, item.option_order[:1], 5)
    _move_to(attempt, other)
    with django_assert_num_queries(1):
        _save(student, attempt, item, item.option_order[1:2], 4)
    attempt.refresh_from_db()
    assert attempt.current_position == item.position
    assert _stored(item) == {item.option_order[0]}


def test_another_students_attempt_and_a_missing_item_are_refused_as_before(
    student, other_student, attempt
):
    item = _item(attempt, "multiple_choice")
    with pytest.raises(Attempt.DoesNotExist):
        _save(other_student, attempt, item, item.option_order[:1], 1)
    with pytest.raises(AttemptItem.DoesNotExist):
        answer_save(user=student, attempt_id=attempt.pk, position=999, option_ids=[], seq=1)


@pytest.mark.parametrize("why", ["submitted", "past the deadline and its grace"])
def test_a_refused_save_writes_nothing_then_is_worded_and_logged_as_before(
    student, attempt, why, django_assert_num_queries
):
    """The one statement writes nothing it refuses; the transactional path says why and logs the
    refusal (after its rollback): one statement, then BEGIN, the read, ROLLBACK, the audit row."""
    item = _item(attempt, "multiple_choice")
    if why == "submitted":
        attempt_submit(user=student, attempt_id=attempt.pk)
    else:
        past = timezone.now() - SAVE_GRACE - timedelta(seconds=1)
        Attempt.objects.filter(pk=attempt.pk).update(deadline=past)
    with django_assert_num_queries(5), pytest.raises(AttemptClosed):
        _save(student, attempt, item, item.option_order[:1], 1)
    assert _stored(item) == set()
    item.refresh_from_db()
    assert item.answer_seq == 0 and item.answered_at is None
    assert AttemptEvent.objects.filter(attempt=attempt, kind="refused").count() == 1
    assert not AttemptEvent.objects.filter(attempt=attempt, kind="save").exists()


@pytest.mark.parametrize(
    ("options", "seq"), [("another question's option", 1), ("one", SEQ_AHEAD * 10**3)]
)
def test_a_malformed_save_writes_nothing(student, attempt, options, seq):
    item = _item(attempt, "multiple_choice")
    other = attempt.items.exclude(pk=item.pk).first()
    chosen = other.option_order[:1] if options != "one" else item.option_order[:1]
    with pytest.raises(ApplicationError):
        _save(student, attempt, item, chosen, seq)
    assert _stored(item) == set()
    item.refresh_from_db()
    assert item.answer_seq == 0


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # a transaction caches the view
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]


@pytest.mark.parametrize("late_choice", ["same as the concurrent save", "as read before it"])
def test_a_save_that_waited_for_the_lock_reads_again_and_loses_nothing(
    student, attempt, late_choice
):
    """The one locked read sees the statement's snapshot: a save that waited for the attempt's
    lock while another save changed the item must not apply a diff against the old selection
    (a duplicate insert, or "unchanged" while it is not, which would lose the newer answer)."""
    item = _item(attempt, "multiple_choice")
    _move_to(attempt, item)
    old, new = item.option_order[:2]
    _save(student, attempt, item, [old], 1)
    late = [new] if late_choice == "same as the concurrent save" else [old]
    errors, sent = [], []

    def later_save():
        try:
            with CaptureQueriesContext(connection) as captured:
                _save(student, attempt, item, late, 3)
            sent.extend(q["sql"] for q in captured.captured_queries)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    with transaction.atomic():
        Attempt.objects.select_for_update().get(pk=attempt.pk)  # a save in progress holds it
        thread = threading.Thread(target=later_save)
        thread.start()
        for _ in range(200):
            if _waiting_on_a_lock():
                break
            time.sleep(0.05)
        else:
            pytest.fail("the second save never waited for the attempt's lock")
        _save(student, attempt, item, [new], 2)  # commits while the later save waits
    thread.join(timeout=20)
    assert not errors
    # The one statement found the item changed (its answer_seq guard wrote nothing), and the
    # transactional path read again with the lock held.
    assert len(sent) == 5 and "WITH d AS" in sent[0] and (sent[1], sent[-1]) == ("BEGIN", "COMMIT")
    assert _stored(item) == set(late)
    item.refresh_from_db()
    assert item.answer_seq == 3
    saves = AttemptEvent.objects.filter(attempt=attempt, kind="save").order_by("pk")
    expected = [1, 2] if late == [new] else [1, 2, 3]
    assert [e.detail["seq"] for e in saves] == expected


def test_a_save_elsewhere_that_waited_for_the_lock_moves_the_attempt_and_keeps_both(
    student, attempt
):
    """The waited save's item did not change meanwhile, so its one statement applies: the
    attempt row it locked (the newest, moved by the other save) is moved again in the same
    statement, and both answers stay."""
    first, second = attempt.items.filter(version__kind="multiple_choice").order_by("position")[:2]
    elsewhere = attempt.items.exclude(pk__in=[first.pk, second.pk]).first()
    _move_to(attempt, first)
    errors, sent = [], []

    def later_save():
        try:
            with CaptureQueriesContext(connection) as captured:
                _save(student, attempt, second, second.option_order[:1], 2)
            sent.extend(q["sql"] for q in captured.captured_queries)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    with transaction.atomic():
        Attempt.objects.select_for_update().get(pk=attempt.pk)
        thread = threading.Thread(target=later_save)
        thread.start()
        for _ in range(200):
            if _waiting_on_a_lock():
                break
            time.sleep(0.05)
        else:
            pytest.fail("the second save never waited for the attempt's lock")
        _save(student, attempt, first, first.option_order[:1], 1)
        _move_to(attempt, elsewhere)  # the waited save reads the attempt's newest row
    thread.join(timeout=20)
    assert not errors
    assert len(sent) == 1  # applied by the one statement
    attempt.refresh_from_db()
    assert attempt.current_position == second.position
    assert _stored(first) == {first.option_order[0]}
    assert _stored(second) == {second.option_order[0]}
    assert AttemptEvent.objects.filter(attempt=attempt, kind="save").count() == 2
