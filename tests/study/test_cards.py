"""Cards from finished attempts, rating in the check, time travel against fsrs itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import fsrs
import pytest
import time_machine
from django.db import transaction

from exams.models import Attempt, AttemptItem, Blueprint
from exams.services import answer_save, attempt_start, attempt_submit
from questions.models import Question
from questions.services import question_set_status
from study import selectors, services
from study.models import CardReview, ReviewCard
from study.rating import AGAIN, GOOD, HARD
from study.tasks import cards_from_attempt
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank
from tests.factories.study import (
    BLANK,
    RIGHT,
    WRONG,
    answer_and_check,
    answer_ids,
    items_of,
    sit,
    sit_and_submit,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_fuzz(settings):
    settings.STUDY_FSRS_FUZZING = False


@pytest.fixture
def bank(db):
    return make_bank(per_domain=3)


@pytest.fixture
def mock(bank):
    return short_blueprint(slug="mock", question_count=6, duration_minutes=None)


def _submit(student, blueprint, answers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return sit_and_submit(student, blueprint, answers)


def test_missed_unsure_and_guessed_questions_become_cards(
    student, mock, django_capture_on_commit_callbacks
):
    attempt = _submit(
        student,
        mock,
        {
            1: (WRONG, ""),
            2: (BLANK, ""),
            3: (RIGHT, "unsure"),
            4: (RIGHT, "guess"),
            5: (RIGHT, "sure"),
            6: (WRONG, "sure"),
        },
        django_capture_on_commit_callbacks,
    )
    by_position = {i.position: i for i in attempt.items.all()}
    cards = {c.question_id: c for c in ReviewCard.objects.filter(user=student)}
    assert set(cards) == {by_position[p].question_id for p in (1, 2, 3, 4, 6)}
    ratings = dict(
        CardReview.objects.filter(card__user=student).values_list(
            "attempt_item__position", "rating"
        )
    )
    assert ratings == {1: AGAIN, 2: AGAIN, 3: HARD, 4: HARD, 6: AGAIN}
    for card in cards.values():
        assert card.last_review == attempt.finished_at
        assert card.reps == 1
    # Everything missed is due within minutes: today's review.
    counts = selectors.deck_counts(user=student, now=attempt.finished_at + timedelta(minutes=10))
    assert counts.size == 5 and counts.due_now == 5


def test_task_is_idempotent_and_a_later_attempt_reviews_existing_cards(
    student, mock, django_capture_on_commit_callbacks
):
    first = _submit(student, mock, {1: (WRONG, "")}, django_capture_on_commit_callbacks)
    assert cards_from_attempt.delay(first.pk).get() == {"created": 0, "reviewed": 0}
    assert cards_from_attempt(first.pk) == {"created": 0, "reviewed": 0}
    assert CardReview.objects.count() == 1
    card = ReviewCard.objects.get()
    # A later practice of the same question, answered right and submitted without checking:
    # the finished-attempt task rates the card Good, once.
    practice = Blueprint.objects.get(slug="retry-missed")
    attempt = attempt_start(user=student, blueprint=practice, question_ids=[card.question_id])
    item = items_of(attempt)[0]
    answer_save(
        user=student,
        attempt_id=attempt.pk,
        position=1,
        option_ids=answer_ids(item, RIGHT),
        seq=1,
    )
    with django_capture_on_commit_callbacks(execute=True):
        attempt = attempt_submit(user=student, attempt_id=attempt.pk)
    assert services.cards_from_attempt(attempt_id=attempt.pk) == {"created": 0, "reviewed": 0}
    assert list(
        CardReview.objects.filter(card=card).order_by("pk").values_list("rating", flat=True)
    ) == [AGAIN, GOOD]
    assert ReviewCard.objects.count() == 1


def test_a_retired_question_leaves_the_deck_and_comes_back(
    student, instructor, mock, django_capture_on_commit_callbacks
):
    attempt = _submit(
        student, mock, {1: (WRONG, ""), 2: (WRONG, "")}, django_capture_on_commit_callbacks
    )
    now = attempt.finished_at + timedelta(hours=1)
    assert selectors.deck_counts(user=student, now=now).due_now == 2
    question = ReviewCard.objects.order_by("pk").first().question
    question_set_status(question=question, status=Question.Status.RETIRED, user=instructor)
    assert selectors.deck_counts(user=student, now=now).due_now == 1
    assert len(selectors.due_question_ids(user=student, now=now, limit=10)) == 1
    assert sum(d["count"] for d in selectors.forecast(user=student, now=now)) == 1
    question_set_status(question=question, status=Question.Status.PUBLISHED, user=instructor)
    assert selectors.deck_counts(user=student, now=now).due_now == 2


def test_time_travel_intervals_grow_as_fsrs_computes(
    student, mock, django_capture_on_commit_callbacks
):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        _submit(student, mock, {1: (WRONG, ""), 2: (WRONG, "")}, django_capture_on_commit_callbacks)
    expected = {c.pk: fsrs.Card(due=start) for c in ReviewCard.objects.filter(user=student)}
    reference = fsrs.Scheduler(desired_retention=0.9, enable_fuzzing=False)
    for pk in expected:
        expected[pk], _ = reference.review_card(expected[pk], fsrs.Rating.Again, start)
    intervals = []
    for _session in range(7):
        when = max(c.due for c in ReviewCard.objects.filter(user=student)) + timedelta(minutes=1)
        with time_machine.travel(when, tick=False):
            counts = selectors.deck_counts(user=student)
            assert counts.due_now == 2
            with django_capture_on_commit_callbacks(execute=True):
                review = services.review_start(user=student)
                for item in items_of(review):
                    answer_and_check(student, review, item, RIGHT)
                attempt_submit(user=student, attempt_id=review.pk)
            assert selectors.deck_counts(user=student).due_now == 0
        for card in ReviewCard.objects.filter(user=student):
            expected[card.pk], _ = reference.review_card(expected[card.pk], fsrs.Rating.Good, when)
            want = expected[card.pk]
            assert card.state == int(want.state)
            assert card.due == want.due
            assert card.stability == pytest.approx(want.stability)
            assert card.difficulty == pytest.approx(want.difficulty)
            assert card.last_review == when
        card = ReviewCard.objects.filter(user=student).first()
        intervals.append(card.due - card.last_review)
    assert Attempt.objects.filter(user=student).count() == 8
    assert CardReview.objects.filter(rating=GOOD).count() == 14
    # Two learning steps (minutes), then days that grow with every right answer.
    assert intervals[0] < timedelta(hours=1)
    review_intervals = intervals[2:]
    assert review_intervals[0] >= timedelta(days=1)
    assert review_intervals == sorted(review_intervals)
    assert len(set(review_intervals)) == len(review_intervals)


def test_the_check_rates_a_card_once_and_the_submit_does_not_rate_it_again(
    student, mock, django_capture_on_commit_callbacks
):
    attempt = _submit(student, mock, {1: (WRONG, "")}, django_capture_on_commit_callbacks)
    with time_machine.travel(attempt.finished_at + timedelta(minutes=5), tick=False):
        review = services.review_start(user=student)
        item = items_of(review)[0]
        AttemptItem.objects.filter(pk=item.pk).update(confidence="unsure")
        answer_and_check(student, review, item, RIGHT)
        with django_capture_on_commit_callbacks(execute=True):
            attempt_submit(user=student, attempt_id=review.pk)
    reviews = list(CardReview.objects.order_by("pk").values_list("rating", "attempt_item_id"))
    assert reviews[1] == (HARD, item.pk)
    assert len(reviews) == 2


def test_nightly_summaries_match_the_live_figures(
    student, other_student, mock, django_capture_on_commit_callbacks
):
    _submit(
        student, mock, {1: (WRONG, ""), 2: (RIGHT, "unsure")}, django_capture_on_commit_callbacks
    )
    _submit(other_student, mock, {3: (WRONG, "")}, django_capture_on_commit_callbacks)
    later = datetime.now(UTC) + timedelta(days=3)
    with time_machine.travel(later, tick=False):
        # Review one of them so stability and recall are non-trivial.
        review = services.review_start(user=student)
        for item in items_of(review):
            answer_and_check(student, review, item, RIGHT)
        attempt_submit(user=student, attempt_id=review.pk)
    when = later + timedelta(days=2)
    with transaction.atomic():
        assert services.due_summaries_recompute(now=when) == 2
    from study.models import DueSummary

    for user in (student, other_student):
        summary = DueSummary.objects.get(user=user)
        assert summary.forecast == [d["count"] for d in selectors.forecast(user=user, now=when)]
        counts = selectors.deck_counts(user=user, now=when)
        assert (summary.deck_size, summary.due_today) == (counts.size, counts.due_today)
        live = selectors.predicted_recall(user=user, now=when)
        assert summary.predicted_recall == pytest.approx(live)


def test_a_sure_fast_right_answer_is_easy_and_the_signal_fires_once(
    student, mock, django_capture_on_commit_callbacks
):
    from exams.signals import item_checked
    from study.rating import EASY

    sent = []

    def spy(sender, **kwargs):
        sent.append(kwargs["item_id"])

    item_checked.connect(spy, dispatch_uid="test.spy")
    try:
        attempt = _submit(student, mock, {1: (WRONG, "")}, django_capture_on_commit_callbacks)
        card = ReviewCard.objects.get(user=student)
        # In review state, due: a sure answer 12 s after the session started is Easy.
        ReviewCard.objects.filter(pk=card.pk).update(
            state=ReviewCard.State.REVIEW, stability=3.0, difficulty=5.0
        )
        start = attempt.finished_at + timedelta(days=1)
        with time_machine.travel(start, tick=False):
            review = services.review_start(user=student)
        item = items_of(review)[0]
        AttemptItem.objects.filter(pk=item.pk).update(confidence="sure")
        with time_machine.travel(start + timedelta(seconds=12), tick=False):
            answer_and_check(student, review, item, RIGHT)
            # Checking again (the page's button twice) neither re-sends nor re-rates.
            from exams.services import item_check

            item_check(user=student, attempt_id=review.pk, position=item.position)
    finally:
        item_checked.disconnect(dispatch_uid="test.spy")
    assert sent == [item.pk]
    last = CardReview.objects.filter(card=card).latest("pk")
    assert (last.rating, last.duration_seconds, last.attempt_item_id) == (EASY, 12, item.pk)


def test_a_slow_sure_answer_is_good_with_seconds_clamped(
    student, mock, django_capture_on_commit_callbacks
):
    attempt = _submit(student, mock, {1: (WRONG, "")}, django_capture_on_commit_callbacks)
    start = attempt.finished_at + timedelta(days=1)
    with time_machine.travel(start, tick=False):
        review = services.review_start(user=student)
    item = items_of(review)[0]
    AttemptItem.objects.filter(pk=item.pk).update(confidence="sure")
    with time_machine.travel(start + timedelta(hours=5), tick=False):
        answer_and_check(student, review, item, RIGHT)
    last = CardReview.objects.latest("pk")
    assert (last.rating, last.duration_seconds) == (GOOD, 600)


def test_the_task_for_an_unknown_or_open_attempt_does_nothing(student, mock):
    assert services.cards_from_attempt(attempt_id=987654) == {"created": 0, "reviewed": 0}
    attempt = sit(student, mock, {1: (WRONG, "")})
    assert services.cards_from_attempt(attempt_id=attempt.pk) == {"created": 0, "reviewed": 0}
    assert not ReviewCard.objects.exists()


def test_catch_up_makes_the_cards_a_lost_task_never_made(student, mock):
    from study.tasks import catch_up_cards

    # Submitted without running the on-commit callbacks: as if the broker had been down.
    attempt = sit_and_submit(student, mock, {1: (WRONG, ""), 2: (RIGHT, "guess")})
    assert not ReviewCard.objects.exists()
    assert catch_up_cards() == 1
    assert ReviewCard.objects.filter(user=student).count() == 2
    assert catch_up_cards() == 0  # nothing left
    assert services.cards_catch_up(since=attempt.finished_at + timedelta(seconds=1)) == 0
