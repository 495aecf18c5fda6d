"""Starts that cost little: the per-blueprint candidate pool, its invalidation, query budgets.

The pool (`exams.pool`) is cached per bank generation, a token that a trigger replaces with every
write to the bank's tables. Each invalidation test warms the pool, checks that it is really
served from the cache (one query: the token), changes the bank the way the case says, and
checks that the next read sees the change: with the trigger removed, each one fails.
"""

import json
import random
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from exams import pool as pool_module
from exams.models import AttemptItem, BlueprintDomainWeight
from exams.pool import blueprint_pool
from exams.services import attempt_start
from questions.models import Domain, Question
from questions.services import (
    question_as_data,
    question_set_enemies,
    question_set_status,
    question_update,
)
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank, make_question


def _warm(blueprint, django_assert_num_queries):
    """Read the pool twice; the second read is the cache's (only the token is queried)."""
    blueprint_pool(blueprint)
    with django_assert_num_queries(1):
        return blueprint_pool(blueprint)


def _scored(blueprint) -> dict[int, int]:
    return {qid: vid for qid, vid, _did in blueprint_pool(blueprint).scored}


@pytest.mark.django_db
class TestInvalidation:
    @pytest.fixture
    def bank(self):
        return make_bank(per_domain=3)

    def test_a_publish(self, bank, django_assert_num_queries):
        blueprint = short_blueprint()
        draft = make_question(status=Question.Status.DRAFT)
        _warm(blueprint, django_assert_num_queries)
        question_set_status(question=draft, status=Question.Status.PUBLISHED)
        assert draft.pk in _scored(blueprint)

    def test_a_new_version(self, bank, django_assert_num_queries):
        blueprint = short_blueprint()
        question = bank[0]
        old_version = question.current_version_id
        _warm(blueprint, django_assert_num_queries)
        data = question_as_data(question)
        data["stem"] += " (Edited to say which region.)"
        assert question_update(question=question, data=data)
        question.refresh_from_db()
        assert question.current_version_id != old_version
        pool = blueprint_pool(blueprint)
        assert _scored(blueprint)[question.pk] == question.current_version_id
        assert set(pool.options[question.current_version_id]) == set(
            question.current_version.options.values_list("pk", flat=True)
        )

    def test_a_retirement_by_the_service_and_by_queryset_update(
        self, bank, django_assert_num_queries
    ):
        blueprint = short_blueprint()
        _warm(blueprint, django_assert_num_queries)
        question_set_status(question=bank[0], status=Question.Status.RETIRED)
        assert bank[0].pk not in _scored(blueprint)
        _warm(blueprint, django_assert_num_queries)
        Question.objects.filter(pk=bank[1].pk).update(status=Question.Status.RETIRED)
        assert bank[1].pk not in _scored(blueprint)

    def test_an_enemies_change(self, bank, django_assert_num_queries):
        blueprint = short_blueprint()
        _warm(blueprint, django_assert_num_queries)
        question_set_enemies(question=bank[0], keys=[bank[1].key])
        assert blueprint_pool(blueprint).enemies[bank[0].pk] == {bank[1].pk}

    def test_a_pretest_flag_set_with_queryset_update(self, bank, django_assert_num_queries):
        blueprint = short_blueprint(question_count=10, unscored_count=2)
        _warm(blueprint, django_assert_num_queries)
        Question.objects.filter(pk=bank[0].pk).update(is_pretest=True)
        pool = blueprint_pool(blueprint)
        assert bank[0].pk not in _scored(blueprint)
        assert bank[0].pk in {qid for qid, _vid, _did in pool.pretest}

    def test_a_blueprint_edit(self, bank, django_assert_num_queries):
        blueprint = short_blueprint(question_count=3)
        domain = Domain.objects.get(guide=blueprint.guide, name="Security")
        assert len(_warm(blueprint, django_assert_num_queries).weights) == 5
        BlueprintDomainWeight.objects.create(blueprint=blueprint, domain=domain, weight=100)
        assert [d.name for d, _w in blueprint_pool(blueprint).weights] == ["Security"]
        # ...and the draw follows it: a form of Security questions only.
        attempt = attempt_start(
            user=UserFactory(role="Student"), blueprint=blueprint, rng=random.Random(1)
        )
        assert set(attempt.items.values_list("domain__name", flat=True)) == {"Security"}


