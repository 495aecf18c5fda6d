"""The grade lookup every finished attempt pays after its commit (lti.receivers)."""

from __future__ import annotations

import pytest

from lti import services

pytestmark = pytest.mark.django_db


def test_an_attempt_not_launched_from_an_lms_costs_one_read_and_sends_nothing(
    django_assert_num_queries,
):
    # No transaction around it: BEGIN and COMMIT would make it three statements on every
    # submit of the site's own students (bench/RESULTS.md, "LTI passback lookup").
    sent = []
    with django_assert_num_queries(1) as captured:
        assert services.passback_queue_for_attempt(attempt_id=424242, dispatch=sent.append) is None
    assert '"lti_launchedattempt"' in captured.captured_queries[0]["sql"]
    assert sent == []
