import random

import pytest
from django.core.exceptions import ValidationError

from exams.services import attempt_start
from questions.models import Question
from questions.services import (
    ImportFailed,
    bank_import,
    question_as_data,
    question_delete,
    question_set_status,
    question_update,
)
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank, make_question, question_data

pytestmark = pytest.mark.django_db


def test_saving_unchanged_content_makes_no_new_version():
    question = make_question()
    assert question_update(question=question, data=question_as_data(question)) is False
    assert question.versions.count() == 1


def test_a_question_shown_in_an_attempt_can_be_retired_but_not_deleted(student):
    make_bank(per_domain=6)
    blueprint = short_blueprint(slug="s")
    attempt = attempt_start(user=student, blueprint=blueprint, rng=random.Random(1))
    shown = attempt.items.first().question
    with pytest.raises(ValidationError, match="Retire it instead"):
        question_delete(question=shown)
    assert Question.objects.filter(pk=shown.pk).exists()
    question_set_status(question=shown, status="retired")
    shown.refresh_from_db()
    assert shown.status == "retired"


def test_unknown_domain_is_a_clear_error():
    data = question_data()
    data["domains"] = {"DVA-C01": "Networking"}
    with pytest.raises(ImportFailed, match="has no domain .Networking."):
        bank_import(questions=[(1, data)], status="draft")


def test_import_is_atomic_unless_told_to_keep_the_valid_ones():
    good = question_data()
    bad = question_data()
    # A parse error (a domain the guide does not have) refuses the whole import; a missing
    # domain would only make a draft that needs review.
    bad["domains"] = {"DVA-C01": "Networking"}
    with pytest.raises(ImportFailed) as info:
        bank_import(questions=[(1, good), (2, bad)])
    assert len(info.value.report.errors) == 1
    assert info.value.report.errors[0].startswith(
        "Question 2: DVA-C01 has no domain 'Networking' (choose one of: Deployment, "
    )
    assert not Question.objects.exists()
    report = bank_import(questions=[(1, good), (2, bad)], atomic=False)
    assert len(report.created) == 1 and len(report.errors) == 1
    assert Question.objects.count() == 1


def test_duplicate_stems_in_the_same_guide_are_detected():
    first = question_data(stem="Which service queues messages?")
    second = question_data(stem="  which SERVICE queues   messages? ")
    report = bank_import(questions=[(1, first), (2, second)], atomic=False)
    assert len(report.created) == 1
    assert "same stem already exists" in report.duplicates[0]
