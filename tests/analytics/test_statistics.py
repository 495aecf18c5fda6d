"""Pure tests of analytics.statistics against an independent numpy/scipy computation."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats as sps

from analytics import statistics as st
from analytics.statistics import ItemStats

N_ATTEMPTS, N_ITEMS = 200, 30


def _two_pl(rng: np.random.Generator, attempts: int, items: int) -> np.ndarray:
    """Simulate 0/1 responses from a 2-parameter logistic IRT model."""
    ability = rng.normal(size=(attempts, 1))
    slope = rng.uniform(0.5, 2.0, size=items)
    difficulty = rng.normal(size=items)
    slope[0] = -1.5  # one item that favours weak candidates: negative discrimination
    p_correct = 1 / (1 + np.exp(-slope * (ability - difficulty)))
    return (rng.random((attempts, items)) < p_correct).astype(float)


@pytest.fixture(scope="module")
def complete() -> np.ndarray:
    return _two_pl(np.random.default_rng(12345), N_ATTEMPTS, N_ITEMS)


@pytest.fixture(scope="module")
def with_forms() -> np.ndarray:
    """Every attempt sees the first 5 items plus 15 of the other 25, NaN for the rest."""
    rng = np.random.default_rng(777)
    matrix = _two_pl(rng, N_ATTEMPTS, N_ITEMS)
    for row in matrix:
        hidden = rng.choice(np.arange(5, N_ITEMS), size=10, replace=False)
        row[hidden] = np.nan
    return matrix


def _assert_no_nan(obj) -> None:
    if dataclasses.is_dataclass(obj):
        for item in dataclasses.fields(obj):
            _assert_no_nan(getattr(obj, item.name))
    elif isinstance(obj, list | tuple):
        for value in obj:
            _assert_no_nan(value)
    elif isinstance(obj, float):
        assert math.isfinite(obj)
    else:
        assert obj is None or isinstance(obj, int | str | bool)


# --------------------------------------------------------------------------- independent


def _expected_item(x: np.ndarray, total: np.ndarray) -> dict:
    rest = total - x
    expected = {
        "attempts": x.size,
        "facility": 100 * x.mean(),
        "sd": 100 * x.std(ddof=1),
        "discrimination_index": 100 * np.corrcoef(x, rest)[0, 1],
        "discriminative_efficiency": 100
        * np.cov(x, rest)[0, 1]
        / np.cov(np.sort(x), np.sort(rest))[0, 1],
    }
    return expected


def _alpha(matrix: np.ndarray) -> float:
    k = matrix.shape[1]
    return k / (k - 1) * (1 - matrix.var(axis=0, ddof=1).sum() / matrix.sum(axis=1).var(ddof=1))


# --------------------------------------------------------------------------- test stats


def test_test_statistics_match_scipy(complete):
    totals = complete.sum(axis=1)
    result = st.test_statistics(totals)
    assert result.n == N_ATTEMPTS
    assert result.mean == pytest.approx(totals.mean())
    assert result.median == pytest.approx(np.median(totals))
    assert result.sd == pytest.approx(totals.std(ddof=1))
    assert result.skewness == pytest.approx(sps.skew(totals, bias=False))
    assert result.kurtosis == pytest.approx(sps.kurtosis(totals, bias=False))


def test_skewness_and_kurtosis_are_moodles_k_statistics():
    # Moodle: k2 = n m2/(n-1), k3 = n^2 m3/((n-1)(n-2)),
    # k4 = n^2((n+1) m4 - 3(n-1) m2^2)/((n-1)(n-2)(n-3)); skew = k3/k2^1.5, kurt = k4/k2^2.
    totals = np.array([12.0, 15, 15, 18, 20, 21, 25, 30, 31, 40])
    n = totals.size
    d = totals - totals.mean()
    m2, m3, m4 = (np.mean(d**power) for power in (2, 3, 4))
    k2 = n * m2 / (n - 1)
    k3 = n * n * m3 / ((n - 1) * (n - 2))
    k4 = n * n * ((n + 1) * m4 - 3 * (n - 1) * m2 * m2) / ((n - 1) * (n - 2) * (n - 3))
    result = st.test_statistics(totals)
    assert result.skewness == pytest.approx(k3 / k2**1.5)
    assert result.kurtosis == pytest.approx(k4 / k2**2)
    assert result.skewness == pytest.approx(sps.skew(totals, bias=False))
    assert result.kurtosis == pytest.approx(sps.kurtosis(totals, bias=False))


@pytest.mark.parametrize(
    ("totals", "defined"),
    [
        ([], set()),
        ([7.0], {"mean", "median"}),
        ([7.0, 9.0], {"mean", "median", "sd"}),
        ([7.0, 9.0, 13.0], {"mean", "median", "sd", "skewness"}),
        ([7.0, 9.0, 13.0, 20.0], {"mean", "median", "sd", "skewness", "kurtosis"}),
    ],
)
def test_test_statistics_undefined_for_small_samples(totals, defined):
    result = st.test_statistics(totals)
    assert result.n == len(totals)
    for name in ("mean", "median", "sd", "skewness", "kurtosis"):
        assert (getattr(result, name) is not None) == (name in defined), name
    _assert_no_nan(result)


def test_all_totals_equal():
    result = st.test_statistics([0.1] * 12)
    assert result.sd == 0.0
    assert result.skewness is None
    assert result.kurtosis is None
    assert result.mean == pytest.approx(0.1)
    _assert_no_nan(result)


# --------------------------------------------------------------------------- reliability


def test_alpha_matches_the_variance_formula(complete):
    result = st.reliability(complete)
    alpha = _alpha(complete)
    assert result.alpha == pytest.approx(alpha)
    assert result.cic == pytest.approx(100 * alpha)
    assert result.error_ratio == pytest.approx(100 * math.sqrt(1 - alpha))
    sem = math.sqrt(1 - alpha) * complete.sum(axis=1).std(ddof=1)
    assert result.standard_error == pytest.approx(sem)
    assert (result.items_used, result.attempts) == (N_ITEMS, N_ATTEMPTS)


def test_alpha_equals_kr20_for_dichotomous_items(complete):
    k = complete.shape[1]
    p = complete.mean(axis=0)
    # KR-20 with population item variances p q needs the total variance on the same n basis.
    kr20 = k / (k - 1) * (1 - (p * (1 - p)).sum() / complete.sum(axis=1).var(ddof=0))
    assert st.reliability(complete).alpha == pytest.approx(kr20)


def test_alpha_with_forms_uses_only_common_items(with_forms):
    result = st.reliability(with_forms)
    common = with_forms[:, :5]
    assert result.items_used == 5
    assert result.alpha == pytest.approx(_alpha(common))
    sem = math.sqrt(1 - _alpha(common)) * common.sum(axis=1).std(ddof=1)
    assert result.standard_error == pytest.approx(sem)


@pytest.mark.parametrize(
    "matrix",
    [
        np.ones((1, 5)),  # one attempt
        np.ones((10, 1)),  # one item
        np.ones((10, 5)),  # everybody right: totals do not vary
        np.zeros((10, 5)),  # nobody right
        np.full((10, 5), np.nan),  # no item common to all attempts
        np.zeros((0, 5)),
    ],
)
def test_alpha_undefined(matrix):
    result = st.reliability(matrix)
    assert (result.alpha, result.error_ratio, result.standard_error) == (None, None, None)
    assert result.cic is None


# --------------------------------------------------------------------------- item stats


def test_item_statistics_match_independent_computation(complete):
    totals = complete.sum(axis=1)
    results = st.item_statistics(complete)
    assert len(results) == N_ITEMS
    for j, result in enumerate(results):
        expected = _expected_item(complete[:, j], totals)
        assert result.item == j
        for name, value in expected.items():
            assert getattr(result, name) == pytest.approx(value), (j, name)
        assert result.intended_weight == pytest.approx(100 / N_ITEMS)
        assert result.random_guess_score is None


def test_effective_weight_matches_moodle_definition(complete):
    totals = complete.sum(axis=1)
    covariances = np.array([np.cov(complete[:, j], totals)[0, 1] for j in range(N_ITEMS)])
    roots = np.sqrt(np.clip(covariances, 0, None))
    results = st.item_statistics(complete)
    for j, result in enumerate(results):
        if covariances[j] < 0:
            assert result.negative_covariance
            assert result.effective_weight is None
        else:
            assert result.effective_weight == pytest.approx(100 * roots[j] / roots.sum())
    defined = [r.effective_weight for r in results if r.effective_weight is not None]
    assert sum(defined) == pytest.approx(100)


def test_negative_item_is_flagged(complete):
    first = st.item_statistics(complete)[0]
    assert first.discrimination_index < 0
    assert "Negative discrimination" in st.review_flags(first)
    assert "Low discriminative efficiency" in st.review_flags(first)


def test_max_marks_scale_percentages(complete):
    doubled = complete * 2
    plain = st.item_statistics(complete)
    scaled = st.item_statistics(doubled, max_marks=np.full(N_ITEMS, 2.0))
    for a, b in zip(plain, scaled, strict=True):
        assert b.facility == pytest.approx(a.facility)
        assert b.sd == pytest.approx(a.sd)
        assert b.discrimination_index == pytest.approx(a.discrimination_index)
        assert b.intended_weight == pytest.approx(a.intended_weight)
    uneven = np.ones(N_ITEMS)
    uneven[0] = 4
    assert st.item_statistics(complete, max_marks=uneven)[0].intended_weight == pytest.approx(
        100 * 4 / (N_ITEMS + 3)
    )


def test_items_with_forms_use_the_attempts_that_saw_them(with_forms):
    totals = np.nansum(with_forms, axis=1)
    results = st.item_statistics(with_forms)
    for j, result in enumerate(results):
        seen = ~np.isnan(with_forms[:, j])
        expected = _expected_item(with_forms[seen, j], totals[seen])
        for name, value in expected.items():
            assert getattr(result, name) == pytest.approx(value), (j, name)
        # Every form has 20 items of mark 1.
        assert result.intended_weight == pytest.approx(5.0)
    assert [r.attempts for r in results[:5]] == [N_ATTEMPTS] * 5
    assert all(r.attempts < N_ATTEMPTS for r in results[5:])
    _assert_no_nan(results)


def test_item_statistics_and_reliability_never_return_nan(complete, with_forms):
    for matrix in (complete, with_forms):
        _assert_no_nan(st.item_statistics(matrix))
        _assert_no_nan(st.reliability(matrix))
        _assert_no_nan(st.test_statistics(st.attempt_totals(matrix)))


def test_one_attempt():
    (result, *_) = results = st.item_statistics([[1.0, 0.0, 1.0]])
    assert result.attempts == 1
    assert result.facility == 100.0
    for name in ("sd", "effective_weight", "discrimination_index", "discriminative_efficiency"):
        assert getattr(result, name) is None, name
    _assert_no_nan(results)


def test_everybody_and_nobody_right():
    rng = np.random.default_rng(5)
    matrix = (rng.random((50, 6)) < 0.6).astype(float)
    matrix[:, 0] = 1.0
    matrix[:, 1] = 0.0
    results = st.item_statistics(matrix)
    easy, hard = results[0], results[1]
    assert (easy.facility, easy.sd) == (100.0, 0.0)
    assert (hard.facility, hard.sd) == (0.0, 0.0)
    for item in (easy, hard):
        assert item.discrimination_index is None
        assert item.discriminative_efficiency is None
        assert item.effective_weight == 0.0
        assert item.negative_covariance is False
    assert st.review_flags(easy) == ["Too easy"]
    assert st.review_flags(hard) == ["Too hard"]
    _assert_no_nan(results)


def test_rest_of_test_constant():
    # Item 0 varies but the other items add up to the same total for everyone.
    matrix = np.array([[1, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 0]], dtype=float)
    result = st.item_statistics(matrix)[0]
    assert result.sd is not None
    assert result.discrimination_index is None
    assert result.discriminative_efficiency is None


def test_item_presented_in_some_attempts_only():
    nan = np.nan
    matrix = np.array(
        [
            [1, 1, nan],
            [0, 0, nan],
            [1, 0, 1],
            [0, 1, 0],
            [1, 1, 1],
        ],
        dtype=float,
    )
    partial = st.item_statistics(matrix)[2]
    seen = ~np.isnan(matrix[:, 2])
    expected = _expected_item(matrix[seen, 2], np.nansum(matrix, axis=1)[seen])
    assert partial.attempts == 3
    for name, value in expected.items():
        assert getattr(partial, name) == pytest.approx(value), name
    # Two attempts had a 2-item form, three a 3-item form.
    assert partial.intended_weight == pytest.approx(100 / 3)
    assert st.item_statistics(matrix)[0].intended_weight == pytest.approx(
        (2 * 50 + 3 * 100 / 3) / 5
    )


def test_item_never_presented():
    matrix = np.array([[1.0, np.nan], [0.0, np.nan]])
    never = st.item_statistics(matrix, item_ids=["q1", "q2"])[1]
    assert never.item == "q2"
    assert never.attempts == 0
    assert never.facility is None
    assert never.intended_weight is None
    assert st.review_flags(never) == []


def test_random_guess_score():
    matrix = np.zeros((3, 3))
    results = st.item_statistics(matrix, option_choices=[4, (5, 2), None])
    assert results[0].random_guess_score == pytest.approx(25.0)
    assert results[1].random_guess_score == pytest.approx(10.0)  # 1 / C(5, 2)
    assert results[2].random_guess_score is None
    with pytest.raises(ValueError):
        st.item_statistics(matrix, option_choices=[4, (2, 3), None])
    with pytest.raises(ValueError):
        st.item_statistics(matrix, option_choices=[4])


@pytest.mark.parametrize("bad", [np.ones(3), np.array([[np.inf, 1.0]])])
def test_bad_matrices_raise(bad):
    with pytest.raises(ValueError):
        st.item_statistics(bad)


# --------------------------------------------------------------------------- flags


def _stats(**overrides) -> ItemStats:
    base = {
        "item": 1,
        "attempts": 100,
        "max_mark": 1.0,
        "facility": 60.0,
        "sd": 40.0,
        "random_guess_score": None,
        "intended_weight": 2.0,
        "effective_weight": 2.0,
        "discrimination_index": 35.0,
        "discriminative_efficiency": 50.0,
    }
    return ItemStats(**(base | overrides))


@pytest.mark.parametrize(
    ("overrides", "flags"),
    [
        ({}, []),
        ({"discrimination_index": -0.1}, ["Negative discrimination"]),
        ({"discrimination_index": 0.0}, []),
        ({"discriminative_efficiency": 14.9}, ["Low discriminative efficiency"]),
        ({"discriminative_efficiency": 15.0}, []),
        ({"facility": 95.1}, ["Too easy"]),
        ({"facility": 95.0}, []),
        ({"facility": 19.9}, ["Too hard"]),
        ({"facility": 20.0}, []),
        (
            {"facility": 10.0, "discrimination_index": -5.0, "discriminative_efficiency": -8.0},
            ["Negative discrimination", "Low discriminative efficiency", "Too hard"],
        ),
        (
            {"facility": None, "discrimination_index": None, "discriminative_efficiency": None},
            [],
        ),
    ],
)
def test_review_flags(overrides, flags):
    assert st.review_flags(_stats(**overrides)) == flags


# --------------------------------------------------------------------------- distractors


def test_option_frequencies():
    choices = [{1}, {2}, {1}, set(), {1, 3}, [9]]
    result = st.option_frequencies(choices, [1, 2, 3, 4])
    assert list(result) == [1, 2, 3, 4]
    assert result[1] == (3, pytest.approx(50.0))
    assert result[2] == (1, pytest.approx(100 / 6))
    assert result[3] == (1, pytest.approx(100 / 6))
    assert result[4] == (0, 0.0)


def test_option_frequencies_without_responses():
    assert st.option_frequencies([], [1, 2]) == {1: (0, None), 2: (0, None)}


# --------------------------------------------------------------------------- display


@pytest.mark.parametrize(
    ("args", "text"),
    [
        ((None,), "—"),
        ((float("nan"),), "—"),
        ((np.float64("nan"),), "—"),
        ((12.345,), "12.3"),
        ((12.345, 2, "%"), "12.35%"),  # binary 12.345 is just above, so it rounds up
        ((-0.04,), "0.0"),
        ((-3.0, 0), "-3"),
        ((100, 0, "%"), "100%"),
    ],
)
def test_format_stat(args, text):
    assert st.format_stat(*args) == text
