"""Form assembly: per-domain counts, a fair random draw, shuffled order, pinned versions."""

from __future__ import annotations

import random
from dataclasses import dataclass

from core.errors import ApplicationError
from questions.allocation import allocate_by_largest_remainder
from questions.models import Domain, Option, Question

from ..models import Blueprint
from ..pool import BlueprintPool, PoolDomain, blueprint_pool, enemy_pairs


class BankTooSmall(ApplicationError):
    """The published bank cannot fill the blueprint; the message says where it falls short."""

    def __init__(
        self,
        blueprint: Blueprint,
        shortfalls: list[tuple[str, int, int]],
        *,
        held_back: bool = False,
        enemies: bool = False,
    ):
        self.blueprint = blueprint
        self.shortfalls = shortfalls
        parts = [f"{name}: {have} published, {need} needed" for name, have, need in shortfalls]
        message = f"The question bank cannot fill “{blueprint.title}” yet ({'; '.join(parts)})."
        if enemies:
            message += (
                " Some of these questions are declared enemies (they test the same point), and"
                " enemies never share a form."
            )
        if held_back:
            message += (
                " Questions in your other attempts in progress are left out so that one cannot"
                " reveal the other's answers; submit those attempts first."
            )
        super().__init__(message)


@dataclass(frozen=True)
class DrawnItem:
    question_id: int
    version_id: int
    domain_id: int
    option_ids: list[int]
    scored: bool


def blueprint_domain_counts(blueprint: Blueprint, total: int | None = None) -> dict[Domain, int]:
    """Return how many questions each domain contributes to one form (of `total` questions,
    the blueprint's count by default)."""
    total = blueprint.question_count if total is None else total
    if blueprint.mode == Blueprint.Mode.DRILL:
        return {blueprint.drill_domain: total}
    own = {
        w.domain: float(w.weight)
        for w in blueprint.weights.select_related("domain")
        if w.weight > 0
    }
    weights = own or {d: float(d.weight) for d in blueprint.guide.domains.all()}
    by_name = {d.name: d for d in weights}
    counts = allocate_by_largest_remainder(total, {d.name: w for d, w in weights.items()})
    return {by_name[name]: n for name, n in counts.items() if n > 0}


# A greedy pick can paint itself into a corner with enemies; it tries again in other orders.
ENEMY_DRAW_TRIES = 20


def pick_without_enemies(
    counts: dict[Domain, int],
    pools: dict[int, list[tuple[int, int]]],
    enemies: dict[int, set[int]],
    seen_question_ids: set[int],
    rng: random.Random,
) -> tuple[list[tuple[int, int, int]], list[tuple[str, int, int]]]:
    """Pick each domain's questions, unseen first, never two enemies; return the picks and the
    shortfalls (domain, how many could be picked, how many are needed)."""
    best: tuple[list, list] | None = None
    domains = list(counts)
    for _attempt in range(ENEMY_DRAW_TRIES if enemies else 1):
        chosen: list[tuple[int, int, int]] = []
        taken: set[int] = set()
        shortfalls = []
        order = domains[:]
        if _attempt:
            rng.shuffle(order)
        for domain in order:
            need = counts[domain]
            pool = pools[domain.pk][:]
            rng.shuffle(pool)
            # Stable sort keeps the shuffle inside each group: unseen questions come first.
            pool.sort(key=lambda pair: pair[0] in seen_question_ids)
            picked = 0
            for qid, vid in pool:
                if picked == need:
                    break
                if qid in taken or enemies.get(qid, set()) & taken:
                    continue
                chosen.append((qid, vid, domain.pk))
                taken.add(qid)
                picked += 1
            if picked < need:
                shortfalls.append((domain.name, picked, need))
        if not shortfalls:
            return chosen, []
        if best is None or len(chosen) > len(best[0]):
            best = (chosen, shortfalls)
    return best


