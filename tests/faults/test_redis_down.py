"""Redis down: students still start, answer and submit; analytics catch up once it is back."""

import re
import time

import pytest
from django.test import Client
from django.urls import reverse

from analytics.models import AttemptDomainResult
from analytics.tasks import catch_up_missing_analytics
from exams.models import Attempt
from exams.services import attempt_start
from tests.conftest import WorkerProcess, _db_url_for_current_test_database
from tests.factories.accounts import UserFactory
from tests.factories.exams import reported_domain_rows, stored_domain_rows
from tests.factories.questions import make_bank
from tests.faults.conftest import assert_went_through_pgbouncer, short_blueprint, wait_for

pytestmark = [
    pytest.mark.services("postgresql", "redis"),
    pytest.mark.django_db(transaction=True),
]

CORRECT_POSITIONS = {1, 2, 3, 5, 8}
MAX_REQUEST_SECONDS = 3


def _timed(durations: dict, step: str, call, *args, **kwargs):
    """Call `call`, keeping the slowest duration of each step in `durations` (seconds)."""
    started = time.monotonic()
    try:
        return call(*args, **kwargs)
    finally:
        durations[step] = max(durations.get(step, 0.0), time.monotonic() - started)


def _sit_through_http(client, blueprint, durations: dict) -> Attempt:
    """Start, answer every item over the JSON autosave, submit: as the exam page does."""
    response = _timed(
        durations, "start", client.post, reverse("exams:start", args=[blueprint.slug])
    )
    assert response.status_code == 302, response
    attempt = Attempt.objects.get(user=response.wsgi_request.user, blueprint=blueprint)
    assert response["Location"] == reverse("exams:question", args=[attempt.pk, 1])
    assert _timed(durations, "question page", client.get, response["Location"]).status_code == 200
    items = attempt.items.select_related("version").prefetch_related("version__options")
    for item in items:
        options = {o.pk: o for o in item.version.options.all()}
        keyed = [o for o in item.option_order if options[o].is_correct]
        wrong = [o for o in item.option_order if not options[o].is_correct][:1]
        saved = _timed(
            durations,
            "autosave",
            client.post,
            reverse("exams:answer", args=[attempt.pk, item.position]),
            {"option": keyed if item.position in CORRECT_POSITIONS else wrong, "seq": 1},
            headers={"Accept": "application/json"},
        )
        assert saved.status_code == 200, saved.content
        assert saved.json()["ok"] is True
        chosen = keyed if item.position in CORRECT_POSITIONS else wrong
        stored = set(item.selections.values_list("option_id", flat=True))
        assert stored == set(chosen), (item.position, stored, chosen)
    submitted = _timed(durations, "submit", client.post, reverse("exams:submit", args=[attempt.pk]))
    assert submitted.status_code == 302, submitted
    assert submitted["Location"] == reverse("exams:results", args=[attempt.pk])
    attempt.refresh_from_db()
    results = _timed(durations, "results page", client.get, submitted["Location"])
    assert results.status_code == 200
    assert f'id="scaled-score">{attempt.scaled_score}</p>' in results.content.decode()
    return attempt


def test_an_exam_is_sat_with_redis_down_and_analytics_catch_up_when_it_returns(
    database_route, celery_app_on_private_redis, private_redis, client
):
    make_bank(per_domain=6)
    blueprint = short_blueprint(slug="redis-down")
    student = UserFactory(role="Student")
    client.force_login(student)

    private_redis.stop()
    durations = {}
    attempt = _sit_through_http(client, blueprint, durations)
    assert attempt.state == Attempt.State.SUBMITTED
    assert attempt.correct_count == len(CORRECT_POSITIONS)
    assert not AttemptDomainResult.objects.filter(attempt=attempt).exists()

    # Redis comes back on the same port; a worker runs the periodic catch-up task.
    private_redis.start()
    worker = WorkerProcess(
        private_redis.url,
        _db_url_for_current_test_database(),
        env={"ANALYTICS_DEBOUNCE_SECONDS": "1"},
    ).start()
    try:
        catch_up_missing_analytics.delay()
        assert wait_for(lambda: stored_domain_rows(attempt) == reported_domain_rows(attempt)), (
            stored_domain_rows(attempt),
            worker.output(),
        )
        # The worker found exactly this one attempt and computed it.
        assert re.search(
            r"catch_up_missing_analytics\[[^\]]+\] succeeded in [^:]+: 1\b", worker.output()
        )
        assert re.search(r"attempt_analytics\[[^\]]+\] succeeded", worker.output())
    finally:
        worker.stop()
    assert (
        len(reported_domain_rows(attempt))
        == AttemptDomainResult.objects.filter(attempt=attempt).count()
    )
    # Checked last, so the catch-up above is proven even while this still fails: no request
    # may wait long on a Redis that is down (the page would look frozen).
    slow = {step: round(s, 1) for step, s in durations.items() if s > MAX_REQUEST_SECONDS}
    assert not slow, f"requests that waited on the stopped Redis (seconds): {slow}"
    assert_went_through_pgbouncer(database_route)


def test_answers_are_saved_while_the_cache_on_redis_is_down(
    database_route, celery_app_on_private_redis, private_redis, settings
):
    """Production wiring: REDIS_URL is the broker, the result store and the Django cache.

    config/settings/base.py puts CACHES on REDIS_URL, and the autosave rate limit counts in
    that cache; with Redis down a student must still be able to save answers.
    """
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url,
        }
    }
    make_bank(per_domain=6)
    student = UserFactory(role="Student")
    attempt = attempt_start(user=student, blueprint=short_blueprint(slug="redis-cache-down"))
    browser_like = Client(raise_request_exception=False)  # a 500 reaches the page as a 500
    browser_like.force_login(student)
    item = attempt.items.get(position=1)

    private_redis.stop()
    saved = browser_like.post(
        reverse("exams:answer", args=[attempt.pk, 1]),
        {"option": item.option_order[:1], "seq": 1},
        headers={"Accept": "application/json"},
    )
    assert saved.status_code == 200, (
        f"autosave answered {saved.status_code} with the cache's Redis down: the page keeps "
        "retrying and the answer is not stored (core/ratelimit.allow lets the cache error "
        "escape)"
    )
    assert list(item.selections.values_list("option_id", flat=True)) == item.option_order[:1]
    page_button = browser_like.post(
        reverse("exams:answer", args=[attempt.pk, 1]),
        {"option": item.option_order[1:2], "seq": 2, "go": "next"},
    )
    assert page_button.status_code == 302, page_button.status_code
    assert page_button["Location"] == reverse("exams:question", args=[attempt.pk, 2])
    assert list(item.selections.values_list("option_id", flat=True)) == item.option_order[1:2]
    item.refresh_from_db()
    assert item.answer_seq == 2
    assert_went_through_pgbouncer(database_route)
