"""Custom quizzes: the form, each source, weights, enemies, held-out exam items, timing,
feedback, and percent (not a scaled score) on the results pages."""

import random
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from exams.forms import CustomQuizForm
from exams.models import Attempt, AttemptEvent, Blueprint
from exams.services import answer_save, attempt_start, attempt_submit, item_flag_set
from exams.services.custom import (
    NotEnoughQuestions,
    QuizChoices,
    custom_quiz_start,
    split_by_weight,
)
from questions.allocation import allocate_by_largest_remainder
from questions.models import Domain, ExamGuide, TaskStatement
from questions.services import question_set_enemies
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank, make_question

pytestmark = pytest.mark.django_db

C01_DOMAINS = [
    "Deployment",
    "Security",
    "Development with AWS Services",
    "Refactoring",
    "Monitoring and Troubleshooting",
]


def _guide(code="DVA-C01"):
    return ExamGuide.objects.get(code=code)


def _domain(name, code="DVA-C01"):
    return Domain.objects.get(guide__code=code, name=name)


def _choices(**kw):
    kw.setdefault("guide", _guide())
    kw.setdefault("count", 3)
    return QuizChoices(**kw)


def _ids(attempt):
    return set(attempt.items.values_list("question_id", flat=True))


_n = iter(range(10_000))


def _sit(user, questions, *, correct=(), wrong=(), flagged=(), submit=True, mode="practice"):
    """Sit the questions in a practice set: answer some right, some wrong, flag some."""
    blueprint = short_blueprint(
        slug=f"sit-{next(_n)}",
        mode=mode,
        question_count=len(questions) or 10,  # an exam draws 10
        duration_minutes=None if mode != "exam" else 60,
    )
    if mode == "exam":
        attempt = attempt_start(user=user, blueprint=blueprint, question_ids=None)
    else:
        attempt = attempt_start(
            user=user, blueprint=blueprint, question_ids=[q.pk for q in questions]
        )
    right = {q.pk for q in correct}
    bad = {q.pk for q in wrong}
    flags = {q.pk for q in flagged}
    for item in attempt.items.select_related("version").prefetch_related("version__options"):
        options = item.version.options.all()
        chosen = []
        if item.question_id in right:
            chosen = [o.pk for o in options if o.is_correct]
        elif item.question_id in bad:
            chosen = [next(o.pk for o in options if not o.is_correct)]
        if chosen:
            answer_save(
                user=user, attempt_id=attempt.pk, position=item.position, option_ids=chosen, seq=1
            )
        if item.question_id in flags:
            item_flag_set(user=user, attempt_id=attempt.pk, position=item.position, flagged=True)
    if submit:
        attempt_submit(user=user, attempt_id=attempt.pk)
    return attempt


# --- the form ----------------------------------------------------------------------------


def _post(**kw):
    data = {"count": "5", "source": "all", "timing": "untimed", "feedback": "after_each"}
    data.update(kw)
    return data


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"count": "0"}, "count", "at least 1"),
        ({"count": "66"}, "count", "at most 65"),
        ({"count": "ten"}, "count", "whole number"),
        ({"count": ""}, "count", "how many"),
        ({"source": "mine"}, "source", "valid choice"),
        ({"timing": "timed"}, "minutes", "needs a time limit"),
        ({"timing": "timed", "minutes": "601"}, "minutes", "at most 600"),
        ({"feedback": "never"}, "feedback", "valid choice"),
    ],
)
def test_the_form_says_what_is_wrong(changes, field, text):
    form = CustomQuizForm(_post(**changes), guide=_guide())
    assert not form.is_valid()
    assert text in " ".join(form.errors[field])


def test_domains_of_another_guide_and_domains_with_task_statements_are_refused():
    c02 = _guide("DVA-C02")
    form = CustomQuizForm(_post(domains=[_domain("Security").pk]), guide=c02)
    assert not form.is_valid()
    assert "Choose domains of this guide" in form.errors["domains"][0]
    statement = TaskStatement.objects.get(guide=c02, code="2.1")
    both = _post(domains=[_domain("Security", "DVA-C02").pk], task_statements=[statement.pk])
    form = CustomQuizForm(both, guide=c02)
    assert not form.is_valid()
    assert "not both" in form.errors["task_statements"][0]
    # DVA-C01 has no task statements: the field is not offered.
    assert "task_statements" not in CustomQuizForm(guide=_guide()).fields


def test_a_valid_form_gives_the_choices():
    form = CustomQuizForm(
        _post(domains=[_domain("Security").pk], timing="timed", minutes="30", source="missed"),
        guide=_guide(),
    )
    assert form.is_valid(), form.errors
    choices = form.choices()
    assert choices.count == 5 and choices.minutes == 30 and choices.source == "missed"
    assert [d.name for d in choices.domains] == ["Security"]


