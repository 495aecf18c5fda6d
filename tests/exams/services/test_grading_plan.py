"""A submit's grading stays one cheap statement whatever the planner's statistics say.

Right after a bulk load the planner's statistics can say the tables are empty; then it picked
nested loops over sequential scans, re-ran the grading aggregate per row and scanned every item
once per selection: a suite run hung on one submit for over an hour. Here the planner is given
its statistics (they say "empty", as ANALYZE left them in that run), and every statement is
bounded, so a grading statement that can degrade fails this test instead of hanging.
"""

import pytest
from django.db import connection

from exams.models import Attempt, AttemptItem
from exams.services import attempt_submit
from tests.exams.views.test_query_budgets import _grow, _started
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db


def test_grading_a_submit_does_not_degrade_on_a_nested_loop_plan():
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    make_bank(per_domain=20)
    blueprint = short_blueprint(slug="large", question_count=65, duration_minutes=130)
    _grow(blueprint, 400, "many")
    student = UserFactory(role="Student")
    attempt = _started(student, blueprint, answered=40, seed=7)
    assert AttemptItem.objects.count() > 65 * 400
    with connection.cursor() as cursor:
        # What ANALYZE leaves when it runs while earlier tests' rolled-back rows still fill the
        # tables' pages: no live rows on many pages, so a density of zero and estimates of
        # "empty" for tables holding 26,000 items (the planner's catalogue, as ANALYZE writes it).
        cursor.execute(
            "UPDATE pg_class SET reltuples = 0, relpages = 1000 WHERE relname IN "
            "('exams_attempt', 'exams_attemptitem', 'exams_itemselection', "
            "'questions_option', 'questions_questionversion', 'questions_domain')"
        )
        # Milliseconds normally; the degraded plan took minutes to hours.
        cursor.execute("SET LOCAL statement_timeout = '20s'")

    attempt = attempt_submit(user=student, attempt_id=attempt.pk)

    assert attempt.state == Attempt.State.SUBMITTED
    assert attempt.scored_count == 65
    graded = attempt.items.filter(is_correct__isnull=False).count()
    assert graded == 65