def _pool_counts(pool: BlueprintPool, blueprint: Blueprint, total: int) -> dict[PoolDomain, int]:
    """`blueprint_domain_counts` from the pool's weights (no query)."""
    if blueprint.mode == Blueprint.Mode.DRILL:
        return {pool.weights[0][0]: total}
    by_name = {domain.name: domain for domain, _weight in pool.weights}
    counts = allocate_by_largest_remainder(
        total, {domain.name: weight for domain, weight in pool.weights}
    )
    return {by_name[name]: n for name, n in counts.items() if n > 0}


def enemies_among(enemies: dict[int, frozenset[int]], ids: set[int]) -> dict[int, set[int]]:
    """The pool's enemy pairs restricted to `ids`, as `enemy_pairs(ids)` reads them."""
    found = {}
    for qid in ids:
        among = enemies.get(qid)
        if among:
            among = among & ids
            if among:
                found[qid] = set(among)
    return found


def draw_form(
    *,
    blueprint: Blueprint,
    seen_question_ids: set[int],
    rng: random.Random,
    excluded_question_ids: set[int] = frozenset(),
) -> list[DrawnItem]:
    """Draw a form: unseen questions first, no repeats, no two enemies, shuffled questions
    and options. A task statement drill draws from its task statement only.

    `excluded_question_ids` are never drawn (the questions of the student's open exam).

    Pretest questions (`Question.is_pretest`) are never scored: they are drawn only into the
    blueprint's unscored slots, which they fill first (spread by domain weight where the
    pretest pool allows); the remaining unscored slots are random drawn questions, as before.

    The candidates come from the blueprint's pool (`exams.pool`: cached per bank generation),
    so a draw reads one row of the database instead of the bank.
    """
    pool = blueprint_pool(blueprint)
    held_back = bool(excluded_question_ids)
    pretest = _draw_pretest(
        blueprint=blueprint,
        pool=pool,
        seen_question_ids=seen_question_ids,
        rng=rng,
        excluded_question_ids=excluded_question_ids,
    )
    pretest_ids = {qid for qid, _vid, _did in pretest}
    # The enemies of a drawn pretest item stay out of the rest of the form (all of them: the
    # bank read before the pool looked for them among the pretest items only).
    excluded_question_ids = (
        set(excluded_question_ids)
        | pretest_ids
        | {e for qid in pretest_ids for e in pool.enemies.get(qid, ())}
        if pretest
        else excluded_question_ids
    )
    counts = _pool_counts(pool, blueprint, blueprint.question_count - len(pretest))
    pools = {domain.pk: [] for domain in counts}
    for question_id, version_id, domain_id in pool.scored:
        if domain_id in pools and question_id not in excluded_question_ids:
            pools[domain_id].append((question_id, version_id))
    shortfalls = [
        (domain.name, len(pools[domain.pk]), need)
        for domain, need in counts.items()
        if len(pools[domain.pk]) < need
    ]
    if shortfalls:
        raise BankTooSmall(blueprint, shortfalls, held_back=held_back)

    enemies = enemies_among(
        pool.enemies, {qid for candidates in pools.values() for qid, _ in candidates}
    )
    chosen, shortfalls = pick_without_enemies(counts, pools, enemies, seen_question_ids, rng)
    if shortfalls:
        raise BankTooSmall(blueprint, shortfalls, held_back=held_back, enemies=True)
    random_unscored = blueprint.unscored_count - len(pretest)
    chosen = [*chosen, *pretest]
    rng.shuffle(chosen)
    positions = [i for i, row in enumerate(chosen) if row[0] not in pretest_ids]
    unscored = {i for i, row in enumerate(chosen) if row[0] in pretest_ids}
    unscored |= set(rng.sample(positions, random_unscored))
    return with_shuffled_options(chosen, rng, unscored=unscored, options=pool.options)


