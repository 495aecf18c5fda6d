"""Classical item analysis of mock-exam attempts, following Moodle's quiz statistics report.

The definitions are those of Moodle's "Quiz statistics calculations" developer page and
of its implementation (`mod/quiz/report/statistics/classes/calculator.php` for the test,
`question/classes/statistics/questions/calculator.php` for the items):

* test SD uses n - 1; skewness is k3 / k2^(3/2) and kurtosis k4 / k2^2 with the unbiased
  k-statistics, i.e. the sample-adjusted Fisher G1 and excess-kurtosis G2
  (`scipy.stats.skew/kurtosis(bias=False)`);
* coefficient of internal consistency (Cronbach's alpha, KR-20 for 0/1 items)
  = p/(p-1) x (1 - sum of item variances / variance of totals); error ratio
  = sqrt(1 - alpha); standard error = error ratio x SD of totals;
* per item, over the attempts that were presented the item: facility = mean mark / max
  mark; SD of the mark (n - 1); discrimination index = Pearson correlation between the
  item mark and the rest of the test (attempt total minus this item); discriminative
  efficiency = covariance(item, rest) / the covariance obtained by pairing both sorted;
  effective weight = sqrt(cov(item, total)) / sum over items of the same (blank for an
  item with a negative covariance).

Input is a response matrix of shape (attempts, items) holding the mark of each item,
NaN where the item was not presented in that attempt (forms are drawn from a bank).
An item that was presented but left unanswered must be 0, not NaN: Moodle scores an
omitted answer as 0, and only a question that was never in the attempt is absent.

Figures that are undefined (too few attempts, no variance) are None, never NaN, so
templates can print them with `format_stat`.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "ItemStats",
    "Reliability",
    "TestStats",
    "attempt_totals",
    "format_stat",
    "item_statistics",
    "option_frequencies",
    "reliability",
    "review_flags",
    "test_statistics",
]

NEGATIVE_DISCRIMINATION = "Negative discrimination"
LOW_EFFICIENCY = "Low discriminative efficiency"
TOO_EASY = "Too easy"
TOO_HARD = "Too hard"

# Review thresholds in percent. 15 % efficiency is the threshold Moodle itself uses to mark
# a question "dubious"; the facility bounds are this platform's choice.
LOW_EFFICIENCY_BELOW = 15.0
TOO_EASY_ABOVE = 95.0
TOO_HARD_BELOW = 20.0

OptionChoice = int | tuple[int, int] | None


# --------------------------------------------------------------------------- helpers


def _as_matrix(scores: npt.ArrayLike) -> np.ndarray:
    matrix = np.asarray(scores, dtype=float)
    if matrix.ndim != 2:
        raise ValueError(f"scores must be 2-D (attempts, items), got shape {matrix.shape}")
    if np.isinf(matrix).any():
        raise ValueError("scores must be finite or NaN (not presented)")
    return matrix


def _as_max_marks(max_marks: npt.ArrayLike | None, n_items: int) -> np.ndarray:
    if max_marks is None:
        return np.ones(n_items)
    marks = np.asarray(max_marks, dtype=float)
    if marks.shape != (n_items,):
        raise ValueError(f"max_marks must have shape ({n_items},), got {marks.shape}")
    if not np.isfinite(marks).all() or (marks < 0).any():
        raise ValueError("max_marks must be finite and >= 0")
    return marks


def _is_constant(values: np.ndarray) -> bool:
    # Compare extremes rather than testing a computed variance against 0: the mean of
    # identical floats such as 0.1 is not always exactly 0.1, so the variance of a
    # constant column can come out as 1e-34 instead of 0.
    return values.size == 0 or bool(values.max() == values.min())


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _dot(u: np.ndarray, v: np.ndarray) -> float:
    """The dot product of two vectors, without BLAS.

    OpenBLAS runs a dot of more than ~10,000 elements on several threads; called once per item
    and figure that cost ~20 ms per item on a busy 2-core machine (9 s for 437 items over
    100,000 attempts) against well under 1 ms single-threaded.
    """
    return float(np.einsum("i,i->", u, v))


def finite_or_none(value: float | None) -> float | None:
    """Return the value as a float, or None when it is missing, NaN or infinite."""
    return None if value is None else _finite(value)


def attempt_totals(scores: npt.ArrayLike) -> np.ndarray:
    """Return each attempt's total mark: the sum over the items presented in it."""
    return np.nansum(_as_matrix(scores), axis=1)


