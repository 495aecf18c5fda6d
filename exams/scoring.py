"""Score mock-exam attempts: item marking, scaled score, domain verdicts (and the blueprint
allocation, which lives in `questions.allocation` and is re-exported here).

Everything here is pure Python over plain data, so it is tested without a database and
can be reused by views, Celery tasks and management commands alike.

Exact rational arithmetic (`fractions.Fraction`) is used wherever a result depends on a
comparison or a rounding boundary (remainder ties, half-up rounding, the cut score),
because binary floating point turns exact ties such as 19.5 vs 6.5 into 19.499999...
and would make the outcome depend on how a weight happened to be written.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

# Re-exported: the allocation lives in questions (a bank's coverage needs it too), scoring
# keeps offering it to its callers.
from questions.allocation import allocate_by_largest_remainder, exact_fraction

__all__ = [
    "MULTIPLE_CHOICE",
    "MULTIPLE_RESPONSE",
    "AttemptScore",
    "GRADED_ATTEMPT_ITEMS_SQL",
    "GRADED_ITEMS_SQL",
    "DomainResult",
    "ItemResponse",
    "MarkedItem",
    "allocate_by_largest_remainder",
    "is_item_correct",
    "scaled_score",
    "score_attempt",
    "score_marked",
]

MULTIPLE_CHOICE = "multiple_choice"
MULTIPLE_RESPONSE = "multiple_response"

MEETS_LABEL = "Meets competencies"
NEEDS_IMPROVEMENT_LABEL = "Needs improvement"
UNDEFINED_LABEL = "—"


def _round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


# --------------------------------------------------------------------------- items


def is_item_correct(
    kind: str,
    keyed: Collection[int],
    chosen: Collection[int],
    *,
    corrected: Collection[int] | None = None,
    accept_original: bool = False,
) -> bool:
    """Return whether `chosen` earns the mark for an item of `kind` keyed as `keyed`.

    A multiple-choice item is correct only when exactly the keyed option is chosen; a
    multiple-response item only when the chosen set equals the keyed set (no partial
    credit, as on the real exam). An empty choice is always incorrect.

    `corrected` is a key correction in force for the item's version (exams.models
    KeyCorrectionVersion: options of the same version): the chosen set must equal it instead,
    or, with `accept_original`, either it or the version's own key.

    Raise ValueError for an unknown kind or an impossible key (a multiple-choice item
    without exactly one keyed option, a multiple-response item without any).
    """
    keyed_set = _checked_key(kind, keyed)
    chosen_set = frozenset(chosen)
    if not chosen_set:
        return False
    if corrected is None:
        return chosen_set == keyed_set
    corrected_set = _checked_key(kind, corrected)
    return chosen_set == corrected_set or (accept_original and chosen_set == keyed_set)


@dataclass(frozen=True)
class KeyInForce:
    """An item's key as grading reads it: the version's own key and any correction in force."""

    own: frozenset[int]
    corrected: frozenset[int] | None = None  # None: no key correction in force
    accept_original: bool = False

    @property
    def keyed(self) -> frozenset[int]:
        """The key that earns the mark (the corrected one when a correction is in force)."""
        return self.own if self.corrected is None else self.corrected

    @property
    def also_accepted(self) -> frozenset[int]:
        """Options of the own key still accepted beside the corrected key ("either key")."""
        if self.corrected is None or not self.accept_original:
            return frozenset()
        return self.own - self.corrected

    def grades(self, kind: str, chosen: Collection[int]) -> bool:
        """Return whether `chosen` earns the mark (is_item_correct with this key)."""
        return is_item_correct(
            kind,
            self.own,
            chosen,
            corrected=self.corrected,
            accept_original=self.accept_original,
        )


def key_in_force(options) -> KeyInForce:
    """Read the key in force from a version's options as `exams.selectors.
    options_with_key_in_force()` annotates them (`in_corrected_key`, `key_corrected`,
    `original_accepted`); plain options give their own key."""
    options = list(options)
    own = frozenset(o.pk for o in options if o.is_correct)
    if not any(getattr(o, "key_corrected", False) for o in options):
        return KeyInForce(own=own)
    return KeyInForce(
        own=own,
        corrected=frozenset(o.pk for o in options if o.in_corrected_key),
        accept_original=any(o.original_accepted for o in options),
    )


def _checked_key(kind: str, keyed: Collection[int]) -> frozenset[int]:
    keyed_set = frozenset(keyed)
    if kind == MULTIPLE_CHOICE:
        if len(keyed_set) != 1:
            raise ValueError(f"a multiple-choice item needs exactly one keyed option: {keyed!r}")
    elif kind == MULTIPLE_RESPONSE:
        if not keyed_set:
            raise ValueError("a multiple-response item needs at least one keyed option")
    else:
        raise ValueError(f"unknown item kind {kind!r}")
    return keyed_set


# `is_item_correct` as set-based SQL over the raw selections. Keep the two together: change one,
# change the other; tests/exams/test_scoring.py checks that they agree (and
# tests/exams/services/test_submit_grading.py that the per-attempt form agrees on PostgreSQL).
# The chosen set equals the keyed set iff as many options are chosen as the version keys
# (`select_count`) and every chosen one is keyed; an empty choice never matches because every
# item keys at least one option. A key correction in force for the item's version (`kc`, at most
# one: a partial unique constraint) replaces the key by its options (`keyed_count` of them,
# counted per item as `n_fix`), or adds them as a second accepted key (`accept_original`).
# One row per item: `item_id` and `ok` (1 or 0). `{selections}` narrows the selections
# aggregated (the planner cannot push a filter on the items through the GROUP BY, so a
# per-attempt grading must narrow them itself).
_GRADED_ITEMS_TEMPLATE = """
    SELECT i.id AS item_id,
           CASE WHEN (kc.id IS NULL OR kc.accept_original)
                 AND COALESCE(sel.n_sel, 0) = v.select_count
                 AND COALESCE(sel.n_ok, 0) = v.select_count THEN 1
                WHEN kc.id IS NOT NULL
                 AND COALESCE(sel.n_sel, 0) = kc.keyed_count
                 AND COALESCE(sel.n_fix, 0) = kc.keyed_count THEN 1
                ELSE 0 END AS ok
    FROM exams_attemptitem i
    JOIN exams_attempt a ON a.id = i.attempt_id
    JOIN questions_questionversion v ON v.id = i.version_id
    LEFT JOIN exams_keycorrectionversion kc
           ON kc.version_id = i.version_id AND kc.in_force AND kc.regradable
    LEFT JOIN (
        SELECT s.item_id, COUNT(*) AS n_sel,
               SUM(CASE WHEN o.is_correct THEN 1 ELSE 0 END) AS n_ok,
               SUM(CASE WHEN fix.option_id IS NULL THEN 0 ELSE 1 END) AS n_fix
        FROM exams_itemselection s
        JOIN questions_option o ON o.id = s.option_id
        LEFT JOIN (
            SELECT ko.option_id
            FROM exams_keycorrectionoption ko
            JOIN exams_keycorrectionversion ke ON ke.id = ko.entry_id
            WHERE ke.in_force AND ke.regradable
        ) fix ON fix.option_id = s.option_id{selections}
        GROUP BY s.item_id
    ) sel ON sel.item_id = i.id
"""

# Every item (the analytics regrade); callers add a WHERE on the attempt (`a`), e.g. its state.
GRADED_ITEMS_SQL = _GRADED_ITEMS_TEMPLATE.format(selections="")

# The items of one attempt (grading at submit); two parameters, both the attempt's id.
GRADED_ATTEMPT_ITEMS_SQL = (
    _GRADED_ITEMS_TEMPLATE.format(  # noqa: S608  # nosec B608 - no user input in this SQL
        selections="""
        WHERE s.item_id IN (SELECT id FROM exams_attemptitem WHERE attempt_id = %s)"""
    )
    + "    WHERE i.attempt_id = %s\n"
)

# The same on PostgreSQL, with the attempt's item ids read once into an array (an InitPlan)
# instead of `IN (subquery)`: on tables whose statistics say "empty" (analysed before a bulk
# load, or rows still uncommitted) the planner chose a nested-loop semi-join that scanned every
# item once per selection, and a submit ran for hours. An array lookup cannot degrade so.
GRADED_ATTEMPT_ITEMS_PG_SQL = (
    _GRADED_ITEMS_TEMPLATE.format(  # noqa: S608  # nosec B608 - no user input in this SQL
        selections="""
        WHERE s.item_id = ANY(ARRAY(SELECT id FROM exams_attemptitem WHERE attempt_id = %s))"""
    )
    + "    WHERE i.attempt_id = %s\n"
)


# --------------------------------------------------------------------------- scaled score


def scaled_score(
    correct: int,
    scored_total: int,
    *,
    cut_fraction: float = 0.72,
    passing_score: int = 720,
    minimum: int = 100,
    maximum: int = 1000,
) -> int:
    """Map a raw score onto the 100-1000 reporting scale, rounded half up.

    Interpolate linearly between three anchors: 0 correct -> `minimum`, the raw cut
    (`cut_fraction` x `scored_total`, not rounded) -> `passing_score`, all correct ->
    `maximum`. The mapping is monotonic, and any raw score at or above the cut reaches
    at least `passing_score`.

    Raise ValueError when `scored_total` <= 0, `correct` is outside 0..`scored_total`,
    `cut_fraction` is not strictly between 0 and 1, or the anchors are not increasing.
    """
    if scored_total <= 0:
        raise ValueError(f"scored_total must be positive, got {scored_total}")
    if not 0 <= correct <= scored_total:
        raise ValueError(f"correct must be within 0..{scored_total}, got {correct}")
    if not minimum < passing_score < maximum:
        raise ValueError("need minimum < passing_score < maximum")
    cut_share = exact_fraction(cut_fraction, "cut_fraction")
    # Both ends open: a cut at 0 or at the full mark collapses one of the two segments.
    if not 0 < cut_share < 1:
        raise ValueError(f"cut_fraction must be strictly between 0 and 1, got {cut_fraction}")

    cut = cut_share * scored_total
    if correct <= cut:
        value = minimum + (passing_score - minimum) * Fraction(correct) / cut
    else:
        value = passing_score + (maximum - passing_score) * (correct - cut) / (scored_total - cut)
    return _round_half_up(value)


# --------------------------------------------------------------------------- attempts


@dataclass(frozen=True, slots=True)
class ItemResponse:
    """One item of an attempt: its domain, kind, key and the candidate's choice.

    `scored=False` marks a pretest (unscored) item. `keyed` and `chosen` accept any
    collection of option ids and are stored as frozensets.
    """

    item_id: Hashable
    domain: str
    kind: str
    keyed: frozenset[int]
    chosen: frozenset[int] = field(default_factory=frozenset)
    scored: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "keyed", frozenset(self.keyed))
        object.__setattr__(self, "chosen", frozenset(self.chosen))


@dataclass(frozen=True, slots=True)
class DomainResult:
    """Scored items of one domain: counts, percent correct and the competency verdict.

    `percent` and `meets` are None when the domain had no scored items.
    """

    domain: str
    correct: int
    total: int
    percent: float | None
    meets: bool | None

    @property
    def label(self) -> str:
        """Return the verdict as shown on the score report."""
        if self.meets is None:
            return UNDEFINED_LABEL
        return MEETS_LABEL if self.meets else NEEDS_IMPROVEMENT_LABEL


@dataclass(frozen=True, slots=True)
class AttemptScore:
    """The result of one attempt; totals count scored items only."""

    correct: int
    scored_total: int
    percent: float
    scaled: int
    passed: bool
    domains: list[DomainResult]
    item_correct: dict[Hashable, bool]


@dataclass(frozen=True, slots=True)
class MarkedItem:
    """One item already marked (`ok`), e.g. by GRADED_ATTEMPT_ITEMS_SQL; `scored` as above."""

    item_id: Hashable
    domain: str
    ok: bool
    scored: bool = True


def score_attempt(
    items: Sequence[ItemResponse],
    *,
    cut_fraction: float = 0.72,
    passing_score: int = 720,
) -> AttemptScore:
    """Mark every item and aggregate the attempt and per-domain results.

    Unanswered items (empty `chosen`) are incorrect. Pretest items (`scored=False`) are
    marked in `item_correct` but count towards no total, percent or verdict. A domain
    meets the competencies when its percent correct is at least `cut_fraction` x 100;
    a domain seen only through pretest items gets `meets=None`. Domains are listed in
    order of first appearance. The attempt passes when its scaled score reaches
    `passing_score`.

    Raise ValueError for duplicate item ids, a malformed item, or an attempt without
    any scored item (a scaled score is undefined then).
    """
    return score_marked(
        [
            MarkedItem(
                item_id=item.item_id,
                domain=item.domain,
                ok=is_item_correct(item.kind, item.keyed, item.chosen),
                scored=item.scored,
            )
            for item in items
        ],
        cut_fraction=cut_fraction,
        passing_score=passing_score,
    )


def score_marked(
    items: Sequence[MarkedItem],
    *,
    cut_fraction: float = 0.72,
    passing_score: int = 720,
) -> AttemptScore:
    """Aggregate items marked already, as `score_attempt` does after marking them."""
    cut_share = exact_fraction(cut_fraction, "cut_fraction")
    item_correct: dict[Hashable, bool] = {}
    # dicts keep insertion order, which gives first-appearance order for free.
    tallies: dict[str, list[int]] = {}
    for item in items:
        if item.item_id in item_correct:
            raise ValueError(f"duplicate item id {item.item_id!r}")
        ok = bool(item.ok)
        item_correct[item.item_id] = ok
        tally = tallies.setdefault(item.domain, [0, 0])
        if item.scored:
            tally[0] += int(ok)
            tally[1] += 1

    correct = sum(tally[0] for tally in tallies.values())
    scored_total = sum(tally[1] for tally in tallies.values())
    if scored_total == 0:
        raise ValueError("the attempt has no scored items")

    domains = []
    for name, (domain_correct, domain_total) in tallies.items():
        if domain_total:
            percent = 100 * domain_correct / domain_total
            # Compare exactly: 18/25 must meet a 0.72 cut even though 0.72 is inexact.
            meets = Fraction(domain_correct, domain_total) >= cut_share
        else:
            percent = None
            meets = None
        domains.append(
            DomainResult(
                domain=name,
                correct=domain_correct,
                total=domain_total,
                percent=percent,
                meets=meets,
            )
        )

    scaled = scaled_score(
        correct, scored_total, cut_fraction=cut_fraction, passing_score=passing_score
    )
    return AttemptScore(
        correct=correct,
        scored_total=scored_total,
        percent=100 * correct / scored_total,
        scaled=scaled,
        passed=scaled >= passing_score,
        domains=domains,
        item_correct=item_correct,
    )


# --------------------------------------------------------------------------- uncertainty

# Below this many scored items a domain's percent is a rough signal and the report says so.
FEW_DOMAIN_ITEMS = 10


def proportion_band(correct: int, total: int, *, z: float = 1.2816) -> tuple[float, float]:
    """Return the Wilson score interval of `correct`/`total` in percent (80 % by default:
    "likely between"), which stays inside 0..100 and is honest for a handful of items.

    Raise ValueError when `total` <= 0 or `correct` is outside 0..`total`.
    """
    if total <= 0:
        raise ValueError(f"total must be positive, got {total}")
    if not 0 <= correct <= total:
        raise ValueError(f"correct must be within 0..{total}, got {correct}")
    p = correct / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return 100 * max(centre - half, 0.0), 100 * min(centre + half, 1.0)
