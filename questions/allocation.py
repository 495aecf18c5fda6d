"""Split a number of questions across domains by weight: pure, tested without a database.

It sits in questions, the lowest layer that needs it: the bank's coverage (questions.selectors)
and form assembly (exams) both allocate, and exams.scoring re-exports it.

Exact rational arithmetic (`fractions.Fraction`) is used because binary floating point turns
exact remainder ties such as 19.5 vs 6.5 into 19.499999... and would make the outcome depend
on how a weight happened to be written.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from fractions import Fraction

__all__ = ["allocate_by_largest_remainder", "exact_fraction"]


def exact_fraction(value: float | int | Fraction, name: str) -> Fraction:
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
    exact = {key: exact_fraction(weight, f"weight of {key!r}") for key, weight in weights.items()}
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
