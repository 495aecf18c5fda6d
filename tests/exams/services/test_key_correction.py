"""Key corrections: preview == apply, both policies, chunks, idempotency, what is recorded."""

from __future__ import annotations

import pytest

from core.errors import ApplicationError
from exams.models import (
    Attempt,
    AttemptEvent,
    AttemptRegrade,
    ItemSelection,
    KeyCorrection,
    KeyCorrectionVersion,
)
from exams.scoring import is_item_correct
from exams.services import attempt_start, attempt_submit
from exams.services.regrade import (
    correction_create,
    correction_outcomes,
    correction_preview,
    correction_run,
    correction_run_chunk,
    key_changes,
    question_has_key_change,
)
from tests.factories.regrade import change_key, finished_attempts, item_of

pytestmark = pytest.mark.django_db

CORRECTED = KeyCorrection.Policy.CORRECTED
EITHER = KeyCorrection.Policy.EITHER


def _scores():
    return {
        a.pk: (a.scaled_score, a.percent, a.passed, a.correct_count)
        for a in Attempt.objects.order_by("pk")
    }


def test_key_changes_lists_the_older_version_and_its_positions():
    world = finished_attempts(2)
    assert key_changes(question=world.question) == []
    assert not question_has_key_change(question=world.question)
    change_key(world.question, correct="B")
    [change] = key_changes(question=world.question)
    assert change.version.number == 1
    assert (change.key_letters, change.corrected_letters) == ("A", "B")
    assert change.regradable
    assert question_has_key_change(question=world.question)


@pytest.mark.parametrize("policy", [CORRECTED, EITHER])
def test_preview_is_what_the_regrade_does_attempt_by_attempt(instructor, policy):
    world = finished_attempts(8)
    change_key(world.question, correct="B")
    before = _scores()

    preview = correction_preview(
        question=world.question, policy=policy, reason="B is right", actor=instructor
    )
    # Nothing was written by the dry run.
    assert _scores() == before
    assert not KeyCorrection.objects.exists()
    assert not AttemptEvent.objects.filter(kind=AttemptEvent.Kind.REGRADE).exists()
    assert len(preview.outcomes) == 8
    assert preview.changed

    correction = correction_create(
        question=world.question, policy=policy, reason="B is right", actor=instructor
    )
    correction = correction_run(correction_id=correction.pk, size=3)
    assert correction.state == KeyCorrection.State.DONE
    assert correction_outcomes(correction=correction) == preview.outcomes
    after = _scores()
    for outcome in preview.outcomes:
        assert after[outcome.attempt_id][:3] == (
            outcome.new_scaled,
            outcome.new_percent,
            outcome.new_passed,
        )
        assert before[outcome.attempt_id][:3] == (
            outcome.old_scaled,
            outcome.old_percent,
            outcome.old_passed,
        )


@pytest.mark.parametrize("policy", [CORRECTED, EITHER])
def test_each_answer_is_marked_as_the_policy_says(instructor, policy):
    world = finished_attempts(4)  # answers A (old key), B (new key), blank, C
    change_key(world.question, correct="B")
    correction = correction_create(
        question=world.question, policy=policy, reason="B is right", actor=instructor
    )
    correction_run(correction_id=correction.pk)
    marks = [item_of(a, world.question).is_correct for a in world.attempts]
    if policy == CORRECTED:
        assert marks == [False, True, False, False]
    else:
        assert marks == [True, True, False, False]
    # The pinned version and its options did not change.
    item = item_of(world.attempts[0], world.question)
    assert item.version.number == 1
    assert [o.is_correct for o in item.version.options.all()] == [True, False, False, False]
    # The Python twin says the same for every item.
    entry = KeyCorrectionVersion.objects.get(correction=correction)
    fixed = {o.pk for o in entry.options.all()}
    for attempt in world.attempts:
        item = item_of(attempt, world.question)
        keyed = {o.pk for o in item.version.options.all() if o.is_correct}
        chosen = {s.option_id for s in item.selections.all()}
        assert item.is_correct is is_item_correct(
            item.version.kind,
            keyed,
            chosen,
            corrected=fixed,
            accept_original=policy == EITHER,
        )


def test_no_one_loses_a_mark_under_either(instructor):
    world = finished_attempts(8)
    change_key(world.question, correct="B")
    preview = correction_preview(
        question=world.question, policy=EITHER, reason="B is right too", actor=instructor
    )
    assert all(o.new_scaled >= o.old_scaled for o in preview.outcomes)
    assert preview.newly_failing == 0
    strict = correction_preview(
        question=world.question, policy=CORRECTED, reason="B is right", actor=instructor
    )
    assert any(o.new_scaled < o.old_scaled for o in strict.outcomes)


def test_a_rerun_skips_done_attempts_one_event_each(instructor):
    world = finished_attempts(5)
    change_key(world.question, correct="B")
    correction = correction_create(
        question=world.question, policy=CORRECTED, reason="B is right", actor=instructor
    )
    assert correction_run_chunk(correction_id=correction.pk, size=2) == 2
    correction.refresh_from_db()
    assert (correction.state, correction.attempts_done, correction.attempts_total) == (
        KeyCorrection.State.RUNNING,
        2,
        5,
    )
    correction_run(correction_id=correction.pk, size=2)
    scores = _scores()
    correction_run(correction_id=correction.pk, size=2)  # a redelivered task
    assert correction_run_chunk(correction_id=correction.pk) == 0
    assert _scores() == scores
    assert AttemptRegrade.objects.filter(correction=correction).count() == 5
    for attempt in world.attempts:
        events = AttemptEvent.objects.filter(attempt=attempt, kind=AttemptEvent.Kind.REGRADE)
        assert events.count() == 1
        detail = events.get().detail
        assert "B is right" in detail["reason"]
        record = AttemptRegrade.objects.get(attempt=attempt)
        assert (detail["before"], detail["after"]) == (record.old_scaled, record.new_scaled)
        assert events.get().actor == instructor


