"""Pure tests of exams.scoring: no database, no Django."""

from __future__ import annotations

import math
import random
import sqlite3
from fractions import Fraction
from types import SimpleNamespace

import pytest

from exams.scoring import (
    GRADED_ITEMS_SQL,
    MULTIPLE_CHOICE,
    MULTIPLE_RESPONSE,
    DomainResult,
    ItemResponse,
    allocate_by_largest_remainder,
    is_item_correct,
    key_in_force,
    scaled_score,
    score_attempt,
)

DVA_C01 = {
    "Deployment": 22,
    "Security": 26,
    "Development with AWS Services": 30,
    "Refactoring": 10,
    "Monitoring and Troubleshooting": 12,
}
DVA_C02 = {
    "Development with AWS Services": 32,
    "Security": 26,
    "Deployment": 24,
    "Troubleshooting and Optimization": 18,
}


# --------------------------------------------------------------------------- allocation


def test_dva_c01_blueprint_for_65_questions():
    # Quotas 14.3, 16.9, 19.5, 6.5, 7.8: the three spare seats go to .9, .8 and then the
    # .5 tie, which the heavier Development domain wins over Refactoring.
    assert allocate_by_largest_remainder(65, DVA_C01) == {
        "Deployment": 14,
        "Security": 17,
        "Development with AWS Services": 20,
        "Refactoring": 6,
        "Monitoring and Troubleshooting": 8,
    }


def test_weights_as_fractions_give_the_same_dva_c01_blueprint():
    as_fractions = {key: weight / 100 for key, weight in DVA_C01.items()}
    assert allocate_by_largest_remainder(65, as_fractions) == allocate_by_largest_remainder(
        65, DVA_C01
    )


def test_dva_c02_blueprint_for_65_questions():
    assert allocate_by_largest_remainder(65, DVA_C02) == {
        "Development with AWS Services": 21,
        "Security": 17,
        "Deployment": 15,
        "Troubleshooting and Optimization": 12,
    }


def test_dva_c02_blueprint_for_its_50_scored_questions():
    assert allocate_by_largest_remainder(50, DVA_C02) == {
        "Development with AWS Services": 16,
        "Security": 13,
        "Deployment": 12,
        "Troubleshooting and Optimization": 9,
    }


def test_result_keeps_the_key_order_of_the_weights():
    assert list(allocate_by_largest_remainder(65, DVA_C01)) == list(DVA_C01)


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        # Equal remainders and equal weights: the key given first wins.
        (1, {"a": 1, "b": 1}, {"a": 1, "b": 0}),
        (1, {"b": 1, "a": 1}, {"b": 1, "a": 0}),
        (2, {"a": 1, "b": 2, "c": 1}, {"a": 1, "b": 1, "c": 0}),
        # Equal remainders (.5 and .5): the larger weight wins even when listed last.
        (2, {"x": 1, "y": 3}, {"x": 0, "y": 2}),
        # The same tie written with inexact binary floats must still be a tie.
        (2, {"x": 0.1, "y": 0.3}, {"x": 0, "y": 2}),
        (3, {"a": 1, "b": 1, "c": 1}, {"a": 1, "b": 1, "c": 1}),
        (2, {"a": 1, "b": 1, "c": 1}, {"a": 1, "b": 1, "c": 0}),
        (0, {"a": 1, "b": 1}, {"a": 0, "b": 0}),
        (5, {"a": 0, "b": 1}, {"a": 0, "b": 5}),
    ],
)
def test_rounding_ties(total, weights, expected):
    assert allocate_by_largest_remainder(total, weights) == expected


@pytest.mark.parametrize(
    ("total", "weights"),
    [
        (-1, {"a": 1}),
        (10, {}),
        (10, {"a": 0, "b": 0}),
        (10, {"a": -1, "b": 2}),
        (10, {"a": float("nan")}),
        (10, {"a": float("inf")}),
    ],
)
def test_invalid_allocation_raises(total, weights):
    with pytest.raises(ValueError):
        allocate_by_largest_remainder(total, weights)


