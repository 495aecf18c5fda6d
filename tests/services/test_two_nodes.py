"""Two web nodes behind HAProxy, both on PgBouncer: a student sits an exam across them.

Real processes, as in production with several machines: two gunicorn nodes (the app, 2 sync
workers each) whose DATABASE_URL points at PgBouncer (transaction pooling) in front of the
suite's PostgreSQL, sharing the suite's Redis for cache and rate limits, behind HAProxy
(round-robin, health checks on /healthz, X-Forwarded-For, TRUSTED_PROXY_COUNT=1). Nothing the
app needs lives in one node's memory: a session made on one node is honoured by the other, and
a whole exam (log-in, start, autosaves, submit) goes through the balancer with its requests
spread over both nodes.
"""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest
import requests
from django.db import connection

from exams.models import Attempt
from tests.factories.accounts import UserFactory
from tests.factories.questions import make_bank
from tests.faults.conftest import short_blueprint
from tests.faults.test_gunicorn_worker_killed import Gunicorn, log_in
from tests.servers import PACKAGE_HINT, HAProxyServer, find_sbin

pytestmark = [
    pytest.mark.services("postgresql", "redis"),  # redis: the binary, for a Redis of its own
    pytest.mark.django_db(transaction=True),
]

TIMEOUT = 15


# pgbouncer and private_redis (a Redis of the test's own: the Redis-down test stops it) come
# from tests/services/conftest.py.


@pytest.fixture
def nodes(pgbouncer, private_redis):
    """Two gunicorn nodes on the test database through PgBouncer, sharing one Redis."""
    started = []
    try:
        for _ in range(2):
            node = Gunicorn(pgbouncer.url_for(connection.settings_dict["NAME"]))
            node.env.update(
                {
                    # Broker and cache (rate limits, locks) shared by the nodes.
                    "REDIS_URL": private_redis.url,
                    "DISABLE_SERVER_SIDE_CURSORS": "true",
                    "TRUSTED_PROXY_COUNT": "1",
                }
            )
            started.append(node.start())
        yield started
    finally:
        for node in started:
            node.stop()


@pytest.fixture
def balancer(nodes):
    from tests.plugin import require

    binary = find_sbin("haproxy")
    if binary is None:
        require("haproxy", PACKAGE_HINT["haproxy"])
    lb = HAProxyServer(binary, [("127.0.0.1", node.port) for node in nodes]).start()
    try:
        yield lb
    finally:
        lb.cleanup()


