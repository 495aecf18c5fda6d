"""/metrics: refused without the token or an operator address; its figures move."""

import random

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from exams.services import attempt_start, attempt_submit
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

TOKEN = "s3cret-scrape-token"


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []
    return settings


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get(reverse("metrics"), headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.content.decode())
        for s in family.samples
    }


def value(figures, name: str, **labels) -> float:
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


# --- who may read it -------------------------------------------------------------------------


def test_without_token_or_addresses_the_endpoint_does_not_exist(client, settings, db):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN],
)
def test_a_wrong_or_missing_token_is_refused(client, metrics_on, db, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 404
    assert b"dva_" not in response.content


def test_the_token_opens_it(client, metrics_on, db):
    response = client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"})
    assert response.status_code == 200
    assert b"dva_http_request_duration_seconds" in response.content
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_post_is_refused_even_with_the_token(client, metrics_on, db):
    response = client.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code in (403, 404)  # CSRF refuses it first, else the view


@pytest.mark.parametrize(
    ("allowed", "address", "status"),
    [
        (["10.0.0.0/8"], "10.1.2.3", 200),
        (["10.0.0.0/8"], "192.168.1.1", 404),
        (["192.168.1.5"], "192.168.1.5", 200),
        (["192.168.1.5"], "192.168.1.6", 404),
        (["fd00::/8"], "fd00::1", 200),
        (["not-an-address", "127.0.0.1"], "127.0.0.1", 200),  # a typo does not open it all
        (["not-an-address"], "10.0.0.1", 404),
    ],
)
def test_operator_addresses_open_it_without_a_token(client, settings, db, allowed, address, status):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = allowed
    assert client.get("/metrics", REMOTE_ADDR=address).status_code == status


def test_a_forged_forwarded_for_does_not_count_without_trusted_proxies(client, settings, db):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    settings.TRUSTED_PROXY_COUNT = 0
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert response.status_code == 404
    settings.TRUSTED_PROXY_COUNT = 1  # behind our proxy, the proxy's header is the client
    response = client.get("/metrics", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert response.status_code == 200


# --- the figures move ----------------------------------------------------------------------


def test_request_latency_is_counted_per_view(client, metrics_on, db):
    before = scrape(client)
    for _ in range(3):
        client.get(reverse("healthz"))
    client.get("/no-such-page/")
    after = scrape(client)
    count = "dva_http_request_duration_seconds_count"
    assert value(after, count, view="healthz", method="GET") == (
        value(before, count, view="healthz", method="GET") + 3
    )
    assert value(after, count, view="<unresolved>", method="GET") == (
        value(before, count, view="<unresolved>", method="GET") + 1
    )
    assert value(after, "dva_http_request_duration_seconds_sum", view="healthz", method="GET") > (
        value(before, "dva_http_request_duration_seconds_sum", view="healthz", method="GET")
    )
    assert value(
        after, "dva_http_responses_total", view="<unresolved>", method="GET", status="404"
    ) == (
        value(before, "dva_http_responses_total", view="<unresolved>", method="GET", status="404")
        + 1
    )


def test_open_attempts_and_autosave_errors_move(client, metrics_on, student):
    make_bank(per_domain=6)
    blueprint = short_blueprint()
    before = scrape(client)
    attempt = attempt_start(user=student, blueprint=blueprint, rng=random.Random(3))
    assert value(scrape(client), "dva_open_attempts") == value(before, "dva_open_attempts") + 1

    student_client = type(client)()
    student_client.force_login(student)
    url = reverse("exams:answer", kwargs={"attempt_id": attempt.pk, "position": 1})
    item = attempt.items.get(position=1)
    json_headers = {"Accept": "application/json"}
    ok = student_client.post(
        url, {"option": [item.option_order[0]], "seq": 1}, headers=json_headers
    )
    assert ok.status_code == 200, ok.content
    foreign = student_client.post(url, {"option": [10**9], "seq": 2}, headers=json_headers)
    assert foreign.status_code == 400
    gone = student_client.post(
        reverse("exams:answer", kwargs={"attempt_id": attempt.pk + 999, "position": 1}),
        {"option": [item.option_order[0]], "seq": 3},
        headers=json_headers,
    )
    assert gone.status_code == 404
    middle = scrape(client)
    errors = "dva_autosave_errors_total"
    assert value(middle, errors, status="400") == value(before, errors, status="400") + 1
    assert value(middle, errors, status="404") == value(before, errors, status="404") + 1
    assert value(middle, errors, status="200") == 0  # a saved answer is no error
    assert (
        value(middle, "dva_http_request_duration_seconds_count", view="exams:answer", method="POST")
        - value(
            before, "dva_http_request_duration_seconds_count", view="exams:answer", method="POST"
        )
        == 3
    )

    attempt_submit(user=student, attempt_id=attempt.pk)
    assert value(scrape(client), "dva_open_attempts") == value(before, "dva_open_attempts")


@pytest.mark.services("postgresql", "redis")
def test_queue_depth_is_read_from_the_redis_broker(client, metrics_on, celery_app_on_redis, db):
    from analytics.tasks import blueprint_statistics
    from core.tasks import worker_heartbeat

    metrics_on.CELERY_BROKER_URL = celery_app_on_redis.conf.broker_url
    figures = scrape(client)
    assert value(figures, "dva_celery_broker_up") == 1
    for queue in ("exams", "analytics", "celery"):
        assert (("dva_celery_queue_depth", (("queue", queue),))) in figures
        assert value(figures, "dva_celery_queue_depth", queue=queue) == 0
    worker_heartbeat.delay("nobody-consumes-this")
    blueprint_statistics.delay(1)
    blueprint_statistics.apply_async((2,), priority=6)  # a priority list of its own in Redis
    figures = scrape(client)
    assert value(figures, "dva_celery_queue_depth", queue="exams") == 1
    assert value(figures, "dva_celery_queue_depth", queue="analytics") == 2
    assert value(figures, "dva_celery_queue_depth", queue="celery") == 0


def test_a_broker_that_is_down_is_reported_not_a_failure(client, metrics_on, db):
    metrics_on.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    figures = scrape(client)
    assert value(figures, "dva_celery_broker_up") == 0
    assert not any(name == "dva_celery_queue_depth" for name, _ in figures)