def _random_cases(count: int, seed: int = 20240601):
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        size = rng.randint(1, 8)
        if rng.random() < 0.5:
            weights = {f"d{i}": rng.randint(0, 40) for i in range(size)}
        else:
            weights = {f"d{i}": round(rng.random(), rng.randint(1, 4)) for i in range(size)}
        if not any(weights.values()):
            weights["d0"] = 1
        cases.append((rng.randint(0, 250), weights))
    return cases


@pytest.mark.parametrize(("total", "weights"), _random_cases(300))
def test_random_allocations_sum_and_stay_within_one_of_the_quota(total, weights):
    counts = allocate_by_largest_remainder(total, weights)
    assert sum(counts.values()) == total
    assert list(counts) == list(weights)
    weight_sum = sum(Fraction(repr(w)) if isinstance(w, float) else w for w in weights.values())
    for key, weight in weights.items():
        exact = Fraction(repr(weight)) if isinstance(weight, float) else Fraction(weight)
        quota = total * exact / weight_sum
        assert counts[key] in {math.floor(quota), math.ceil(quota)}
        if weight == 0:
            assert counts[key] == 0


# --------------------------------------------------------------------------- items


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [({2}, True), ({1}, False), ({1, 2}, False), (set(), False), ([2, 2], True)],
)
def test_multiple_choice(chosen, expected):
    assert is_item_correct(MULTIPLE_CHOICE, {2}, chosen) is expected


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        ({1, 3}, True),
        ([3, 1], True),
        ({1}, False),  # subset: no partial credit
        ({1, 3, 4}, False),  # superset
        ({1, 4}, False),
        (set(), False),
    ],
)
def test_multiple_response(chosen, expected):
    assert is_item_correct(MULTIPLE_RESPONSE, frozenset({1, 3}), chosen) is expected


@pytest.mark.parametrize(
    ("kind", "keyed"),
    [("essay", {1}), (MULTIPLE_CHOICE, {1, 2}), (MULTIPLE_CHOICE, set()), (MULTIPLE_RESPONSE, [])],
)
def test_malformed_items_raise(kind, keyed):
    with pytest.raises(ValueError):
        is_item_correct(kind, keyed, {1})


# Every case above, for both kinds: the SQL grading rule must give what is_item_correct gives.
_AGREEMENT_CASES = [
    (MULTIPLE_CHOICE, {2}, {2}),  # right
    (MULTIPLE_CHOICE, {2}, {1}),  # wrong
    (MULTIPLE_CHOICE, {2}, set()),  # blank
    (MULTIPLE_CHOICE, {2}, {1, 2}),
    (MULTIPLE_RESPONSE, {1, 3}, {1, 3}),  # exact
    (MULTIPLE_RESPONSE, {1, 3}, {1}),  # partial
    (MULTIPLE_RESPONSE, {1, 3}, {1, 3, 4}),  # superset
    (MULTIPLE_RESPONSE, {1, 3}, {1, 4}),
    (MULTIPLE_RESPONSE, {1, 3}, {2, 4}),
    (MULTIPLE_RESPONSE, {1, 3}, set()),  # blank
]


_TWIN_SCHEMA = """
    CREATE TABLE exams_attempt (id INTEGER PRIMARY KEY);
    CREATE TABLE exams_attemptitem (id INTEGER PRIMARY KEY, attempt_id INT, version_id INT);
    CREATE TABLE questions_questionversion (id INTEGER PRIMARY KEY, select_count INT);
    CREATE TABLE questions_option (id INTEGER PRIMARY KEY, is_correct BOOL);
    CREATE TABLE exams_itemselection (item_id INT, option_id INT);
    CREATE TABLE exams_keycorrectionversion (id INTEGER PRIMARY KEY, version_id INT,
        in_force BOOL, regradable BOOL, accept_original BOOL, keyed_count INT);
    CREATE TABLE exams_keycorrectionoption (entry_id INT, option_id INT);
    INSERT INTO exams_attempt VALUES (1);
"""