@pytest.mark.django_db(transaction=True)
def test_a_retirement_committed_by_another_process(django_assert_num_queries):
    """A raw UPDATE from another process (not Django, no signal) reaches every pool."""
    make_bank(per_domain=6)
    deployment = Domain.objects.get(guide__code="DVA-C01", name="Deployment")
    blueprint = short_blueprint(
        question_count=3, mode="drill", drill_domain=deployment, duration_minutes=None
    )
    _warm(blueprint, django_assert_num_queries)
    params = connection.get_connection_params()
    dsn = {
        "dbname": params.get("database") or params.get("dbname"),
        **{k: params[k] for k in ("user", "password", "host", "port") if params.get(k)},
    }
    in_domain = sorted(_scored(blueprint))
    assert len(in_domain) == 6
    retired, kept = in_domain[:3], in_domain[3:]
    script = (
        "import json, sys, psycopg2\n"
        "dsn, ids = json.loads(sys.argv[1])\n"
        "with psycopg2.connect(**dsn) as conn, conn.cursor() as cur:\n"
        "    cur.execute(\"UPDATE questions_question SET status = 'retired' WHERE id = ANY(%s)\","
        " [ids])\n"
    )
    subprocess.run([sys.executable, "-c", script, json.dumps([dsn, retired])], check=True)
    assert sorted(_scored(blueprint)) == kept
    # Three questions left for a three-question drill: the draw must take exactly those.
    attempt = attempt_start(user=UserFactory(role="Student"), blueprint=blueprint)
    drawn = set(AttemptItem.objects.filter(attempt=attempt).values_list("question_id", flat=True))
    assert drawn == set(kept)


# --- Query budgets (transactional: the counts are what production sends) ------------------


@pytest.fixture
def exam(transactional_db):
    make_bank(per_domain=20)
    return short_blueprint(question_count=65, duration_minutes=130)


def _start(blueprint, user=None):
    return attempt_start(user=user or UserFactory(role="Student"), blueprint=blueprint)


def _student():
    """A student whose permissions are loaded, as the start view's decorator leaves them."""
    student = UserFactory(role="Student")
    assert student.has_perm("exams.take_exam")
    return student


@pytest.mark.django_db(transaction=True)
def test_a_start_with_a_warm_pool_sends_seven_statements(exam, django_assert_num_queries):
    _start(exam)  # fills the pool
    # BEGIN, the user's lock, the open attempt, seen and held questions, the bank token,
    # one statement writing the attempt, its 65 items and the START event, COMMIT.
    student = _student()
    with django_assert_num_queries(7) as captured:
        attempt = _start(exam, student)
    assert attempt.items.count() == 65
    assert attempt.events.filter(kind="start").count() == 1
    inserts = [q["sql"] for q in captured.captured_queries if "INSERT" in q["sql"]]
    assert len(inserts) == 1


@pytest.mark.django_db(transaction=True)
def test_a_start_with_a_cold_pool_reads_the_bank_once(exam, django_assert_num_queries):
    # Not in the cache: the pool's five reads come on top (the blueprint's own weights, the
    # guide's, the candidates, their enemies, their options).
    pool_module._local.clear()
    cache.clear()
    first, second = _student(), _student()
    with django_assert_num_queries(12):
        attempt = _start(exam, first)
    assert attempt.items.count() == 65
    # The next start reads the pool from the cache (process memo emptied: Redis it is).
    pool_module._local.clear()
    with django_assert_num_queries(7):
        _start(exam, second)


@pytest.mark.django_db(transaction=True)
def test_a_start_and_its_first_question_page_need_a_handful_of_queries(
    exam, client, django_assert_num_queries
):
    _start(exam)  # warms the process-wide caches (content types, the pool)
    student = UserFactory(role="Student")
    client.force_login(student)
    # The start itself, through the view: the session, the user, the user's and the groups'
    # permissions, the blueprint, then the service's seven statements.
    with django_assert_num_queries(12):
        response = client.post(reverse("exams:start", args=[exam.slug]))
    assert response.status_code == 302
    # The session, the user, the attempt, the navigator, the item, its options, the user's
    # groups (the menu): no write (the attempt already points at question 1), no read of the
    # empty selection.
    with django_assert_num_queries(7):
        page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["position"] == 1


@pytest.mark.django_db
def test_a_start_builds_the_pool_itself_when_the_cache_is_down(settings):
    make_bank(per_domain=6)
    blueprint = short_blueprint()
    pool_module._local.clear()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    attempt = attempt_start(user=UserFactory(role="Student"), blueprint=blueprint)
    assert attempt.items.count() == 10


@pytest.mark.django_db
def test_a_pretest_item_and_its_scored_enemy_never_share_a_form():
    make_bank(per_domain=3)
    deployment = Domain.objects.get(guide__code="DVA-C01", name="Deployment")
    blueprint = short_blueprint(
        question_count=3, unscored_count=1, mode="drill", drill_domain=deployment
    )
    scored = sorted(_scored(blueprint))
    pretest = make_question(domain="Deployment")
    Question.objects.filter(pk=pretest.pk).update(is_pretest=True)
    question_set_enemies(question=pretest, keys=[Question.objects.get(pk=scored[0]).key])
    for seed in range(10):
        attempt = attempt_start(
            user=UserFactory(role="Student"), blueprint=blueprint, rng=random.Random(seed)
        )
        drawn = set(attempt.items.values_list("question_id", flat=True))
        assert drawn == {pretest.pk, *scored[1:]}
