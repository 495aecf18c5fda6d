"""Grade passback through the real Redis broker and a real Celery worker, to the real platform:
the platform fails twice with 503, the worker retries with backoff and the score arrives."""

import pytest
from django.test import Client

from exams.models import Attempt
from exams.services import attempt_submit
from lti.models import GradePassback, LtiEvent
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank
from tests.faults.conftest import wait_for
from tests.lti.flow import answer_all, learner_launch, place_exam

pytestmark = pytest.mark.services("postgresql", "redis")


def test_the_worker_retries_a_503_and_the_platform_records_the_score(
    start_worker,
    lti_platform,
    tool,
):
    worker = start_worker(LTI_PASSBACK_BACKOFF_SECONDS=1)
    make_bank(per_domain=4)
    blueprint = short_blueprint(slug="worker-lti", title="Worker LTI mock", question_count=5)
    teacher = Client()
    placement = place_exam(lti_platform, teacher, blueprint)
    learner = Client()
    learner_launch(
        lti_platform,
        learner,
        resource_link_id=placement["resource_link_id"],
        custom=placement["custom"],
    )
    attempt = Attempt.objects.get(user__lti_users__sub="learner-1")
    answer_all(attempt, right=True)
    lti_platform.fail_next(2, status=503, only="ags")
    attempt_submit(user=attempt.user, attempt_id=attempt.pk)

    lineitem = placement["lineitem_url"]
    assert wait_for(lambda: lti_platform.scores.get(lineitem), timeout=60), worker.output()
    [score] = lti_platform.scores[lineitem]
    assert score["scoreGiven"] == 1000
    assert score["scoreMaximum"] == 1000
    assert score["comment"] == "Passed (scaled 1000 of 1000; 720 needed)"
    assert score["userId"] == "learner-1"
    passback = GradePassback.objects.get(launched__attempt=attempt)
    assert wait_for(
        lambda: GradePassback.objects.get(pk=passback.pk).state == GradePassback.State.SENT,
        timeout=30,
    )
    passback.refresh_from_db()
    assert passback.tries == 3
    assert [e["status"] for e in lti_platform.service_log if e["kind"] == "ags"][:2] == [503, 503]
    assert (
        LtiEvent.objects.filter(kind=LtiEvent.Kind.GRADE_SENT, attempt_id=attempt.pk).count() == 1
    )