def _twin_item(db, item_id, keyed, chosen, corrections=()):
    """One item on version `item_id` with options 1..4; `corrections` are
    (corrected positions, in_force, regradable, accept_original) rows for its version."""
    db.execute("INSERT INTO questions_questionversion VALUES (?, ?)", (item_id, len(keyed)))
    db.execute("INSERT INTO exams_attemptitem VALUES (?, 1, ?)", (item_id, item_id))
    for n in range(1, 5):  # options 1..4 of this item's version, ids unique per item
        db.execute("INSERT INTO questions_option VALUES (?, ?)", (item_id * 10 + n, n in keyed))
    for n in chosen:
        db.execute("INSERT INTO exams_itemselection VALUES (?, ?)", (item_id, item_id * 10 + n))
    for fixed, in_force, regradable, accept in corrections:
        entry = db.execute(
            "INSERT INTO exams_keycorrectionversion"
            " (version_id, in_force, regradable, accept_original, keyed_count)"
            " VALUES (?, ?, ?, ?, ?)",
            (item_id, in_force, regradable, accept, len(fixed)),
        ).lastrowid
        for n in fixed:
            db.execute(
                "INSERT INTO exams_keycorrectionoption VALUES (?, ?)", (entry, item_id * 10 + n)
            )


def test_graded_items_sql_agrees_with_is_item_correct():
    """Run GRADED_ITEMS_SQL on an in-memory SQLite holding just the columns it reads."""
    db = sqlite3.connect(":memory:")
    db.executescript(_TWIN_SCHEMA)
    expected = {}
    for item_id, (kind, keyed, chosen) in enumerate(_AGREEMENT_CASES, start=1):
        _twin_item(db, item_id, keyed, chosen)
        expected[item_id] = is_item_correct(kind, keyed, chosen)
    graded = {item_id: ok == 1 for item_id, ok in db.execute(GRADED_ITEMS_SQL)}
    assert graded == expected
    assert sorted(expected.values()) == [False] * 8 + [True] * 2


# A corrected key per kind (same kind, options of the same version), tried on every case above
# under both policies; a correction not in force or not regradable must change nothing.
_CORRECTED_KEYS = {MULTIPLE_CHOICE: [{1}, {2}], MULTIPLE_RESPONSE: [{1, 4}, {1, 3, 4}, {2, 4}]}


@pytest.mark.parametrize(
    ("corrected", "in_force", "regradable", "accept_original"),
    [
        (corrected, in_force, regradable, accept)
        for corrected in (0, 1, 2)
        for in_force, regradable in ((True, True), (False, True), (True, False))
        for accept in (False, True)
    ],
)
def test_graded_items_sql_agrees_under_key_corrections(
    corrected, in_force, regradable, accept_original
):
    db = sqlite3.connect(":memory:")
    db.executescript(_TWIN_SCHEMA)
    expected = {}
    for item_id, (kind, keyed, chosen) in enumerate(_AGREEMENT_CASES, start=1):
        keys = _CORRECTED_KEYS[kind]
        fixed = keys[corrected % len(keys)]
        # An older correction no longer in force rides along: it must be ignored.
        rows = [({4} if kind == MULTIPLE_CHOICE else {2, 3}, False, True, True)]
        rows.append((fixed, in_force, regradable, accept_original))
        _twin_item(db, item_id, keyed, chosen, rows)
        active = in_force and regradable
        expected[item_id] = is_item_correct(
            kind,
            keyed,
            chosen,
            corrected=fixed if active else None,
            accept_original=accept_original,
        )
    graded = {item_id: ok == 1 for item_id, ok in db.execute(GRADED_ITEMS_SQL)}
    assert graded == expected


@pytest.mark.parametrize(
    ("keyed", "corrected", "accept_original", "chosen", "expected"),
    [
        ({2}, {3}, False, {3}, True),  # the corrected key earns the mark
        ({2}, {3}, False, {2}, False),  # the old key no longer does
        ({2}, {3}, True, {2}, True),  # unless both are accepted
        ({2}, {3}, True, {3}, True),
        ({2}, {3}, True, set(), False),
        ({2}, {3}, True, {1}, False),
    ],
)
def test_is_item_correct_under_a_key_correction(
    keyed, corrected, accept_original, chosen, expected
):
    got = is_item_correct(
        MULTIPLE_CHOICE, keyed, chosen, corrected=corrected, accept_original=accept_original
    )
    assert got is expected


