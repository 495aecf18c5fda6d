"""Form assembly: per-domain counts, a fair random draw, shuffled order, pinned versions."""

from __future__ import annotations

import random
from dataclasses import dataclass

from core.errors import ApplicationError
from questions.allocation import allocate_by_largest_remainder
from questions.models import Domain, Option, Question

from ..models import Blueprint


class BankTooSmall(ApplicationError):
    """The published bank cannot fill the blueprint; the message says where it falls short."""

    def __init__(
        self,
        blueprint: Blueprint,
        shortfalls: list[tuple[str, int, int]],
        *,
        held_back: bool = False,
    ):
        self.blueprint = blueprint
        self.shortfalls = shortfalls
        parts = [f"{name}: {have} published, {need} needed" for name, have, need in shortfalls]
        message = f"The question bank cannot fill “{blueprint.title}” yet ({'; '.join(parts)})."
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


def blueprint_domain_counts(blueprint: Blueprint) -> dict[Domain, int]:
    """Return how many questions each domain contributes to one form."""
    if blueprint.mode == Blueprint.Mode.DRILL:
        return {blueprint.drill_domain: blueprint.question_count}
    own = {
        w.domain: float(w.weight)
        for w in blueprint.weights.select_related("domain")
        if w.weight > 0
    }
    weights = own or {d: float(d.weight) for d in blueprint.guide.domains.all()}
    by_name = {d.name: d for d in weights}
    counts = allocate_by_largest_remainder(
        blueprint.question_count, {d.name: w for d, w in weights.items()}
    )
    return {by_name[name]: n for name, n in counts.items() if n > 0}


def draw_form(
    *,
    blueprint: Blueprint,
    seen_question_ids: set[int],
    rng: random.Random,
    excluded_question_ids: set[int] = frozenset(),
) -> list[DrawnItem]:
    """Draw a form: unseen questions first, no repeats, shuffled questions and options.

    `excluded_question_ids` are never drawn (the questions of the student's open exam).
    """
    counts = blueprint_domain_counts(blueprint)
    pools = {domain.pk: [] for domain in counts}
    published = (
        Question.objects.published()
        .filter(domain_links__domain__in=list(counts), current_version__isnull=False)
        .exclude(pk__in=excluded_question_ids)
        .values_list("pk", "current_version_id", "domain_links__domain_id")
    )
    for question_id, version_id, domain_id in published:
        if domain_id in pools:
            pools[domain_id].append((question_id, version_id))
    shortfalls = [
        (domain.name, len(pools[domain.pk]), need)
        for domain, need in counts.items()
        if len(pools[domain.pk]) < need
    ]
    if shortfalls:
        raise BankTooSmall(blueprint, shortfalls, held_back=bool(excluded_question_ids))

    chosen: list[tuple[int, int, int]] = []
    for domain, need in counts.items():
        pool = pools[domain.pk]
        rng.shuffle(pool)
        # Stable sort keeps the shuffle inside each group: unseen questions come first.
        pool.sort(key=lambda pair: pair[0] in seen_question_ids)
        chosen.extend((qid, vid, domain.pk) for qid, vid in pool[:need])
    rng.shuffle(chosen)
    unscored = set(rng.sample(range(len(chosen)), blueprint.unscored_count))
    return _with_shuffled_options(chosen, rng, unscored=unscored)


def _with_shuffled_options(
    chosen: list[tuple[int, int, int]], rng: random.Random, *, unscored: set[int]
) -> list[DrawnItem]:
    """Freeze each chosen (question, version, domain) with its options in a random order."""
    options: dict[int, list[int]] = {}
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

    `excluded_question_ids` are left out even when chosen (the questions of an open exam).
    """
    rows = list(
        Question.objects.published()
        # One row per question: its domain in the default guide.
        .filter(pk__in=question_ids, domain_links__guide__is_default=True)
        .exclude(pk__in=excluded_question_ids)
        .values_list("pk", "current_version_id", "domain_links__domain_id")
    )
    rng.shuffle(rows)
    return _with_shuffled_options(rows, rng, unscored=set())
