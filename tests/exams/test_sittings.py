"""Scheduled sittings: an instructor schedules a blueprint for a cohort, forms are drawn ahead,
members start from the opening time with the form drawn for them."""

from __future__ import annotations

import random
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from exams import pool as pool_module
from exams.models import Attempt, AttemptEvent, PreparedForm, Sitting
from exams.services import (
    attempt_start,
    attempt_submit,
    sitting_cancel,
    sitting_prepare,
    sitting_schedule,
    sitting_start,
    sittings_prepare_due,
)
from questions.services import question_as_data, question_set_enemies, question_update
from tests.factories.accounts import CohortFactory, UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank, make_question

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
OPENS = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def bank():
    return make_bank(per_domain=6)  # 30 questions; a 10-question form takes a third


@pytest.fixture
def blueprint():
    return short_blueprint()


@pytest.fixture
def members():
    return [UserFactory(role="Student") for _ in range(3)]


@pytest.fixture
def cohort(instructor, members):
    return CohortFactory(instructors=[instructor], students=members)


@pytest.fixture
def sitting(instructor, cohort, blueprint):
    return sitting_schedule(
        actor=instructor, cohort=cohort, blueprint=blueprint, opens_at=OPENS, now=NOW
    )


def _items(attempt: Attempt) -> list[dict]:
    return [
        {
            "question_id": i.question_id,
            "version_id": i.version_id,
            "domain_id": i.domain_id,
            "option_ids": i.option_order,
            "scored": i.scored,
        }
        for i in attempt.items.order_by("position")
    ]


# --- Scheduling -----------------------------------------------------------------------------


def test_an_instructor_schedules_a_sitting_and_its_preparation_is_queued_after_commit(
    instructor, cohort, blueprint, django_capture_on_commit_callbacks
):
    queued = []
    with django_capture_on_commit_callbacks(execute=True):
        sitting = sitting_schedule(
            actor=instructor,
            cohort=cohort,
            blueprint=blueprint,
            opens_at=OPENS,
            closes_at=OPENS + timedelta(hours=1),
            now=NOW,
            dispatch=lambda *args: queued.append(args),
        )
        assert queued == []  # nothing before the commit
    assert queued == [(sitting.pk, OPENS)]
    assert (sitting.cohort, sitting.blueprint, sitting.created_by) == (
        cohort,
        blueprint,
        instructor,
    )


def test_only_the_cohorts_instructors_and_admins_schedule(cohort, blueprint, members, admin_user):
    for outsider in (UserFactory(role="Instructor"), members[0]):
        with pytest.raises(ValidationError, match="Only an instructor of this cohort") as exc:
            sitting_schedule(
                actor=outsider, cohort=cohort, blueprint=blueprint, opens_at=OPENS, now=NOW
            )
        assert exc.value.status == 403
    sitting_schedule(actor=admin_user, cohort=cohort, blueprint=blueprint, opens_at=OPENS, now=NOW)
    assert Sitting.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"opens_at": NOW - timedelta(minutes=1)}, "opens_at", "must be in the future"),
        ({"opens_at": NOW}, "opens_at", "must be in the future"),
        ({"closes_at": OPENS}, "closes_at", "must be after the opening time"),
        ({"closes_at": OPENS - timedelta(hours=1)}, "closes_at", "must be after the opening"),
    ],
)
def test_times_are_checked_field_by_field(instructor, cohort, blueprint, change, field, message):
    values = {"opens_at": OPENS, "closes_at": None, **change}
    with pytest.raises(ValidationError) as exc:
        sitting_schedule(actor=instructor, cohort=cohort, blueprint=blueprint, now=NOW, **values)
    assert message in " ".join(exc.value.message_dict[field])
    assert not Sitting.objects.exists()


def test_an_inactive_blueprint_cannot_be_scheduled(instructor, cohort, blueprint):
    blueprint.is_active = False
    blueprint.save()
    with pytest.raises(ValidationError) as exc:
        sitting_schedule(
            actor=instructor, cohort=cohort, blueprint=blueprint, opens_at=OPENS, now=NOW
        )
    assert "not active" in exc.value.message_dict["blueprint"][0]