def test_a_session_made_on_one_node_is_honoured_by_the_other(nodes):
    node_a, node_b = nodes
    student = UserFactory(role="Student")
    session = log_in(node_a.base_url, student.username)

    page = session.get(f"{node_b.base_url}/exams/", allow_redirects=False, timeout=TIMEOUT)
    assert page.status_code == 200, (page.status_code, page.headers.get("Location"))
    assert student.username in page.text

    stranger = requests.get(f"{node_b.base_url}/exams/", allow_redirects=False, timeout=TIMEOUT)
    assert stranger.status_code == 302
    assert "/accounts/login/" in stranger.headers["Location"]

    # Logging out on node B ends the session for node A too (it lives in PostgreSQL).
    csrf = session.cookies["csrftoken"]
    out = session.post(
        f"{node_b.base_url}/accounts/logout/",
        data={"csrfmiddlewaretoken": csrf},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert out.status_code in {200, 302}, out.status_code
    again = session.get(f"{node_a.base_url}/exams/", allow_redirects=False, timeout=TIMEOUT)
    assert again.status_code == 302


def test_an_exam_is_sat_through_haproxy_on_two_nodes_and_pgbouncer(balancer, pgbouncer):
    make_bank(per_domain=6)
    blueprint = short_blueprint(slug="two-nodes", question_count=10)
    student = UserFactory(role="Student")
    served_by = Counter()
    session = requests.Session()
    session.hooks["response"].append(
        lambda r, *args, **kwargs: served_by.update([r.headers.get("X-Served-By")])
    )
    base = balancer.url

    log_in(base, student.username, session=session)
    csrf = session.cookies["csrftoken"]
    started = session.post(
        f"{base}/exams/{blueprint.slug}/start/",
        data={"csrfmiddlewaretoken": csrf},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert started.status_code == 302, started.text[:500]
    match = re.search(r"/attempts/(\d+)/q/1/$", started.headers["Location"])
    assert match, started.headers["Location"]
    attempt = Attempt.objects.get(pk=int(match[1]), user=student)
    assert session.get(f"{base}{started.headers['Location']}", timeout=TIMEOUT).status_code == 200

    chosen = {}
    for item in attempt.items.select_related("version").order_by("position"):
        options = sorted(item.option_order[: item.version.select_count])
        saved = session.post(
            f"{base}/attempts/{attempt.pk}/q/{item.position}/answer/",
            data=[("seq", "1"), *(("option", str(o)) for o in options)],
            headers={"X-CSRFToken": csrf, "Accept": "application/json"},
            timeout=TIMEOUT,
        )
        assert saved.status_code == 200, saved.text[:500]
        assert saved.json()["ok"] is True
        chosen[item.pk] = set(options)

    submitted = session.post(
        f"{base}/attempts/{attempt.pk}/submit/",
        data={"csrfmiddlewaretoken": csrf},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert submitted.status_code == 302, submitted.text[:500]
    landing = session.get(f"{base}{submitted.headers['Location']}", timeout=TIMEOUT)
    assert landing.status_code == 200

    attempt.refresh_from_db()
    assert attempt.state != Attempt.State.IN_PROGRESS
    assert attempt.scaled_score is not None
    for item in attempt.items.prefetch_related("selections"):
        assert {s.option_id for s in item.selections.all()} == chosen[item.pk], item.position
    # Round-robin spread the exam over both nodes; every request went through PgBouncer.
    assert set(served_by) == {"node1", "node2"}, served_by
    assert min(served_by.values()) >= 5, served_by
    assert pgbouncer.transactions_served(connection.settings_dict["NAME"]) > 20


def test_nodes_stay_in_rotation_and_serve_exams_while_redis_is_down(
    balancer, private_redis, pgbouncer
):
    """/healthz says 503 without Redis, but the app still serves exams: HAProxy keeps the
    nodes (it checks the database part of /healthz), and a student starts and saves."""
    make_bank(per_domain=6)
    blueprint = short_blueprint(slug="two-nodes-redis-down", question_count=5)
    student = UserFactory(role="Student")
    private_redis.stop()
    health = requests.get(f"{balancer.url}/healthz", timeout=TIMEOUT)
    assert health.status_code == 503
    assert health.json()["database"]["ok"] is True
    time.sleep(3 * balancer.check_interval_ms / 1000)  # a few health checks later
    assert balancer.backend_status() == {"node1": "UP", "node2": "UP"}

    session = log_in(balancer.url, student.username)
    csrf = session.cookies["csrftoken"]
    started = session.post(
        f"{balancer.url}/exams/{blueprint.slug}/start/",
        data={"csrfmiddlewaretoken": csrf},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert started.status_code == 302, started.text[:500]
    attempt = Attempt.objects.get(user=student, blueprint=blueprint)
    item = attempt.items.order_by("position").first()
    saved = session.post(
        f"{balancer.url}/attempts/{attempt.pk}/q/{item.position}/answer/",
        data={"seq": "1", "option": str(item.option_order[0])},
        headers={"X-CSRFToken": csrf, "Accept": "application/json"},
        timeout=TIMEOUT,
    )
    assert saved.status_code == 200, saved.text[:500]
    assert saved.json()["ok"] is True
    assert list(item.selections.values_list("option_id", flat=True)) == [item.option_order[0]]