def _draw_pretest(
    *,
    blueprint: Blueprint,
    pool: BlueprintPool,
    seen_question_ids: set[int],
    rng: random.Random,
    excluded_question_ids: set[int],
) -> list[tuple[int, int, int]]:
    """Pick up to `unscored_count` published pretest questions of the blueprint's guide (and
    domains), unseen first, spread over the domains by weight, no two enemies."""
    if not blueprint.unscored_count:
        return []
    counts = _pool_counts(pool, blueprint, blueprint.question_count)
    by_domain: dict[int, list[tuple[int, int]]] = {d.pk: [] for d in counts}
    for qid, vid, did in pool.pretest:
        if did in by_domain and qid not in excluded_question_ids:
            by_domain[did].append((qid, vid))
    if not any(by_domain.values()):
        return []
    for candidates in by_domain.values():
        rng.shuffle(candidates)
        candidates.sort(key=lambda pair: pair[0] in seen_question_ids)
    need = blueprint.unscored_count
    quota = allocate_by_largest_remainder(need, {d.pk: n for d, n in counts.items()})
    enemies = enemies_among(pool.enemies, {qid for c in by_domain.values() for qid, _vid in c})
    picked: list[tuple[int, int, int]] = []
    taken: set[int] = set()

    def take(domain_id: int, limit: int) -> None:
        for qid, vid in by_domain[domain_id]:
            if limit <= 0 or len(picked) >= need:
                return
            if qid in taken or enemies.get(qid, set()) & taken:
                continue
            picked.append((qid, vid, domain_id))
            taken.add(qid)
            limit -= 1

    for domain_id in by_domain:  # by weight first...
        take(domain_id, quota.get(domain_id, 0))
    for domain_id in by_domain:  # ...then whatever pretest items are left
        take(domain_id, need - len(picked))
    return picked


def with_shuffled_options(
    chosen: list[tuple[int, int, int]],
    rng: random.Random,
    *,
    unscored: set[int],
    options: dict[int, tuple[int, ...]] | None = None,
) -> list[DrawnItem]:
    """Freeze each chosen (question, version, domain) with its options in a random order
    (`options`, each version's option ids, is read from the database when not given)."""
    if options is None:
        options = {}
        for version_id, option_id in Option.objects.filter(
            version_id__in=[vid for _, vid, _ in chosen]
        ).values_list("version_id", "pk"):
            options.setdefault(version_id, []).append(option_id)
    items = []
    for index, (question_id, version_id, domain_id) in enumerate(chosen):
        option_ids = sorted(options[version_id])
        rng.shuffle(option_ids)
        items.append(
            DrawnItem(question_id, version_id, domain_id, option_ids, scored=index not in unscored)
        )
    return items


def check_fill(blueprint: Blueprint) -> str | None:
    """Return why the bank cannot fill this blueprint, or None when it can."""
    try:
        draw_form(blueprint=blueprint, seen_question_ids=set(), rng=random.Random(0))
    except BankTooSmall as exc:
        return str(exc)
    return None


def form_from_questions(
    *,
    question_ids: list[int],
    rng: random.Random,
    excluded_question_ids: set[int] = frozenset(),
) -> list[DrawnItem]:
    """A practice form of chosen questions (e.g. the ones a student missed), still published.

    `excluded_question_ids` are left out even when chosen (the questions of an open exam), and
    of two enemies only the first drawn is kept.
    """
    # One row per question: its domain in the default guide, or in its only guide (a question
    # may belong to one guide only).
    by_question: dict[int, tuple[int, int, int]] = {}
    links = (
        Question.objects.published()
        .filter(pk__in=question_ids, is_pretest=False)
        .exclude(pk__in=excluded_question_ids)
        .values_list("pk", "current_version_id", "domain_links__domain_id")
        .order_by("-domain_links__guide__is_default", "domain_links__guide__position")
    )
    for pk, version_id, domain_id in links:
        if domain_id is not None:
            by_question.setdefault(pk, (pk, version_id, domain_id))
    rows = sorted(by_question.values())
    rng.shuffle(rows)
    kept = keep_without_enemies(rows, enemy_pairs([pk for pk, _vid, _did in rows]))
    return with_shuffled_options(kept, rng, unscored=set())


def keep_without_enemies(
    rows: list[tuple[int, int, int]], enemies: dict[int, set[int]]
) -> list[tuple[int, int, int]]:
    """The rows (question id first) in their order, leaving out any whose enemy came earlier."""
    kept, taken = [], set()
    for row in rows:
        if not enemies.get(row[0], set()) & taken:
            kept.append(row)
            taken.add(row[0])
    return kept