# --- sources -----------------------------------------------------------------------------


def test_unseen_draws_only_questions_never_in_my_attempts(student):
    questions = [make_question(domain="Security") for _ in range(6)]
    _sit(student, questions[:3], correct=questions[:3])
    attempt = custom_quiz_start(
        user=student,
        choices=_choices(domains=(_domain("Security"),), source="unseen", count=3),
    )
    assert _ids(attempt) == {q.pk for q in questions[3:]}
    attempt_submit(user=student, attempt_id=attempt.pk)
    with pytest.raises(NotEnoughQuestions) as info:
        custom_quiz_start(user=student, choices=_choices(source="unseen", count=1))
    assert info.value.available == 0
    assert "No questions match these choices" in str(info.value)


def test_missed_is_wrong_or_unanswered_in_my_most_recent_answer(student):
    q = [make_question(domain="Security") for _ in range(5)]
    # q0 wrong then right (not missed); q1 right then wrong (missed); q2 unanswered (missed);
    # q3 right (not missed); q4 never seen.
    _sit(student, q[:4], correct=[q[1], q[3]], wrong=[q[0]])
    _sit(student, q[:2], correct=[q[0]], wrong=[q[1]])
    attempt = custom_quiz_start(user=student, choices=_choices(source="missed", count=2))
    assert _ids(attempt) == {q[1].pk, q[2].pk}
    summary = AttemptEvent.objects.get(attempt=attempt, kind="start").detail["custom"]["summary"]
    assert summary.startswith("Custom quiz (DVA-C01): 2 missed questions from all domains;")


def test_missed_ignores_attempts_still_in_progress(student):
    q = [make_question(domain="Security") for _ in range(2)]
    _sit(student, q[:1], wrong=[q[0]])
    _sit(student, q, correct=q, submit=False)  # open: its answers do not count yet
    attempt = custom_quiz_start(user=student, choices=_choices(source="missed", count=1))
    assert _ids(attempt) == {q[0].pk}


def test_flagged_is_flagged_in_my_finished_attempts(student, other_student):
    q = [make_question(domain="Security") for _ in range(4)]
    _sit(student, q[:3], correct=q[:3], flagged=[q[0], q[2]])
    _sit(student, [q[3]], flagged=[q[3]], submit=False)  # not finished
    _sit(other_student, q, flagged=q)  # someone else's flags
    attempt = custom_quiz_start(user=student, choices=_choices(source="flagged", count=2))
    assert _ids(attempt) == {q[0].pk, q[2].pk}
    with pytest.raises(NotEnoughQuestions) as info:
        custom_quiz_start(user=other_student, choices=_choices(source="flagged", count=5))
    assert info.value.available == 4


def test_all_draws_from_every_published_non_pretest_question(student):
    q = [make_question(domain="Security") for _ in range(3)]
    make_question(domain="Security", status="draft")
    pretest = make_question(domain="Security")
    pretest.is_pretest = True
    pretest.save(update_fields=["is_pretest"])
    _sit(student, q[:1], correct=q[:1])
    with pytest.raises(NotEnoughQuestions) as info:
        custom_quiz_start(user=student, choices=_choices(count=4))
    assert info.value.available == 3
    assert "Only 3 questions match" in str(info.value)
    attempt = custom_quiz_start(user=student, choices=_choices(count=3))
    assert _ids(attempt) == {x.pk for x in q}


def test_task_statements_draw_only_their_questions(student):
    c02 = _guide("DVA-C02")
    on = [make_question(domain="Security", task_statement="2.2") for _ in range(3)]
    for _ in range(3):
        make_question(domain="Security", task_statement="2.1")
    statement = TaskStatement.objects.get(guide=c02, code="2.2")
    attempt = custom_quiz_start(
        user=student, choices=_choices(guide=c02, task_statements=(statement,), count=3)
    )
    assert _ids(attempt) == {x.pk for x in on}
    # The items carry the quiz guide's domain, not the default guide's.
    assert set(attempt.items.values_list("domain__guide__code", flat=True)) == {"DVA-C02"}


# --- weights -----------------------------------------------------------------------------


def test_split_by_weight_is_largest_remainder_when_every_domain_has_enough():
    weights = {1: 22, 2: 26, 3: 30, 4: 10, 5: 12}
    plenty = dict.fromkeys(weights, 100)
    assert split_by_weight(20, weights, plenty) == allocate_by_largest_remainder(20, weights)