def test_an_impossible_corrected_key_raises():
    with pytest.raises(ValueError):
        is_item_correct(MULTIPLE_CHOICE, {2}, {2}, corrected={1, 2})


# --------------------------------------------------------------------------- scaled score


@pytest.mark.parametrize("total", [1, 10, 50, 65, 100, 137])
def test_scaled_score_anchor_points(total):
    assert scaled_score(0, total) == 100
    assert scaled_score(total, total) == 1000


def test_exact_cut_maps_to_passing_score():
    assert scaled_score(36, 50) == 720  # 0.72 x 50 = 36 exactly
    assert scaled_score(18, 25) == 720


@pytest.mark.parametrize("total", [10, 50, 65, 75, 100, 137])
def test_scaled_score_is_monotonic_and_in_range(total):
    scores = [scaled_score(correct, total) for correct in range(total + 1)]
    assert scores == sorted(scores)
    assert all(100 <= score <= 1000 for score in scores)


def test_72_percent_of_65_is_720_within_rounding():
    # The raw cut is 46.8: 46 correct falls short, 47 passes.
    below, above = scaled_score(46, 65), scaled_score(47, 65)
    assert below < 720 <= above
    assert 720 - below <= math.ceil(620 / 46.8)  # within one raw point of the cut
    assert above - 720 <= math.ceil(280 / 18.2)
    assert (below, above) == (709, 723)


def test_scaled_score_follows_the_two_segments():
    # 100 + 620 x 20 / 46.8 = 364.957... ; 720 + 280 x (60 - 46.8) / 18.2 = 923.077...
    assert scaled_score(20, 65) == 365
    assert scaled_score(60, 65) == 923


def test_scaled_score_rounds_half_up():
    # Anchors chosen to land on .5: cut = 0.5 x 4 = 2, so 1 correct -> 101 + 619/2 = 410.5.
    assert scaled_score(1, 4, cut_fraction=0.5, minimum=101) == 411
    assert scaled_score(3, 4, cut_fraction=0.5, maximum=999) == 860  # 720 + 279/2 = 859.5


@pytest.mark.parametrize(
    ("correct", "total", "kwargs"),
    [
        (0, 0, {}),
        (-1, 10, {}),
        (11, 10, {}),
        (5, 10, {"cut_fraction": 0}),
        (5, 10, {"cut_fraction": 1}),
        (5, 10, {"passing_score": 50}),
    ],
)
def test_scaled_score_rejects_bad_input(correct, total, kwargs):
    with pytest.raises(ValueError):
        scaled_score(correct, total, **kwargs)


# --------------------------------------------------------------------------- attempts


def _item(item_id, domain, correct=True, *, scored=True, kind=MULTIPLE_CHOICE, answered=True):
    keyed = frozenset({1}) if kind == MULTIPLE_CHOICE else frozenset({1, 2})
    wrong = frozenset({3})
    chosen = (keyed if correct else wrong) if answered else frozenset()
    return ItemResponse(item_id, domain, kind, keyed, chosen, scored)


def test_pass_fail_at_the_boundary():
    # 50 scored items, cut 36: 36 correct passes at exactly 720, 35 fails.
    def attempt(correct_count):
        return [_item(i, "D", i < correct_count) for i in range(50)]

    passing = score_attempt(attempt(36))
    failing = score_attempt(attempt(35))
    assert (passing.scaled, passing.passed) == (720, True)
    assert failing.scaled < 720
    assert failing.passed is False


def test_65_question_boundary():
    def attempt(correct_count):
        return [_item(i, "D", i < correct_count) for i in range(65)]

    assert score_attempt(attempt(47)).passed
    assert not score_attempt(attempt(46)).passed


