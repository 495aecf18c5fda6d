"""Issue 14 end to end, as the people do it, through the pages, on PostgreSQL with a real
Celery worker on Redis.

A student sits a mock that asks how sure they are, sees their misconceptions, reviews the due
cards on later (time-travelled) days with intervals that grow as FSRS computes them, reports a
question; an instructor accepts the report, corrects the key, previews and applies the regrade;
the student reads the regraded score and its reason, and takes the deck to Anki.
"""

from __future__ import annotations

import re
from datetime import timedelta

import fsrs
import pytest
import time_machine
from django.urls import reverse

from exams.models import Attempt, AttemptItem, KeyCorrection
from exams.services.regrade import correction_outcomes, correction_preview
from questions.models import Question, QuestionReport
from questions.services import question_as_data
from study.models import CardReview, ReviewCard
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank, question_form_post
from tests.faults.conftest import wait_for
from tests.questions.test_anki_export import read_apkg

pytestmark = pytest.mark.services("postgresql", "redis")


def _options(item: AttemptItem) -> tuple[list[int], list[int]]:
    """The item's keyed and unkeyed option ids, in the order shown."""
    keyed = {o.pk for o in item.version.options.all() if o.is_correct}
    return (
        [o for o in item.option_order if o in keyed],
        [o for o in item.option_order if o not in keyed],
    )


def _answer(client, item: AttemptItem, option_ids, *, confidence="", go="next", seq=1):
    response = client.post(
        reverse("exams:answer", args=[item.attempt_id, item.position]),
        {
            "option": [str(o) for o in option_ids],
            "seq": str(seq),
            "go": go,
            "confidence": confidence,
        },
    )
    assert response.status_code == 302, response.content[:500]


def _items(attempt_id: int) -> list[AttemptItem]:
    return list(
        AttemptItem.objects.filter(attempt_id=attempt_id)
        .select_related("version")
        .prefetch_related("version__options")
        .order_by("position")
    )


def _replayed(card: ReviewCard) -> fsrs.Card:
    """The card FSRS computes from the card's own review log (ratings at their times)."""
    scheduler = fsrs.Scheduler(desired_retention=0.9, enable_fuzzing=False)
    replay = fsrs.Card(due=card.created_at)
    for review in card.reviews.order_by("reviewed_at", "pk"):
        replay, _ = scheduler.review_card(
            replay, fsrs.Rating(review.rating), review_datetime=review.reviewed_at
        )
    return replay


