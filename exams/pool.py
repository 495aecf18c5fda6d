"""Per-blueprint candidate pools: what form assembly needs about the bank, read once.

A start used to read the whole published bank (candidates, enemies, options) to draw one form.
`blueprint_pool` returns the same facts as a `BlueprintPool`, computed once per *bank
generation* and kept in the Django cache (Redis in production: shared by every process and
node) and, decoded, in a small per-process memo.

Invalidation is correctness-first. The key is the blueprint's id and the bank generation's
token, a random value that a PostgreSQL trigger (migration exams 0011) replaces in the same
transaction as every statement that writes a table the pool is made of: questions, their
domain links, versions, options and enemies, domains, task statements, guides, blueprints and
their domain weights, including QuerySet.update(), bulk_create(), raw SQL, imports,
`load_question_bank` and TRUNCATE, from any process. A start reads the token first (one
primary-key read inside its transaction), then the pool, so a pool is never older than its key:
a pool built after a concurrent commit is stored under the older token, which nobody reads once
the newer one is visible. The token is random rather than a counter so that a rolled-back write
or a restored backup can never bring back a key whose pool describes other data. Django
signals were not enough: bulk paths and other processes bypass them.

Without the generation row (SQLite for `make run`, or a database not migrated yet) the pool is
built from the database on every call, exactly as before, and never cached. When the cache is
down the pool is built from the database too: a start never fails for want of Redis.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection

from questions.models import Domain, Option, Question

from .models import Blueprint

logger = logging.getLogger(__name__)

GENERATION_SQL = "SELECT token FROM exams_bankgeneration WHERE id = 1"
CACHE_TIMEOUT = 24 * 60 * 60  # a key whose token was replaced is simply never read again
_LOCAL_MAX = 64
_local: dict[tuple[int, str], BlueprintPool] = {}


@dataclass(frozen=True)
class PoolDomain:
    """A domain as assembly needs it (hashable, like the `Domain` it stands for)."""

    pk: int
    name: str


@dataclass(frozen=True)
class BlueprintPool:
    """Everything `draw_form` reads about a blueprint's candidate questions.

    `weights`: the domains and weights a form is allocated by, in the order assembly reads
    them (the blueprint's own weights, else the guide's; a drill's domain alone).
    `scored`: (question, current version, domain) of the published non-pretest questions in
    those domains (and a task statement drill's statement), in the order the draw reads them.
    `pretest`: the same for the published pretest questions of the guide in those domains.
    `enemies`: each candidate's enemies among the candidates. `options`: each candidate
    version's option ids, sorted.
    """

    weights: tuple[tuple[PoolDomain, float], ...]
    scored: tuple[tuple[int, int, int], ...]
    pretest: tuple[tuple[int, int, int], ...]
    enemies: dict[int, frozenset[int]]
    options: dict[int, tuple[int, ...]]


def bank_generation() -> str | None:
    """Return the bank generation's token, or None where there is none (SQLite)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(GENERATION_SQL)
        row = cursor.fetchone()
    return row[0] if row else None


def blueprint_pool(blueprint: Blueprint) -> BlueprintPool:
    """Return the blueprint's candidate pool for the bank as this transaction sees it."""
    token = bank_generation()
    if token is None:
        return build_pool(blueprint)
    key = (blueprint.pk, token)
    pool = _local.get(key)
    if pool is not None:
        return pool
    cache_key = f"exams:pool:v1:{blueprint.pk}:{token}"
    try:
        pool = cache.get(cache_key)
    except Exception:  # noqa: BLE001 - any cache backend error: build from the database
        logger.warning("Pool cache unavailable; building the pool of blueprint %s", blueprint.pk)
        return build_pool(blueprint)
    if pool is None:
        pool = build_pool(blueprint)
        try:
            cache.set(cache_key, pool, timeout=CACHE_TIMEOUT)
        except Exception:  # noqa: BLE001
            logger.warning("Pool cache unavailable; pool of blueprint %s not kept", blueprint.pk)
            return pool
    if len(_local) >= _LOCAL_MAX:
        _local.clear()
    _local[key] = pool
    return pool


def _weights(blueprint: Blueprint) -> tuple[tuple[PoolDomain, float], ...]:
    # The same reads, in the same order, as assembly.blueprint_domain_counts.
    if blueprint.mode == Blueprint.Mode.DRILL:
        domain = blueprint.drill_domain
        return ((PoolDomain(domain.pk, domain.name), 1.0),)
    own = [
        (PoolDomain(w.domain.pk, w.domain.name), float(w.weight))
        for w in blueprint.weights.select_related("domain")
        if w.weight > 0
    ]
    return tuple(own) or tuple(
        (PoolDomain(d.pk, d.name), float(d.weight))
        for d in Domain.objects.filter(guide_id=blueprint.guide_id)  # as guide.domains.all()
    )


def enemy_pairs(question_ids) -> dict[int, set[int]]:
    """Return each question's enemies among `question_ids` (both directions)."""
    enemies: dict[int, set[int]] = {}
    rows = Question.enemies.through.objects.filter(
        from_question_id__in=question_ids, to_question_id__in=question_ids
    ).values_list("from_question_id", "to_question_id")
    for a, b in rows:
        enemies.setdefault(a, set()).add(b)
        enemies.setdefault(b, set()).add(a)
    return enemies


def build_pool(blueprint: Blueprint) -> BlueprintPool:
    """Read the blueprint's pool from the database (a handful of queries)."""
    weights = _weights(blueprint)
    domain_ids = [domain.pk for domain, _weight in weights]
    links = {"domain_links__domain_id__in": domain_ids}
    if blueprint.mode == Blueprint.Mode.DRILL and blueprint.drill_task_statement_id:
        # In the same filter() call, so both conditions hold on one domain link.
        links["domain_links__task_statement_id"] = blueprint.drill_task_statement_id
    columns = ("pk", "current_version_id", "domain_links__domain_id")
    # Question's default ordering (newest first, then key) is kept: the draw shuffles these
    # lists with a seeded generator, so the same seed draws the same form as before.
    scored = tuple(
        Question.objects.published()
        .filter(current_version__isnull=False, is_pretest=False, **links)
        .values_list(*columns)
    )
    pretest = ()
    if blueprint.unscored_count:
        pretest = tuple(
            Question.objects.published()
            .filter(
                is_pretest=True,
                current_version__isnull=False,
                domain_links__guide_id=blueprint.guide_id,
                domain_links__domain_id__in=domain_ids,
            )
            .values_list(*columns)
        )
    question_ids = {row[0] for row in scored} | {row[0] for row in pretest}
    enemies = enemy_pairs(question_ids) if question_ids else {}
    options: dict[int, list[int]] = {}
    version_ids = {row[1] for row in scored} | {row[1] for row in pretest}
    if version_ids:
        for version_id, option_id in Option.objects.filter(version_id__in=version_ids).values_list(
            "version_id", "pk"
        ):
            options.setdefault(version_id, []).append(option_id)
    return BlueprintPool(
        weights=weights,
        scored=scored,
        pretest=pretest,
        enemies={q: frozenset(e) for q, e in enemies.items()},
        options={v: tuple(sorted(ids)) for v, ids in options.items()},
    )