def test_the_database_refuses_a_closing_time_before_the_opening(sitting):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        Sitting.objects.filter(pk=sitting.pk).update(closes_at=OPENS - timedelta(minutes=5))


# --- The cohort's sittings page -------------------------------------------------------------


def test_the_page_schedules_lists_and_cancels(client, instructor, cohort, blueprint, bank):
    client.force_login(instructor)
    url = reverse("exams:cohort_sittings", args=[cohort.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "No sittings scheduled yet." in page.content.decode()
    opens = (timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    response = client.post(
        url, {"blueprint": blueprint.pk, "opens_at": opens.strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 302
    sitting = Sitting.objects.get()
    assert sitting.opens_at == opens
    sitting_prepare(sitting_id=sitting.pk)
    body = client.get(url).content.decode()
    assert blueprint.title in body and "3 / 3" in body
    response = client.post(reverse("exams:sitting_cancel", args=[cohort.pk, sitting.pk]))
    assert response.status_code == 302
    sitting.refresh_from_db()
    assert sitting.cancelled_at is not None
    assert "Cancelled" in client.get(url).content.decode()


def test_the_page_explains_a_refused_time_on_the_form(client, instructor, cohort, blueprint):
    client.force_login(instructor)
    url = reverse("exams:cohort_sittings", args=[cohort.pk])
    past = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"blueprint": blueprint.pk, "opens_at": past})
    assert response.status_code == 400
    assert "The opening time must be in the future." in response.content.decode()
    response = client.post(url, {"blueprint": blueprint.pk, "opens_at": "tomorrow at nine"})
    assert response.status_code == 400
    assert "Enter a valid date/time." in response.content.decode()
    assert not Sitting.objects.exists()


def test_the_blueprint_choice_lists_active_blueprints_only(client, instructor, cohort, blueprint):
    hidden = short_blueprint(slug="retired-mock", title="Retired mock", is_active=False)
    client.force_login(instructor)
    body = client.get(reverse("exams:cohort_sittings", args=[cohort.pk])).content.decode()
    assert blueprint.title in body
    assert hidden.title not in body
    response = client.post(
        reverse("exams:cohort_sittings", args=[cohort.pk]),
        {"blueprint": hidden.pk, "opens_at": "2099-01-01T09:00"},
    )
    assert response.status_code == 400


def test_another_instructors_cohort_is_not_found_and_students_are_forbidden(
    client, cohort, members
):
    url = reverse("exams:cohort_sittings", args=[cohort.pk])
    client.force_login(UserFactory(role="Instructor"))
    assert client.get(url).status_code == 404
    client.force_login(members[0])
    assert client.get(url).status_code == 403


# --- Preparation ----------------------------------------------------------------------------


def test_prepare_draws_one_form_per_member_and_is_idempotent(sitting, members, bank, cohort):
    assert sitting_prepare(sitting_id=sitting.pk, now=NOW) == 3
    forms = PreparedForm.objects.filter(sitting=sitting)
    assert sorted(forms.values_list("user_id", flat=True)) == sorted(m.pk for m in members)
    for form in forms:
        assert len(form.items) == 10
        assert len({d["question_id"] for d in form.items}) == 10
        assert form.attempt is None
    assert sitting_prepare(sitting_id=sitting.pk, now=NOW) == 0
    late = UserFactory(role="Student")
    cohort.students.add(late)
    assert sitting_prepare(sitting_id=sitting.pk, now=NOW) == 1
    assert PreparedForm.objects.filter(sitting=sitting, user=late).exists()


def test_a_cancelled_sitting_is_not_prepared(sitting, instructor, bank):
    sitting_cancel(actor=instructor, sitting_id=sitting.pk)
    assert sitting_prepare(sitting_id=sitting.pk, now=NOW) == 0


def test_prepared_forms_prefer_unseen_questions(sitting, members, bank, blueprint):
    seen_by = members[0]
    earlier = attempt_start(user=seen_by, blueprint=blueprint, rng=random.Random(5))
    attempt_submit(user=seen_by, attempt_id=earlier.pk)
    seen = set(earlier.items.values_list("question_id", flat=True))
    sitting_prepare(sitting_id=sitting.pk, now=NOW, rng=random.Random(1))
    form = PreparedForm.objects.get(sitting=sitting, user=seen_by)
    assert seen.isdisjoint(d["question_id"] for d in form.items)


def test_prepared_forms_never_hold_two_enemies(instructor, cohort, members):
    from exams.models import Blueprint
    from questions.models import Domain

    questions = [make_question(domain="Security") for _ in range(6)]
    pairs = list(zip(questions[::2], questions[1::2], strict=True))
    for a, b in pairs:
        question_set_enemies(question=a, keys=[b.key])
    drill = short_blueprint(
        slug="security-drill",
        mode=Blueprint.Mode.DRILL,
        question_count=3,
        duration_minutes=None,
        drill_domain=Domain.objects.get(guide__code="DVA-C01", name="Security"),
    )
    sitting = sitting_schedule(
        actor=instructor, cohort=cohort, blueprint=drill, opens_at=OPENS, now=NOW
    )
    assert sitting_prepare(sitting_id=sitting.pk, now=NOW) == 3
    for form in PreparedForm.objects.filter(sitting=sitting):
        drawn = {d["question_id"] for d in form.items}
        assert all(len({a.pk, b.pk} & drawn) == 1 for a, b in pairs)


def test_the_sweep_prepares_sittings_opening_within_the_lead_time(
    instructor, cohort, blueprint, bank, settings
):
    settings.SITTING_PREPARE_LEAD = timedelta(minutes=15)
    soon = sitting_schedule(
        actor=instructor,
        cohort=cohort,
        blueprint=blueprint,
        opens_at=NOW + timedelta(minutes=10),
        now=NOW,
    )
    later = sitting_schedule(
        actor=instructor,
        cohort=cohort,
        blueprint=blueprint,
        opens_at=NOW + timedelta(hours=2),
        now=NOW,
    )
    cancelled = sitting_schedule(
        actor=instructor,
        cohort=cohort,
        blueprint=blueprint,
        opens_at=NOW + timedelta(minutes=5),
        now=NOW,
    )
    sitting_cancel(actor=instructor, sitting_id=cancelled.pk)
    assert sittings_prepare_due(now=NOW) == 3
    assert PreparedForm.objects.filter(sitting=soon).count() == 3
    assert not PreparedForm.objects.filter(sitting__in=[later, cancelled]).exists()
    assert sittings_prepare_due(now=NOW) == 0  # idempotent


# --- Starting -------------------------------------------------------------------------------


def test_the_start_uses_the_prepared_form(sitting, members, bank):
    sitting_prepare(sitting_id=sitting.pk, now=NOW)
    student = members[0]
    form = PreparedForm.objects.get(sitting=sitting, user=student)
    attempt = sitting_start(user=student, sitting_id=sitting.pk, now=OPENS, ip="10.0.0.1")
    assert _items(attempt) == form.items
    form.refresh_from_db()
    assert form.attempt == attempt
    start = AttemptEvent.objects.get(attempt=attempt)
    assert (start.kind, start.ip, start.detail) == ("start", "10.0.0.1", {"items": 10})


def test_a_second_start_resumes(sitting, members, bank):
    sitting_prepare(sitting_id=sitting.pk, now=NOW)
    first = sitting_start(user=members[0], sitting_id=sitting.pk, now=OPENS)
    again = sitting_start(user=members[0], sitting_id=sitting.pk, now=OPENS + timedelta(minutes=3))
    assert again == first
    assert list(AttemptEvent.objects.filter(attempt=first).values_list("kind", flat=True)) == [
        "start",
        "resume",
    ]
    attempt_submit(user=members[0], attempt_id=first.pk)
    with pytest.raises(ValidationError, match="already sat this sitting"):
        sitting_start(user=members[0], sitting_id=sitting.pk, now=OPENS + timedelta(minutes=9))


def test_before_the_opening_the_start_is_refused_with_the_time_in_the_users_zone(sitting, members):
    with pytest.raises(ValidationError, match=r"This sitting opens at 09:00 UTC\."):
        sitting_start(user=members[0], sitting_id=sitting.pk, now=NOW)
    tokyo = timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo"))
    with tokyo, pytest.raises(ValidationError, match=r"This sitting opens at 18:00 JST\."):
        sitting_start(user=members[0], sitting_id=sitting.pk, now=NOW)
    with pytest.raises(ValidationError, match=r"opens at 2026-03-02 09:00 UTC\."):
        sitting_start(user=members[0], sitting_id=sitting.pk, now=NOW - timedelta(days=1))
    assert not Attempt.objects.exists()


def test_after_the_closing_time_the_start_is_refused(instructor, cohort, blueprint, members, bank):
    sitting = sitting_schedule(
        actor=instructor,
        cohort=cohort,
        blueprint=blueprint,
        opens_at=OPENS,
        closes_at=OPENS + timedelta(minutes=30),
        now=NOW,
    )
    with pytest.raises(ValidationError, match=r"This sitting closed at 09:30 UTC\."):
        sitting_start(user=members[0], sitting_id=sitting.pk, now=OPENS + timedelta(minutes=30))
    assert sitting_start(user=members[1], sitting_id=sitting.pk, now=OPENS + timedelta(minutes=29))


def test_a_cancelled_sitting_cannot_be_started(sitting, instructor, members, bank):
    sitting_prepare(sitting_id=sitting.pk, now=NOW)
    sitting_cancel(actor=instructor, sitting_id=sitting.pk)
    with pytest.raises(ValidationError, match="This sitting was cancelled."):
        sitting_start(user=members[0], sitting_id=sitting.pk, now=OPENS)


def test_someone_outside_the_cohort_cannot_start(sitting, student, bank):
    with pytest.raises(ValidationError, match="not in its cohort") as exc:
        sitting_start(user=student, sitting_id=sitting.pk, now=OPENS)
    assert exc.value.status == 403
    # A sitting that does not exist is not a refusal but a missing page (the view's 404).
    with pytest.raises(Sitting.DoesNotExist):
        sitting_start(user=student, sitting_id=sitting.pk + 1000, now=OPENS)


def test_a_member_who_joined_after_preparation_gets_a_form_at_start(sitting, cohort, bank):
    sitting_prepare(sitting_id=sitting.pk, now=NOW)
    late = UserFactory(role="Student")
    cohort.students.add(late)
    attempt = sitting_start(user=late, sitting_id=sitting.pk, now=OPENS)
    assert attempt.items.count() == 10
    form = PreparedForm.objects.get(sitting=sitting, user=late)
    assert form.attempt == attempt
    assert form.items == _items(attempt)


def test_a_bank_change_between_preparation_and_start_draws_a_fresh_form(sitting, members, bank):
    sitting_prepare(sitting_id=sitting.pk, now=NOW)
    student = members[0]
    form = PreparedForm.objects.get(sitting=sitting, user=student)
    from questions.models import Question

    edited = Question.objects.get(pk=form.items[0]["question_id"])
    data = question_as_data(edited)
    data["stem"] += " (Reworded.)"
    assert question_update(question=edited, data=data)
    old_version = form.items[0]["version_id"]
    attempt = sitting_start(user=student, sitting_id=sitting.pk, now=OPENS)
    items = _items(attempt)
    assert old_version not in {d["version_id"] for d in items}
    current = dict(Question.objects.values_list("pk", "current_version_id"))
    assert all(current[d["question_id"]] == d["version_id"] for d in items)
    form.refresh_from_db()
    assert (form.attempt, form.items) == (attempt, items)


def test_a_prepared_question_now_in_an_open_practice_is_not_reused(sitting, members, bank):
    """While an exam is open its questions stay out of other forms, and the other way round."""
    from exams.models import Blueprint

    sitting_prepare(sitting_id=sitting.pk, now=NOW)
    student = members[0]
    form = PreparedForm.objects.get(sitting=sitting, user=student)
    practice = attempt_start(
        user=student,
        blueprint=Blueprint.objects.get(slug="quick-practice"),
        question_ids=[form.items[0]["question_id"]],
    )
    attempt = sitting_start(user=student, sitting_id=sitting.pk, now=OPENS)
    assert practice.items.get().question_id not in {d["question_id"] for d in _items(attempt)}


def test_a_sitting_start_reads_no_bank_and_costs_fewer_queries_than_a_start(
    sitting, members, bank, blueprint
):
    sitting_prepare(sitting_id=sitting.pk, now=NOW)
    # Compare with a start that must read the bank: the pool of this blueprint not yet built
    # (once it is cached, a start costs 7 queries and a sitting start 10, but no draw).
    pool_module._local.clear()
    cache.clear()
    other = UserFactory(role="Student")
    student = members[0]
    for user in (other, student):
        user.has_perm("exams.take_exam")  # as in a request, where the page checked it already
    with CaptureQueriesContext(connection) as normal:
        attempt_start(user=other, blueprint=blueprint)
    with CaptureQueriesContext(connection) as ahead:
        sitting_start(user=student, sitting_id=sitting.pk, now=OPENS)
    sql = [q["sql"] for q in ahead.captured_queries]
    # The form and its sitting (1), the prepared questions by key (1), then the start's own:
    # the user lock, the open-attempt check, one statement for the attempt, its items and the
    # audit row, and the form marked used (the rest are savepoints).
    assert len(sql) == 10, "\n".join(sql)
    assert len(sql) < len(normal.captured_queries)
    # No bank read: no option rows, no enemies, no published-question scan by domain.
    assert not any("questions_option" in s for s in sql)
    assert not any("questions_question_enemies" in s for s in sql)
    assert not any("questions_questiondomain" in s for s in sql)


# --- The student's Exams page and the task --------------------------------------------------


def test_the_exams_page_shows_the_sitting_and_starts_it_from_the_opening(
    client, instructor, cohort, blueprint, members, bank
):
    opens = timezone.now() + timedelta(hours=2)
    sitting = sitting_schedule(actor=instructor, cohort=cohort, blueprint=blueprint, opens_at=opens)
    client.force_login(members[0])
    body = client.get(reverse("exams:list")).content.decode()
    assert "Scheduled sittings" in body
    assert f'aria-label="Start the sitting of {blueprint.title} (opens' in body
    assert "disabled" in body
    response = client.post(reverse("exams:sitting_start", args=[sitting.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("exams:list")
    assert "This sitting opens at" in response.content.decode()
    Sitting.objects.filter(pk=sitting.pk).update(opens_at=timezone.now() - timedelta(minutes=1))
    body = client.get(reverse("exams:list")).content.decode()
    assert f'aria-label="Start the sitting of {blueprint.title}"' in body
    response = client.post(reverse("exams:sitting_start", args=[sitting.pk]))
    attempt = Attempt.objects.get(user=members[0])
    assert response.url == reverse("exams:question", args=[attempt.pk, 1])


def test_the_prepare_task_is_routed_to_the_exams_queue():
    from config.celery import EXAM_QUEUE, app

    for name in ("exams.tasks.sitting_prepare_task", "exams.tasks.prepare_due_sittings"):
        assert app.amqp.router.route({}, name)["queue"].name == EXAM_QUEUE
    assert app.conf.beat_schedule["prepare-due-sittings"]["schedule"] == 60.0


@pytest.mark.services("postgresql", "redis")
def test_scheduling_queues_the_task_on_the_exams_queue_with_its_eta(
    celery_app_on_redis, redis_url, settings
):
    import base64
    import json

    import redis

    from exams.tasks import queue_sitting_prepare

    settings.SITTING_PREPARE_LEAD = timedelta(minutes=15)
    broker = redis.Redis.from_url(redis_url)
    now = timezone.now()
    queue_sitting_prepare(41, now + timedelta(minutes=45), now=now)
    queue_sitting_prepare(42, now + timedelta(minutes=5), now=now)  # within the lead: at once
    queue_sitting_prepare(43, now + timedelta(days=7), now=now)  # left to the beat sweep
    assert broker.llen("celery") == 0
    messages = [json.loads(m) for m in broker.lrange("exams", 0, -1)]
    by_id = {json.loads(base64.b64decode(m["body"]))[0][0]: m["headers"] for m in messages}
    assert set(by_id) == {41, 42}
    assert by_id[41]["task"] == "exams.tasks.sitting_prepare_task"
    eta = datetime.fromisoformat(by_id[41]["eta"])
    assert abs(eta - (now + timedelta(minutes=30))) < timedelta(seconds=1)
    assert by_id[42]["eta"] is None


def test_starting_a_sitting_that_does_not_exist_is_a_404(client, members):
    client.force_login(members[0])
    response = client.post("/sittings/987654/start/")
    assert response.status_code == 404