def test_other_option_count_is_not_regradable_and_reported(instructor):
    world = finished_attempts(4)
    change_key(world.question, correct="B", add_option=True)
    [change] = key_changes(question=world.question)
    assert not change.regradable and "options" in change.why_not
    before = _scores()
    preview = correction_preview(
        question=world.question, policy=CORRECTED, reason="B", actor=instructor
    )
    assert preview.outcomes == []
    assert preview.items_not_regradable == 4
    correction = correction_create(
        question=world.question, policy=CORRECTED, reason="B", actor=instructor
    )
    correction = correction_run(correction_id=correction.pk)
    assert correction.items_not_regradable == 4
    assert correction.attempts_done == 0
    assert _scores() == before


def test_later_correction_replaces_the_earlier_one(instructor):
    world = finished_attempts(4)
    change_key(world.question, correct="B")
    first = correction_create(
        question=world.question, policy=CORRECTED, reason="B", actor=instructor
    )
    correction_run(correction_id=first.pk)
    change_key(world.question, correct="C")  # v3: C after all
    changes = key_changes(question=world.question)
    assert [(c.version.number, c.key_letters, c.corrected_letters) for c in changes] == [
        (1, "B", "C"),
        (2, "B", "C"),
    ]
    second = correction_create(
        question=world.question, policy=CORRECTED, reason="C", actor=instructor
    )
    correction_run(correction_id=second.pk)
    marks = [item_of(a, world.question).is_correct for a in world.attempts]
    assert marks == [False, False, False, True]
    assert list(
        KeyCorrectionVersion.objects.filter(in_force=True).values_list("correction", flat=True)
    ) == [second.pk, second.pk]


def test_an_open_attempt_is_marked_by_the_corrected_key_at_submit(instructor, student):
    world = finished_attempts(1)
    blueprint = world.attempts[0].blueprint
    attempt = attempt_start(
        user=student,
        blueprint=blueprint,
        question_ids=[world.question.pk] + [q.pk for q in world.others],
    )
    change_key(world.question, correct="B")
    correction = correction_create(
        question=world.question, policy=CORRECTED, reason="B", actor=instructor
    )
    assert correction.attempts_total == 1  # the finished one only
    item = item_of(attempt, world.question)
    ItemSelection.objects.create(item=item, option=item.version.options.get(position=1))
    attempt_submit(user=student, attempt_id=attempt.pk)
    item.refresh_from_db()
    assert item.is_correct is True


@pytest.mark.parametrize(
    ("policy", "reason", "message"),
    [("", "B", "Choose"), ("strict", "B", "Choose"), (CORRECTED, "  ", "reason")],
)
def test_bad_requests_are_refused_plainly(instructor, policy, reason, message):
    world = finished_attempts(1)
    change_key(world.question, correct="B")
    with pytest.raises(ApplicationError, match=message):
        correction_create(question=world.question, policy=policy, reason=reason, actor=instructor)


def test_no_key_change_is_refused(instructor):
    world = finished_attempts(1)
    with pytest.raises(ApplicationError, match="nothing to correct"):
        correction_create(question=world.question, policy=CORRECTED, reason="B", actor=instructor)


@pytest.mark.parametrize(("policy", "marks"), [(CORRECTED, [False, True]), (EITHER, [True, True])])
def test_practice_feedback_on_an_old_version_uses_the_correction(
    instructor, student, policy, marks
):
    from exams.services import item_check
    from tests.factories.exams import short_blueprint

    world = finished_attempts(1)
    attempts = [
        attempt_start(
            user=student,
            blueprint=short_blueprint(
                slug=f"practice-{n}", mode="practice", feedback="after_each", duration_minutes=None
            ),
            question_ids=[world.question.pk] + [q.pk for q in world.others],
        )
        for n in range(2)
    ]
    change_key(world.question, correct="B")
    correction_create(question=world.question, policy=policy, reason="B", actor=instructor)
    got = []
    for attempt, position in zip(attempts, (0, 1), strict=True):  # A (old key), B (corrected)
        item = item_of(attempt, world.question)
        assert item.version.number == 1
        ItemSelection.objects.create(item=item, option=item.version.options.get(position=position))
        got.append(
            item_check(user=student, attempt_id=attempt.pk, position=item.position).is_correct
        )
        # Submit agrees with the feedback shown.
        attempt_submit(user=student, attempt_id=attempt.pk)
        item.refresh_from_db()
        assert item.is_correct is got[-1]
    assert got == marks


def test_the_nightly_recompute_finds_no_drift_after_a_correction(instructor):
    from analytics.services.results import regrade_from_raw_answers

    world = finished_attempts(4)
    change_key(world.question, correct="B")
    correction = correction_create(
        question=world.question, policy=CORRECTED, reason="B", actor=instructor
    )
    correction_run(correction_id=correction.pk)
    scores = _scores()
    assert regrade_from_raw_answers() == set()  # the analytics twin reads the correction too
    assert _scores() == scores