def test_a_student_and_an_instructor_close_the_loop(start_worker, client, settings):
    settings.STUDY_FSRS_FUZZING = False
    worker = start_worker(ANALYTICS_DEBOUNCE_SECONDS=1, STUDY_FSRS_FUZZING="false")
    make_bank(per_domain=3)
    student = UserFactory(role="Student")
    instructor = UserFactory(role="Instructor")
    mock = short_blueprint(
        slug="story-mock", question_count=6, duration_minutes=None, ask_confidence=True
    )

    # --- The student sits the mock, saying how sure they are. ------------------------------
    client.force_login(student)
    client.post(reverse("exams:start", args=[mock.slug]))
    attempt = Attempt.objects.get(user=student, blueprint=mock)
    items = _items(attempt.pk)
    reported = next(i for i in items[2:] if i.version.kind == Question.Kind.MULTIPLE_CHOICE)
    for item in items:
        keyed, unkeyed = _options(item)
        if item.position == 1:
            _answer(client, item, unkeyed[:1], confidence="sure")  # a misconception
        elif item.position == 2:
            _answer(client, item, keyed, confidence="guess")  # right, by luck
        elif item is reported:
            # The student is sure of an option the key calls wrong (the key is the error).
            _answer(client, item, unkeyed[:1], confidence="sure")
        else:
            _answer(client, item, keyed, confidence="sure")
    assert client.post(reverse("exams:submit", args=[attempt.pk])).status_code == 302
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.SUBMITTED
    before = attempt.scaled_score

    # Their misconceptions come first on the results page.
    results = client.get(reverse("exams:results", args=[attempt.pk])).content.decode()
    assert "Sure but wrong: the misconceptions to fix first" in results
    misconceptions = results.split('id="h-sure-wrong"', 1)[1].split("</ul>", 1)[0]
    assert f"#q{items[0].position}" in misconceptions
    assert f"#q{reported.position}" in misconceptions

    # --- The worker turns the missed and guessed questions into cards. ----------------------
    carded = {items[0].question_id, items[1].question_id, reported.question_id}
    assert wait_for(
        lambda: (
            set(ReviewCard.objects.filter(user=student).values_list("question_id", flat=True))
            == carded
        )
    ), worker.output()

    # --- Reviews on later days: every card answered right; intervals grow as FSRS says. -----
    watched = ReviewCard.objects.get(user=student, question_id=items[0].question_id)
    intervals = []
    for _day in range(5):
        when = max(c.due for c in ReviewCard.objects.filter(user=student)) + timedelta(minutes=1)
        with time_machine.travel(when, tick=False):
            client.force_login(student)  # weeks later the old session has expired
            page = client.get(reverse("study:review")).content.decode()
            assert 'id="due-now">3<' in page
            assert "Start today's review (3)" in page
            start = client.post(reverse("study:review_start"))
            review_id = int(re.search(r"/attempts/(\d+)/", start["Location"]).group(1))
            for item in _items(review_id):
                keyed, _ = _options(item)
                _answer(client, item, keyed, confidence="sure", go="check")
            client.post(reverse("exams:submit", args=[review_id]))
            after = client.get(reverse("study:review")).content.decode()
            assert 'id="due-now">0<' in after
        watched.refresh_from_db()
        assert watched.last_review == when
        replay = _replayed(watched)
        assert watched.due == replay.due
        assert watched.stability == pytest.approx(replay.stability)
        intervals.append(watched.due - watched.last_review)
    # Sure, quick right answers rate Easy: the card leaves learning at once, and each right
    # answer pushes the next review further out.
    assert intervals[0] >= timedelta(days=1)
    assert intervals == sorted(intervals) and len(set(intervals)) == len(intervals), intervals
    assert CardReview.objects.filter(card=watched).count() == 6  # the mock, then five reviews

    # --- The student reports the question from the results page. ---------------------------
    client.force_login(student)
    response = client.post(
        reverse("exams:report_question", args=[attempt.pk, reported.position]),
        {"category": "key_wrong", "text": "The option I chose is what the documentation says."},
    )
    assert response.status_code == 302
    report = QuestionReport.objects.get(reporter=student)
    assert report.status == QuestionReport.Status.OPEN

    # --- The instructor accepts it, corrects the key, previews and applies the regrade. ----
    client.force_login(instructor)
    queue = client.get(reverse("analytics:question_reports")).content.decode()
    assert "The option I chose is what the documentation says." in queue
    accepted = client.post(
        reverse("analytics:question_report_resolve", args=[report.pk]),
        {"decision": "accept", "reply": "You are right: the key is corrected."},
    )
    question = Question.objects.get(pk=reported.question_id)
    assert accepted["Location"].startswith(reverse("questions:edit", args=[question.pk]))
    chosen_position = next(
        o.position for o in reported.version.options.all() if o.pk == _options(reported)[1][0]
    )
    data = question_as_data(question)
    for option_index, option in enumerate(data["options"]):  # positions count from 0
        option["correct"] = option_index == chosen_position
    saved = client.post(
        reverse("questions:edit", args=[question.pk]),
        question_form_post(
            data,
            change_note="Key corrected after a student's report",
            # As the edit page renders it: the existing options are the formset's initial rows.
            **{"options-INITIAL_FORMS": str(len(data["options"]))},
        ),
    )
    assert saved.status_code == 302, saved.context and saved.context.get("errors")
    question.refresh_from_db()
    assert question.current_version_id != reported.version_id

    preview = correction_preview(
        question=question, policy="corrected", reason="the documentation", actor=instructor
    )
    page = client.get(
        reverse("exams:key_correction", args=[question.pk]),
        {"policy": "corrected", "reason": "the documentation", "preview": "1"},
    )
    assert page.status_code == 200
    assert f"{before} → " in page.content.decode()
    applied = client.post(
        reverse("exams:key_correction_apply", args=[question.pk]),
        {
            "policy": "corrected",
            "reason": "the documentation",
            "version": question.current_version_id,
        },
    )
    assert applied.status_code == 302
    correction = KeyCorrection.objects.get(question=question)
    assert wait_for(
        lambda: KeyCorrection.objects.get(pk=correction.pk).state == KeyCorrection.State.DONE,
        timeout=90,
    ), worker.output()
    # The dry run said what the worker then did, attempt by attempt.
    assert correction_outcomes(correction=correction) == preview.outcomes

    # --- The student sees the regraded score and why, and their report's answer. -----------
    attempt.refresh_from_db()
    assert attempt.scaled_score > before
    client.force_login(student)
    results = client.get(reverse("exams:results", args=[attempt.pk])).content.decode()
    assert f"{before} → {attempt.scaled_score}" in results
    assert f"because question {reported.position}&#x27;s key was corrected" in results or (
        f"because question {reported.position}'s key was corrected" in results
    )
    dashboard = client.get(reverse("analytics:dashboard")).content.decode()
    assert "Regraded on" in dashboard
    assert "You are right: the key is corrected." in dashboard

    # --- And takes the deck offline: an Anki package of the cards' questions. --------------
    deck = client.get(reverse("study:review_deck"))
    assert deck.status_code == 200
    notes = read_apkg(deck.content)["notes"]
    assert set(notes) == set(Question.objects.filter(pk__in=carded).values_list("key", flat=True))