def test_pretest_items_count_nowhere_but_are_marked():
    items = [_item(i, "Security", True) for i in range(4)]
    items += [
        _item("p1", "Security", False, scored=False),
        _item("p2", "Pretest only", True, scored=False),
    ]
    result = score_attempt(items)
    assert (result.correct, result.scored_total, result.percent) == (4, 4, 100.0)
    assert result.scaled == 1000
    assert result.item_correct["p1"] is False
    assert result.item_correct["p2"] is True
    security, pretest_only = result.domains
    assert (security.correct, security.total, security.meets) == (4, 4, True)
    assert pretest_only == DomainResult("Pretest only", 0, 0, None, None)
    assert pretest_only.label == "—"


def test_unanswered_items_are_incorrect():
    items = [_item(1, "D", answered=False), _item(2, "D"), _item(3, "D", kind=MULTIPLE_RESPONSE)]
    result = score_attempt(items)
    assert result.item_correct == {1: False, 2: True, 3: True}
    assert result.correct == 2


def test_domain_verdicts_and_order():
    items = (
        [_item(f"s{i}", "Security", i < 18) for i in range(25)]  # 72 % exactly: meets
        + [_item(f"d{i}", "Deployment", i < 17) for i in range(25)]  # 68 %: needs improvement
        + [_item(f"x{i}", "Development", True) for i in range(15)]
    )
    random.Random(3).shuffle(items)
    result = score_attempt(items)
    by_name = {domain.domain: domain for domain in result.domains}
    assert [domain.domain for domain in result.domains] == list(
        dict.fromkeys(item.domain for item in items)
    )
    assert by_name["Security"].percent == pytest.approx(72.0)
    assert by_name["Security"].meets is True
    assert by_name["Security"].label == "Meets competencies"
    assert by_name["Deployment"].meets is False
    assert by_name["Deployment"].label == "Needs improvement"
    assert by_name["Development"].meets is True
    assert (result.correct, result.scored_total) == (50, 65)


def test_domain_cut_is_exact_for_decimal_fractions():
    # 0.29 x 100 is 28.999999999999996 in floating point; 29 of 100 must still meet it.
    items = [_item(i, "D", i < 29) for i in range(100)]
    (domain,) = score_attempt(items, cut_fraction=0.29).domains
    assert domain.meets is True


def test_item_response_normalises_collections_to_frozensets():
    item = ItemResponse(1, "D", MULTIPLE_RESPONSE, [1, 2], [2, 1])
    assert item.keyed == frozenset({1, 2})
    assert isinstance(item.chosen, frozenset)


def test_attempt_without_scored_items_raises():
    with pytest.raises(ValueError):
        score_attempt([_item(1, "D", scored=False)])


def test_duplicate_item_ids_raise():
    with pytest.raises(ValueError):
        score_attempt([_item(1, "D"), _item(1, "D")])


def _option(pk, *, correct, in_corrected=False, corrected=False, original=False):
    return SimpleNamespace(
        pk=pk,
        is_correct=correct,
        in_corrected_key=in_corrected,
        key_corrected=corrected,
        original_accepted=original,
    )


def test_key_in_force_without_a_correction_is_the_versions_own_key():
    key = key_in_force([_option(1, correct=True), _option(2, correct=False)])
    assert (key.keyed, key.also_accepted, key.corrected) == ({1}, frozenset(), None)
    assert key.grades("multiple_choice", {1}) and not key.grades("multiple_choice", {2})


@pytest.mark.parametrize("either", [False, True])
def test_key_in_force_reads_the_correction_the_options_carry(either):
    options = [
        _option(1, correct=True, corrected=True, original=either),
        _option(2, correct=False, in_corrected=True, corrected=True, original=either),
    ]
    key = key_in_force(options)
    assert key.keyed == {2}
    assert key.also_accepted == ({1} if either else frozenset())
    assert key.grades("multiple_choice", {2})
    # The own key still earns the mark only under "accept either key".
    assert key.grades("multiple_choice", {1}) is either