# --------------------------------------------------------------------------- test


@dataclass(frozen=True, slots=True)
class TestStats:
    """Distribution of attempt totals, in the units of the totals passed in."""

    __test__ = False  # Keep pytest from collecting this class because of its name.

    n: int
    mean: float | None
    median: float | None
    sd: float | None
    skewness: float | None
    kurtosis: float | None


def test_statistics(totals: npt.ArrayLike) -> TestStats:
    """Describe the distribution of attempt totals as Moodle's test statistics do.

    Return the count, mean, median, sample SD (n - 1) and Moodle's bias-corrected
    skewness (G1 = k3 / k2^1.5) and excess kurtosis (G2 = k4 / k2^2). Give None where a
    figure is undefined: no attempts; SD with n < 2; skewness with n < 3; kurtosis with
    n < 4; skewness and kurtosis when every total is equal. Pass totals as percentages
    of the maximum mark to get Moodle's percentage display.
    """
    values = np.asarray(totals, dtype=float).ravel()
    if not np.isfinite(values).all():
        raise ValueError("totals must be finite")
    n = int(values.size)
    if n == 0:
        return TestStats(0, None, None, None, None, None)
    mean = float(values.mean())
    median = float(np.median(values))
    if n < 2:
        return TestStats(n, mean, median, None, None, None)
    if _is_constant(values):
        return TestStats(n, float(values[0]), median, 0.0, None, None)

    deviations = values - mean
    m2 = float(np.mean(deviations**2))
    m3 = float(np.mean(deviations**3))
    m4 = float(np.mean(deviations**4))
    k2 = n * m2 / (n - 1)
    sd = math.sqrt(k2)
    skewness = kurtosis = None
    if n > 2:
        k3 = n * n * m3 / ((n - 1) * (n - 2))
        skewness = _finite(k3 / k2**1.5)
    if n > 3:
        k4 = n * n * ((n + 1) * m4 - 3 * (n - 1) * m2 * m2) / ((n - 1) * (n - 2) * (n - 3))
        kurtosis = _finite(k4 / (k2 * k2))
    return TestStats(n, mean, median, sd, skewness, kurtosis)


# The name starts with "test_", so tell pytest it is not a test when a module imports it.
test_statistics.__test__ = False  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- reliability


@dataclass(frozen=True, slots=True)
class Reliability:
    """Internal consistency of the test.

    `alpha` is Cronbach's alpha as a fraction (Moodle's CIC is `cic`, in percent),
    `error_ratio` is in percent, `standard_error` is in the units of the item marks.
    `items_used` and `attempts` say which data the figures rest on.
    """

    alpha: float | None
    error_ratio: float | None
    standard_error: float | None
    items_used: int
    attempts: int

    @property
    def cic(self) -> float | None:
        """Return the coefficient of internal consistency in percent, as Moodle shows it."""
        return None if self.alpha is None else 100 * self.alpha


def reliability(scores: npt.ArrayLike) -> Reliability:
    """Compute the coefficient of internal consistency, error ratio and standard error.

    Use alpha = p/(p-1) x (1 - sum of item variances / variance of totals), variances
    with n - 1, which is KR-20 for items marked 0/1. When forms differ (NaN in the
    matrix), use only the items presented in every attempt and the totals over those
    items: alpha assumes every attempt answered the same p items, and scoring an item
    that was never shown as 0 would read "not asked" as "answered wrongly". Give None
    when fewer than two attempts or common items remain or the totals do not vary.
    """
    matrix = _as_matrix(scores)
    attempts = int(matrix.shape[0])
    common = matrix[:, ~np.isnan(matrix).any(axis=0)]
    p = int(common.shape[1])
    if attempts < 2 or p < 2:
        return Reliability(None, None, None, p, attempts)
    totals = common.sum(axis=1)
    if _is_constant(totals):
        return Reliability(None, None, None, p, attempts)

    total_variance = float(np.var(totals, ddof=1))
    item_variance_sum = float(
        sum(0.0 if _is_constant(column) else np.var(column, ddof=1) for column in common.T)
    )
    alpha = (p / (p - 1)) * (1 - item_variance_sum / total_variance)
    # Alpha cannot exceed 1 (Cauchy-Schwarz); clamp the rounding error so sqrt stays real.
    alpha = min(alpha, 1.0)
    error_ratio = 100 * math.sqrt(1 - alpha)
    standard_error = error_ratio / 100 * math.sqrt(total_variance)
    return Reliability(alpha, error_ratio, standard_error, p, attempts)