def test_split_by_weight_gives_a_short_domain_what_it_has_and_the_rest_to_the_others():
    counts = split_by_weight(10, {1: 50, 2: 30, 3: 20}, {1: 2, 2: 100, 3: 100})
    assert counts[1] == 2 and sum(counts.values()) == 10
    assert counts == {1: 2, **allocate_by_largest_remainder(8, {2: 30, 3: 20})}


def test_several_domains_are_filled_at_the_guide_weights(student):
    make_bank(per_domain=12)
    attempt = custom_quiz_start(user=student, choices=_choices(count=20))
    got = dict.fromkeys(C01_DOMAINS, 0)
    for name in attempt.items.values_list("domain__name", flat=True):
        got[name] += 1
    weights = {d.name: float(d.weight) for d in _guide().domains.all()}
    assert got == allocate_by_largest_remainder(20, weights)


def test_two_domains_split_by_their_weights(student):
    make_bank(per_domain=12)
    two = (_domain("Security"), _domain("Refactoring"))  # 26 : 10
    attempt = custom_quiz_start(user=student, choices=_choices(domains=two, count=9))
    names = list(attempt.items.values_list("domain__name", flat=True))
    assert names.count("Security") == 7 and names.count("Refactoring") == 2


# --- enemies and open exams ----------------------------------------------------------------


def test_enemies_never_share_a_quiz(student):
    q = [make_question(domain="Security") for _ in range(6)]
    for a, b in zip(q[::2], q[1::2], strict=True):
        question_set_enemies(question=a, keys=[b.key])
    pairs = [{a.pk, b.pk} for a, b in zip(q[::2], q[1::2], strict=True)]
    for seed in range(15):
        attempt = custom_quiz_start(
            user=student, choices=_choices(count=3), rng=random.Random(seed)
        )
        drawn = _ids(attempt)
        assert all(len(pair & drawn) == 1 for pair in pairs), seed
        attempt_submit(user=student, attempt_id=attempt.pk)
    with pytest.raises(NotEnoughQuestions) as info:
        custom_quiz_start(user=student, choices=_choices(count=4))
    assert info.value.available == 3


def test_the_questions_of_an_open_exam_are_held_out(student):
    bank = {q.pk for q in make_bank(per_domain=4)}
    exam = _sit(student, [], mode="exam", submit=False)
    held = _ids(exam)
    assert len(held) == 10
    attempt = custom_quiz_start(user=student, choices=_choices(count=10))
    assert _ids(attempt) == bank - held
    attempt_submit(user=student, attempt_id=attempt.pk)
    with pytest.raises(NotEnoughQuestions) as info:
        custom_quiz_start(user=student, choices=_choices(count=11))
    assert info.value.available == 10  # the other ten are the open exam's


# --- attempt settings ------------------------------------------------------------------------


def test_timed_adds_the_accommodation_and_untimed_has_no_deadline(student, other_student):
    student.accommodation_minutes = 15
    student.save(update_fields=["accommodation_minutes"])
    make_bank(per_domain=2)
    now = timezone.now()
    timed = custom_quiz_start(user=student, choices=_choices(minutes=30), now=now)
    assert timed.deadline == now + timedelta(minutes=45)
    assert timed.accommodation_minutes == 15
    untimed = custom_quiz_start(user=other_student, choices=_choices(), now=now)
    assert untimed.deadline is None and untimed.accommodation_minutes == 0


