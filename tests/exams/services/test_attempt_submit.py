import random
import threading
from datetime import timedelta

import pytest
from django.db import connection

from exams.models import Attempt, AttemptEvent
from exams.services import answer_save, attempt_start, attempt_submit, attempts_expire_overdue
from exams.tasks import expire_overdue_attempts
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank


def _answer_correctly(user, attempt, how_many):
    for item in attempt.items.select_related("version").order_by("position")[:how_many]:
        keyed = [o for o in item.option_order if item.version.options.get(pk=o).is_correct]
        answer_save(
            user=user, attempt_id=attempt.pk, position=item.position, option_ids=keyed, seq=1
        )


@pytest.mark.django_db
def test_submit_scores_from_the_answers(student):
    make_bank(per_domain=6)
    attempt = attempt_start(user=student, blueprint=short_blueprint(), rng=random.Random(1))
    _answer_correctly(student, attempt, 8)
    # A wrong answer on item 9; item 10 stays unanswered.
    item9 = attempt.items.select_related("version").get(position=9)
    wrong = next(o for o in item9.option_order if not item9.version.options.get(pk=o).is_correct)
    answer_save(user=student, attempt_id=attempt.pk, position=9, option_ids=[wrong], seq=1)

    result = attempt_submit(user=student, attempt_id=attempt.pk)
    assert result.state == Attempt.State.SUBMITTED
    assert (result.correct_count, result.scored_count) == (8, 10)
    # 8/10 with the cut at 7.2: 720 + (0.8 × 280)/(2.8) … = 800.
    assert result.scaled_score == 800
    assert result.passed is True
    assert sum(d["total"] for d in result.domain_results) == 10
    assert list(result.items.filter(is_correct=True).values_list("position", flat=True)) == list(
        range(1, 9)
    )
    assert AttemptEvent.objects.filter(attempt=attempt, kind="submit").count() == 1


@pytest.mark.django_db
def test_submit_twice_gives_one_result(student):
    make_bank(per_domain=6)
    attempt = attempt_start(user=student, blueprint=short_blueprint())
    first = attempt_submit(user=student, attempt_id=attempt.pk)
    second = attempt_submit(user=student, attempt_id=attempt.pk)
    assert first.finished_at == second.finished_at
    assert AttemptEvent.objects.filter(attempt=attempt, kind="submit").count() == 1


@pytest.mark.django_db
def test_submit_after_the_deadline_records_the_deadline_as_finish(student):
    make_bank(per_domain=6)
    attempt = attempt_start(user=student, blueprint=short_blueprint())
    result = attempt_submit(
        user=student, attempt_id=attempt.pk, now=attempt.deadline + timedelta(minutes=5)
    )
    assert result.state == Attempt.State.EXPIRED
    assert result.finished_at == attempt.deadline


@pytest.mark.django_db
def test_beat_task_submits_abandoned_expired_attempts(student, other_student):
    make_bank(per_domain=6)
    blueprint = short_blueprint()
    abandoned = attempt_start(user=student, blueprint=blueprint)
    running = attempt_start(user=other_student, blueprint=blueprint)
    Attempt.objects.filter(pk=abandoned.pk).update(
        started_at=abandoned.started_at - timedelta(hours=1),
        deadline=abandoned.deadline - timedelta(hours=1),
    )
    assert expire_overdue_attempts.delay().get() == 1
    abandoned.refresh_from_db()
    running.refresh_from_db()
    assert abandoned.state == Attempt.State.EXPIRED
    assert abandoned.finished_at == abandoned.deadline
    assert abandoned.scaled_score == 100
    assert running.state == Attempt.State.IN_PROGRESS
    assert attempts_expire_overdue() == 0  # idempotent


@pytest.mark.services("postgresql")
@pytest.mark.django_db(transaction=True)
def test_parallel_submits_on_postgresql_score_exactly_once(student):
    assert connection.vendor == "postgresql"
    make_bank(per_domain=6)
    attempt = attempt_start(user=student, blueprint=short_blueprint())
    _answer_correctly(student, attempt, 5)
    barrier = threading.Barrier(4)
    results, errors = [], []

    def submit():
        try:
            barrier.wait()
            results.append(attempt_submit(user=student, attempt_id=attempt.pk).scaled_score)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 4
    assert AttemptEvent.objects.filter(attempt=attempt, kind="submit").count() == 1


@pytest.mark.services("postgresql")
@pytest.mark.django_db(transaction=True)
def test_two_tabs_starting_together_get_one_attempt(student):
    make_bank(per_domain=6)
    blueprint = short_blueprint()
    barrier = threading.Barrier(3)
    ids, errors = [], []

    def start():
        try:
            barrier.wait()
            ids.append(attempt_start(user=student, blueprint=blueprint).pk)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(ids)) == 1
    assert Attempt.objects.filter(user=student).count() == 1