# --------------------------------------------------------------------------- items


@dataclass(frozen=True, slots=True)
class ItemStats:
    """Moodle's per-question statistics for one item; percentages are of the max mark.

    `negative_covariance` is Moodle's "negcovar": the item's mark varies against the
    total, so its effective weight is left blank.
    """

    item: Hashable
    attempts: int
    max_mark: float
    facility: float | None
    sd: float | None
    random_guess_score: float | None
    intended_weight: float | None
    effective_weight: float | None
    discrimination_index: float | None
    discriminative_efficiency: float | None
    negative_covariance: bool = False


def _random_guess_score(choice: OptionChoice) -> float | None:
    """Return the percent of the mark expected from guessing blindly, or None if unknown.

    An int n means a single-answer item with n options (Moodle: 1/n). A pair (n, k) means
    "choose k of n", marked all-or-nothing, so a guesser told k scores 1/C(n, k).
    """
    if choice is None:
        return None
    if isinstance(choice, tuple):
        options, keyed = choice
    else:
        options, keyed = choice, 1
    if not 1 <= keyed <= options:
        raise ValueError(f"invalid option choice {choice!r}: need 1 <= keyed <= options")
    return 100 / math.comb(options, keyed)


def item_statistics(
    scores: npt.ArrayLike,
    *,
    max_marks: npt.ArrayLike | None = None,
    option_choices: Sequence[OptionChoice] | None = None,
    item_ids: Sequence[Hashable] | None = None,
) -> list[ItemStats]:
    """Compute Moodle's item statistics for every column of `scores`.

    Each item is analysed over the attempts in which it was presented. The attempt total
    is the sum over the items presented in that attempt, and the "rest of the test" is
    that total minus the item's own mark. `max_marks` defaults to 1 per item;
    `option_choices` gives per item the number of options (single answer) or a pair
    (options, keyed) for all-or-nothing multiple response, for the random guess score;
    `item_ids` labels the results (column index by default).

    Intended weight is the item's max mark as a percent of the maximum total of the
    forms it appeared in, averaged over those attempts (for a fixed form: max mark / sum
    of max marks, as in Moodle).
    """
    matrix = _as_matrix(scores)
    n_attempts, n_items = matrix.shape
    marks = _as_max_marks(max_marks, n_items)
    if option_choices is not None and len(option_choices) != n_items:
        raise ValueError("option_choices must have one entry per item")
    if item_ids is not None and len(item_ids) != n_items:
        raise ValueError("item_ids must have one entry per item")

    presented = ~np.isnan(matrix)
    totals = np.nansum(matrix, axis=1)
    form_max = np.einsum("ij,j->i", presented, marks)

    partial: list[dict] = []
    for j in range(n_items):
        mask = presented[:, j]
        x = matrix[mask, j]
        total = totals[mask]
        rest = total - x
        s = int(x.size)
        max_mark = float(marks[j])
        row: dict = {
            "item": j if item_ids is None else item_ids[j],
            "attempts": s,
            "max_mark": max_mark,
            "facility": None,
            "sd": None,
            "random_guess_score": _random_guess_score(
                None if option_choices is None else option_choices[j]
            ),
            "intended_weight": None,
            "discrimination_index": None,
            "discriminative_efficiency": None,
            "covariance_with_total": None,
        }
        positive_forms = form_max[mask] > 0
        if positive_forms.any():
            row["intended_weight"] = float(np.mean(100 * max_mark / form_max[mask][positive_forms]))
        if s >= 1 and max_mark > 0:
            row["facility"] = 100 * float(x.mean()) / max_mark
        if s >= 2:
            row.update(_moments(x, rest, total, max_mark))
        partial.append(row)

    # Moodle sums sqrt(cov) over the items whose covariance with the total is >= 0.
    root_sum = sum(
        math.sqrt(row["covariance_with_total"])
        for row in partial
        if row["covariance_with_total"] is not None and row["covariance_with_total"] >= 0
    )
    results = []
    for row in partial:
        covariance = row.pop("covariance_with_total")
        negative = covariance is not None and covariance < 0
        effective = None
        if covariance is not None and not negative and root_sum > 0:
            effective = 100 * math.sqrt(covariance) / root_sum
        results.append(ItemStats(**row, effective_weight=effective, negative_covariance=negative))
    return results