def test_feedback_mode_is_frozen_from_the_quiz(student, client):
    make_bank(per_domain=2)
    exam_like = custom_quiz_start(user=student, choices=_choices(feedback="after_submit"))
    assert exam_like.feedback == "after_submit" and exam_like.mode == "custom"
    client.force_login(student)
    item = exam_like.items.get(position=1)
    option = item.option_order[0]
    response = client.post(
        reverse("exams:answer", args=[exam_like.pk, 1]),
        {"option": [option], "seq": "1", "go": "check"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert "after the exam is submitted" in response.json()["error"]
    attempt_submit(user=student, attempt_id=exam_like.pk)
    practice = custom_quiz_start(user=student, choices=_choices(feedback="after_each"))
    assert practice.feedback == "after_each"
    response = client.post(
        reverse("exams:answer", args=[practice.pk, 1]),
        {"option": [practice.items.get(position=1).option_order[0]], "seq": "1", "go": "check"},
    )
    assert response.status_code == 302
    assert practice.items.get(position=1).checked


def test_the_choices_are_on_the_start_event(student):
    make_bank(per_domain=3)
    attempt = custom_quiz_start(
        user=student,
        choices=_choices(domains=(_domain("Security"),), count=2, source="all", minutes=10),
    )
    detail = AttemptEvent.objects.get(attempt=attempt, kind="start").detail
    assert detail["items"] == 2
    assert detail["custom"]["domains"] == ["Security"]
    assert detail["custom"]["summary"] == (
        "Custom quiz (DVA-C01): 2 questions from Security; timed, 10 minutes, "
        "feedback after each answer"
    )


def test_one_open_quiz_per_guide(student):
    make_bank(per_domain=3)
    first = custom_quiz_start(user=student, choices=_choices())
    with pytest.raises(Exception, match="already have a DVA-C01 custom quiz"):
        custom_quiz_start(user=student, choices=_choices())
    other = custom_quiz_start(user=student, choices=_choices(guide=_guide("DVA-C02")))
    assert other.pk != first.pk


# --- pages -------------------------------------------------------------------------------


def test_the_exams_page_links_to_the_builder(client, student):
    client.force_login(student)
    page = client.get(reverse("exams:list")).content.decode()
    assert reverse("exams:custom_quiz") in page and "Build a quiz" in page


def test_building_a_quiz_starts_it(client, student):
    make_bank(per_domain=3)
    client.force_login(student)
    url = reverse("exams:custom_quiz") + "?guide=DVA-C01"
    assert client.get(url).status_code == 200
    response = client.post(url, _post(domains=[_domain("Security").pk], count="2"))
    attempt = Attempt.objects.get(user=student, mode="custom")
    assert response.status_code == 302
    assert response["Location"] == reverse("exams:question", args=[attempt.pk, 1])
    page = client.get(url).content.decode()
    assert "custom quiz in progress" in page
    assert reverse("exams:resume", args=[attempt.pk]) in page
    refused = client.post(url, _post(count="2"))
    assert refused.status_code == 400
    assert "already have a DVA-C01 custom quiz" in refused.content.decode()


def test_too_few_questions_offers_the_number_available_and_writes_nothing(client, student):
    for _ in range(3):
        make_question(domain="Security")
    client.force_login(student)
    url = reverse("exams:custom_quiz")
    response = client.post(url, _post(count="10"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Only 3 questions match these choices, not 10" in page
    assert 'name="count" id="id_count" min="1" max="65" value="3"' in page
    assert not Attempt.objects.filter(user=student).exists()
    bad = client.post(url, _post(count="abc", timing="timed"))
    assert bad.status_code == 400
    assert "whole number" in bad.content.decode()


def test_an_unknown_guide_is_a_404(client, student):
    client.force_login(student)
    assert client.get(reverse("exams:custom_quiz") + "?guide=NOPE").status_code == 404


def test_the_start_costs_the_same_queries_for_any_count(client, student):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_bank(per_domain=10)
    client.force_login(student)
    url = reverse("exams:custom_quiz")
    client.post(url, _post(count="2"))  # warms the pool and the hidden blueprint
    attempt_submit(user=student, attempt_id=Attempt.objects.get(mode="custom").pk)
    counts = []
    for n in ("3", "30"):
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url, _post(count=n))
        assert response.status_code == 302
        counts.append(len(queries))
        attempt_submit(user=student, attempt_id=Attempt.objects.in_progress().get(mode="custom").pk)
    assert counts[0] == counts[1]
    assert counts[1] <= 20, counts


def test_results_show_percent_for_a_quiz_and_a_scaled_score_for_a_mock(client, student):
    make_bank(per_domain=3)
    client.force_login(student)
    quiz = custom_quiz_start(
        user=student, choices=_choices(domains=(_domain("Security"),), count=2)
    )
    attempt_submit(user=student, attempt_id=quiz.pk)
    for name in ("exams:results", "exams:submitted"):
        page = client.get(reverse(name, args=[quiz.pk])).content.decode()
        assert 'id="percent-correct"' in page and 'id="scaled-score"' not in page
        assert "Custom quiz (DVA-C01): 2 questions from Security;" in page
    listing = client.get(reverse("exams:attempts")).content.decode()
    assert "% correct" in listing
    mock = _sit(student, [], mode="exam")
    for name in ("exams:results", "exams:submitted"):
        page = client.get(reverse(name, args=[mock.pk])).content.decode()
        assert 'id="scaled-score"' in page and 'id="custom-quiz-summary"' not in page


def test_instructors_cannot_make_a_custom_blueprint():
    from exams.forms import BlueprintForm

    assert Blueprint.Mode.CUSTOM not in dict(BlueprintForm().fields["mode"].choices)


def test_the_dashboard_history_shows_a_quiz_as_percent(client, student):
    make_bank(per_domain=2)
    quiz = custom_quiz_start(user=student, choices=_choices(count=2))
    attempt_submit(user=student, attempt_id=quiz.pk)
    client.force_login(student)
    page = client.get(reverse("analytics:dashboard")).content.decode()
    assert "Custom quiz (DVA-C01)" in page
    assert "% correct (custom quiz)" in page
