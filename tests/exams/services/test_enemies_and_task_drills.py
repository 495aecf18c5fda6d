"""Enemies never share a form; a drill per task statement draws from that statement only."""

import random

import pytest
from django.urls import reverse

from exams.models import Attempt, Blueprint
from exams.services import BankTooSmall, draw_form
from exams.services.assembly import form_from_questions
from questions.models import Domain
from questions.services import question_set_enemies
from tests.factories.exams import short_blueprint
from tests.factories.questions import C02_TASK_CODES, make_question

pytestmark = pytest.mark.django_db


def _security_drill(count: int) -> Blueprint:
    return short_blueprint(
        slug=f"security-drill-{count}",
        mode=Blueprint.Mode.DRILL,
        question_count=count,
        duration_minutes=None,
        drill_domain=Domain.objects.get(guide__code="DVA-C01", name="Security"),
    )


def _drawn_ids(items) -> set[int]:
    return {item.question_id for item in items}


def test_a_draw_never_puts_two_enemies_in_one_form_over_many_seeds():
    questions = [make_question(domain="Security") for _ in range(6)]
    # Three enemy pairs: a 3-question drill must take exactly one of each pair.
    for a, b in zip(questions[::2], questions[1::2], strict=True):
        question_set_enemies(question=a, keys=[b.key])
    drill = _security_drill(3)
    pairs = [{a.pk, b.pk} for a, b in zip(questions[::2], questions[1::2], strict=True)]
    for seed in range(40):
        drawn = _drawn_ids(
            draw_form(blueprint=drill, seen_question_ids=set(), rng=random.Random(seed))
        )
        assert len(drawn) == 3
        assert all(len(pair & drawn) == 1 for pair in pairs), seed


def test_when_enemies_leave_too_few_questions_the_bank_is_too_small():
    questions = [make_question(domain="Security") for _ in range(4)]
    question_set_enemies(question=questions[0], keys=[q.key for q in questions[1:]])
    question_set_enemies(question=questions[1], keys=[questions[0].key, questions[2].key])
    # Compatible at most: {1, 3} or {2, 3}... any 3 would hold a pair.
    with pytest.raises(BankTooSmall, match="enemies never share a form") as info:
        draw_form(blueprint=_security_drill(3), seen_question_ids=set(), rng=random.Random(0))
    assert info.value.shortfalls == [("Security", 2, 3)]


def test_without_enemies_the_same_bank_fills_the_form():
    for _ in range(4):
        make_question(domain="Security")
    drawn = draw_form(blueprint=_security_drill(3), seen_question_ids=set(), rng=random.Random(0))
    assert len(drawn) == 3


def test_enemies_are_symmetrical_whichever_side_declares_them():
    a, b = make_question(domain="Security"), make_question(domain="Security")
    question_set_enemies(question=b, keys=[a.key])
    assert list(a.enemies.all()) == [b]


def test_practising_chosen_questions_keeps_one_of_two_enemies():
    a, b, c = (make_question(domain="Security") for _ in range(3))
    question_set_enemies(question=a, keys=[b.key])
    for seed in range(10):
        drawn = _drawn_ids(
            form_from_questions(question_ids=[a.pk, b.pk, c.pk], rng=random.Random(seed))
        )
        assert c.pk in drawn and len(drawn & {a.pk, b.pk}) == 1


def test_a_dva_c02_only_question_can_be_practised_again():
    question = make_question(domain="Security")
    question.domain_links.filter(guide__code="DVA-C01").delete()
    (item,) = form_from_questions(question_ids=[question.pk], rng=random.Random(0))
    assert item.question_id == question.pk


def test_a_drill_blueprint_is_seeded_per_dva_c02_task_statement():
    drills = Blueprint.objects.filter(drill_task_statement__isnull=False).select_related(
        "drill_task_statement", "drill_domain"
    )
    assert sorted(b.drill_task_statement.code for b in drills) == C02_TASK_CODES
    assert all(b.mode == "drill" and b.guide.code == "DVA-C02" for b in drills)
    assert all(b.drill_domain_id == b.drill_task_statement.domain_id for b in drills)


def test_a_task_statement_drill_draws_from_its_task_statement_only():
    lambda_items = [
        make_question(domain="Development with AWS Services", task_statement="1.2")
        for _ in range(10)
    ]
    for _ in range(10):
        make_question(domain="Development with AWS Services", task_statement="1.3")
    drill = Blueprint.objects.get(slug="drill-dva-c02-task-1-2")
    drawn = draw_form(blueprint=drill, seen_question_ids=set(), rng=random.Random(0))
    assert _drawn_ids(drawn) == {q.pk for q in lambda_items}


def test_the_student_starts_a_task_statement_drill_from_the_exams_page(client, student):
    for _ in range(10):
        make_question(domain="Security", task_statement="2.3")
    client.force_login(student)
    page = client.get(reverse("exams:list")).content.decode()
    assert "Task statement drills" in page
    assert "DVA-C02 drill: task 2.3 Manage sensitive data in application code" in page
    response = client.post(reverse("exams:start", args=["drill-dva-c02-task-2-3"]))
    assert response.status_code == 302
    attempt = Attempt.objects.get(user=student)
    assert attempt.items.count() == 10
    codes = set(
        attempt.items.values_list("question__domain_links__task_statement__code", flat=True)
    )
    assert codes == {"2.3", None}  # the DVA-C01 link has no task statement


def test_a_task_statement_drill_without_enough_questions_says_so(client, student):
    make_question(domain="Security", task_statement="2.3")
    client.force_login(student)
    response = client.post(reverse("exams:start", args=["drill-dva-c02-task-2-3"]), follow=True)
    assert "cannot fill" in response.content.decode()
    assert not Attempt.objects.filter(user=student).exists()


def test_the_blueprint_form_checks_the_task_statement(client, admin_user):
    from questions.models import ExamGuide, TaskStatement
    from tests.factories.exams import blueprint_form_data

    client.force_login(admin_user)
    c02 = ExamGuide.objects.get(code="DVA-C02")
    lambda_task = TaskStatement.objects.get(guide=c02, code="1.2")
    security = Domain.objects.get(guide=c02, name="Security")
    url = reverse("exams:blueprint_new")

    def post(**fields):
        data = blueprint_form_data(
            **{
                "guide": c02.pk,
                "mode": "drill",
                "feedback": "after_each",
                "duration_minutes": "",
                **fields,
            }
        )
        return client.post(url, data)

    wrong_domain = post(drill_domain=security.pk, drill_task_statement=lambda_task.pk)
    assert "belongs to Development with AWS Services" in wrong_domain.content.decode()
    other_guide = post(
        guide=ExamGuide.objects.get(code="DVA-C01").pk, drill_task_statement=lambda_task.pk
    )
    assert "must belong to the chosen guide" in other_guide.content.decode()
    assert post(drill_task_statement=lambda_task.pk).status_code == 302
    saved = Blueprint.objects.get(slug="a-new-mock")
    assert saved.drill_task_statement == lambda_task
    assert saved.drill_domain == lambda_task.domain