def _moments(x: np.ndarray, rest: np.ndarray, total: np.ndarray, max_mark: float) -> dict:
    """Return the second-moment figures of one item over s >= 2 attempts."""
    s = x.size
    item_constant = _is_constant(x)
    rest_constant = _is_constant(rest)
    dx = x - x.mean()
    drest = rest - rest.mean()
    figures: dict = {
        # A constant item co-varies with nothing; say so exactly rather than with the
        # 1e-17 residue of an inexact mean, which could flip the sign test below.
        "covariance_with_total": 0.0 if item_constant else _dot(dx, total - total.mean()) / (s - 1),
    }
    if max_mark > 0:
        sd = 0.0 if item_constant else math.sqrt(_dot(dx, dx) / (s - 1))
        figures["sd"] = 100 * sd / max_mark
    if item_constant or rest_constant:
        return figures

    covariance = _dot(dx, drest) / (s - 1)
    item_variance = _dot(dx, dx) / (s - 1)
    rest_variance = _dot(drest, drest) / (s - 1)
    correlation = covariance / math.sqrt(item_variance * rest_variance)
    figures["discrimination_index"] = 100 * min(1.0, max(-1.0, correlation))

    # The largest covariance the two marginal distributions allow pairs them both sorted;
    # it is > 0 whenever neither is constant (Chebyshev's sum inequality).
    max_covariance = _dot(np.sort(x) - x.mean(), np.sort(rest) - rest.mean()) / (s - 1)
    if max_covariance > 0:
        figures["discriminative_efficiency"] = _finite(100 * covariance / max_covariance)
    return figures


def review_flags(item: ItemStats) -> list[str]:
    """Return the reasons to review an item, judged only on figures that are defined."""
    flags = []
    if item.discrimination_index is not None and item.discrimination_index < 0:
        flags.append(NEGATIVE_DISCRIMINATION)
    if (
        item.discriminative_efficiency is not None
        and item.discriminative_efficiency < LOW_EFFICIENCY_BELOW
    ):
        flags.append(LOW_EFFICIENCY)
    if item.facility is not None:
        if item.facility > TOO_EASY_ABOVE:
            flags.append(TOO_EASY)
        elif item.facility < TOO_HARD_BELOW:
            flags.append(TOO_HARD)
    return flags


# --------------------------------------------------------------------------- distractors


def option_frequencies(
    choices: Sequence[Collection[int]], option_ids: Sequence[int]
) -> dict[int, tuple[int, float | None]]:
    """Count how often each option was chosen, for distractor analysis.

    `choices` holds one collection of chosen option ids per response (empty when the
    item was left unanswered). Return, per option in `option_ids` order, the number of
    responses that chose it and that number as a percent of all responses (None when
    there are no responses). For multiple response the percents can add up to over 100.
    Ids outside `option_ids` (e.g. a since deleted option) are ignored.
    """
    counts = dict.fromkeys(option_ids, 0)
    for chosen in choices:
        for option in set(chosen):
            if option in counts:
                counts[option] += 1
    responses = len(choices)
    return {
        option: (count, 100 * count / responses if responses else None)
        for option, count in counts.items()
    }


# --------------------------------------------------------------------------- display


def format_stat(value: float | None, digits: int = 1, suffix: str = "") -> str:
    """Format a statistic for display, with "—" for an undefined (None or NaN) value."""
    if value is None or math.isnan(value):
        return "—"
    text = f"{value:.{digits}f}"
    # Avoid showing "-0.0" for a tiny negative that rounds to zero.
    if text.lstrip("-").strip("0.") == "":
        text = text.lstrip("-")
    return f"{text}{suffix}"
