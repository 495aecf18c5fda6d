"""Score mock-exam attempts: blueprint allocation, item marking, scaled score, domain verdicts.

Everything here is pure Python over plain data, so it is tested without a database and
can be reused by views, Celery tasks and management commands alike.

Exact rational arithmetic (`fractions.Fraction`) is used wherever a result depends on a
comparison or a rounding boundary (remainder ties, half-up rounding, the cut score),
because binary floating point turns exact ties such as 19.5 vs 6.5 into 19.499999...
and would make the outcome depend on how a weight happened to be written.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

__all__ = [
    "MULTIPLE_CHOICE",
    "MULTIPLE_RESPONSE",
    "AttemptScore",
    "DomainResult",
    "ItemResponse",
    "allocate_by_largest_remainder",
    "is_item_correct",
    "scaled_score",
    "score_attempt",
]

MULTIPLE_CHOICE = "multiple_choice"
MULTIPLE_RESPONSE = "multiple_response"

MEETS_LABEL = "Meets competencies"
NEEDS_IMPROVEMENT_LABEL = "Needs improvement"
UNDEFINED_LABEL = "—"


def _exact(value: float | int | Fraction, name: str) -> Fraction:
    """Return `value` as an exact fraction, reading floats as the decimal they display as."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if isinstance(value, numbers.Rational):
        return Fraction(value.numerator, value.denominator)
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    # repr() gives the shortest decimal that round-trips, i.e. what the author typed
    # (0.3, not 0.299999999999999988897769753748...), so ties stay ties.
    return Fraction(repr(value))


def _round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


# --------------------------------------------------------------------------- allocation


def allocate_by_largest_remainder(total: int, weights: Mapping[str, float]) -> dict[str, int]:
    """Split `total` questions across domains in proportion to `weights` (Hamilton's method).

    Normalise the weights, give each domain the floor of its quota, then hand the seats
    left over to the largest fractional remainders. Break remainder ties by the larger
    weight, then by the order of the keys in `weights`. The counts always sum to `total`
    and each differs from its exact quota by less than one.

    Raise ValueError when `total` is negative, a weight is negative or not finite, or
    the weights sum to zero (including an empty mapping).
    """
    if isinstance(total, bool) or not isinstance(total, numbers.Integral):
        raise TypeError(f"total must be an integer, got {total!r}")
    total = int(total)
    if total < 0:
        raise ValueError(f"total must be >= 0, got {total}")
    exact = {key: _exact(weight, f"weight of {key!r}") for key, weight in weights.items()}
    negative = [key for key, weight in exact.items() if weight < 0]
    if negative:
        raise ValueError(f"weights must be >= 0; negative for {negative!r}")
    weight_sum = sum(exact.values(), Fraction(0))
    if weight_sum == 0:
        raise ValueError("weights must have a positive sum")

    quotas = {key: total * weight / weight_sum for key, weight in exact.items()}
    counts = {key: math.floor(quota) for key, quota in quotas.items()}
    leftover = total - sum(counts.values())
    order = list(exact)
    ranked = sorted(
        order,
        key=lambda key: (-(quotas[key] - counts[key]), -exact[key], order.index(key)),
    )
    # The remainders sum to `leftover` and each is < 1, so the first `leftover` ranked keys
    # all have a positive remainder: a zero-weight domain can never receive a seat.
    for key in ranked[:leftover]:
        counts[key] += 1
    return counts


# --------------------------------------------------------------------------- items


def is_item_correct(kind: str, keyed: Collection[int], chosen: Collection[int]) -> bool:
    """Return whether `chosen` earns the mark for an item of `kind` keyed as `keyed`.

    A multiple-choice item is correct only when exactly the keyed option is chosen; a
    multiple-response item only when the chosen set equals the keyed set (no partial
    credit, as on the real exam). An empty choice is always incorrect.

    Raise ValueError for an unknown kind or an impossible key (a multiple-choice item
    without exactly one keyed option, a multiple-response item without any).
    """
    keyed_set = frozenset(keyed)
    chosen_set = frozenset(chosen)
    if kind == MULTIPLE_CHOICE:
        if len(keyed_set) != 1:
            raise ValueError(f"a multiple-choice item needs exactly one keyed option: {keyed!r}")
    elif kind == MULTIPLE_RESPONSE:
        if not keyed_set:
            raise ValueError("a multiple-response item needs at least one keyed option")
    else:
        raise ValueError(f"unknown item kind {kind!r}")
    return bool(chosen_set) and chosen_set == keyed_set


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
    cut_share = _exact(cut_fraction, "cut_fraction")
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
    cut_share = _exact(cut_fraction, "cut_fraction")
    item_correct: dict[Hashable, bool] = {}
    # dicts keep insertion order, which gives first-appearance order for free.
    tallies: dict[str, list[int]] = {}
    for item in items:
        if item.item_id in item_correct:
            raise ValueError(f"duplicate item id {item.item_id!r}")
        ok = is_item_correct(item.kind, item.keyed, item.chosen)
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
        domains.append(DomainResult(name, domain_correct, domain_total, percent, meets))

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
