"""A small world for the security tests: every role, two cohorts, a bank, attempts and a run.

The roles are the ones the permission matrix is written for: anonymous, the student who owns
the attempts, another student, the instructor of the student's cohort, the instructor of
another cohort, and an admin (the Admin role, which is not Django staff). The Django admin
site is checked with a separate superuser.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from django.test import Client

from accounts.models import Cohort, User
from analytics.models import AnalyticsRun, CalibrationRun
from exams.models import Attempt, Blueprint
from exams.services import attempt_start, attempt_submit
from questions.models import ExamGuide, Question
from questions.services import question_as_data, question_update
from tests.factories.accounts import CohortFactory, UserFactory
from tests.factories.questions import make_bank, make_question

ROLES = ("anon", "student", "other_student", "instructor", "other_instructor", "admin")


@dataclass
class World:
    users: dict[str, User | None]
    superuser: User
    cohort: Cohort  # the student's cohort, taught by "instructor"
    other_cohort: Cohort  # taught by "other_instructor"
    blueprint: Blueprint  # timed exam, 5 questions
    attempt: Attempt  # the student's attempt in progress
    finished_attempt: Attempt  # the student's submitted attempt
    question: Question  # published, shown in an attempt, two versions
    draft_question: Question  # never shown in any attempt
    run: AnalyticsRun
    calibration_run: CalibrationRun | None = None
    pretest_question: Question | None = None  # published pretest item, in no attempt

    @property
    def student(self) -> User:
        return self.users["student"]

    @property
    def other_student(self) -> User:
        return self.users["other_student"]

    @property
    def instructor(self) -> User:
        return self.users["instructor"]

    @property
    def other_instructor(self) -> User:
        return self.users["other_instructor"]

    @property
    def admin(self) -> User:
        return self.users["admin"]

    def client_for(self, role: str, **kwargs) -> Client:
        """A fresh client logged in as `role` (anonymous for "anon")."""
        client = Client(**kwargs)
        if self.users.get(role) is not None:
            client.force_login(self.users[role])
        return client


def build_world() -> World:
    student = UserFactory(role="Student")
    other_student = UserFactory(role="Student")
    instructor = UserFactory(role="Instructor")
    other_instructor = UserFactory(role="Instructor")
    admin = UserFactory(role="Admin")
    superuser = UserFactory(is_superuser=True, is_staff=True)
    cohort = CohortFactory(instructors=[instructor], students=[student])
    other_cohort = CohortFactory(instructors=[other_instructor], students=[other_student])

    make_bank(per_domain=3)
    blueprint = Blueprint.objects.create(
        title="Security short exam",
        slug="security-short",
        question_count=5,
        duration_minutes=20,
        guide=ExamGuide.objects.get(code="DVA-C01"),
    )
    finished = attempt_start(user=student, blueprint=blueprint, rng=random.Random(7))
    finished = attempt_submit(user=student, attempt_id=finished.pk)
    attempt = attempt_start(user=student, blueprint=blueprint, rng=random.Random(8))

    question = attempt.items.order_by("position").first().question
    data = question_as_data(question)
    data["explanation"] += " A second version for the diff page."
    question_update(question=question, data=data, user=instructor, change_note="v2")
    question.refresh_from_db()
    draft_question = make_question(status=Question.Status.DRAFT, author=instructor)

    run = AnalyticsRun.objects.create(
        blueprint=blueprint, requested_by=instructor, status=AnalyticsRun.Status.DONE
    )
    calibration_run = CalibrationRun.objects.create(
        requested_by=instructor, status=CalibrationRun.Status.DONE
    )
    pretest_question = make_question(author=instructor)
    Question.objects.filter(pk=pretest_question.pk).update(is_pretest=True)
    return World(
        users={
            "anon": None,
            "student": student,
            "other_student": other_student,
            "instructor": instructor,
            "other_instructor": other_instructor,
            "admin": admin,
        },
        superuser=superuser,
        cohort=cohort,
        other_cohort=other_cohort,
        blueprint=blueprint,
        attempt=attempt,
        finished_attempt=finished,
        question=question,
        draft_question=draft_question,
        run=run,
        calibration_run=calibration_run,
        pretest_question=pretest_question,
    )


@pytest.fixture
def world(db) -> World:
    return build_world()
