"""analytics.irt on simulated data with known parameters (pure: no database)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analytics import irt
from exams.scoring import allocate_by_largest_remainder, scaled_score

N_PERSONS = 2_000
N_ITEMS = 300
FORM = 65
DOMAIN_WEIGHTS = (0.32, 0.26, 0.24, 0.18)  # DVA-C02
CUT = 72.0


def _bank(rng, n_items=N_ITEMS):
    a = rng.lognormal(0.0, 0.3, n_items)
    b = rng.normal(0.0, 1.0, n_items)
    c = np.where(rng.random(n_items) < 0.8, 0.25, 0.0)  # multiple choice / multiple response
    domain = rng.integers(0, len(DOMAIN_WEIGHTS), n_items)
    return a, b, c, domain


def _sit(rng, theta, forms, a, b, c):
    """Responses of persons `theta` to their forms (array persons × items per form)."""
    person = np.repeat(np.arange(len(theta)), forms.shape[1])
    item = forms.ravel()
    p = irt.prob(theta[person], a[item], b[item], c[item])
    return person, item, (rng.random(len(p)) < p).astype(np.int8)


def _random_forms(rng, n_persons, n_items, k):
    return np.argsort(rng.random((n_persons, n_items)), axis=1)[:, :k]


def _domains(a, b, c, domain, items=None):
    chosen = np.arange(len(a)) if items is None else np.asarray(items)
    return [
        (w, [(a[j], b[j], c[j]) for j in chosen if domain[j] == d])
        for d, w in enumerate(DOMAIN_WEIGHTS)
    ]


@pytest.fixture(scope="module")
def simulated():
    rng = np.random.default_rng(20261202)
    a, b, c, domain = _bank(rng)
    theta = rng.normal(0.0, 1.0, N_PERSONS)
    person, item, correct = _sit(rng, theta, _random_forms(rng, N_PERSONS, N_ITEMS, FORM), a, b, c)
    responses = irt.Responses(
        person=person, item=item, correct=correct, n_persons=N_PERSONS, n_items=N_ITEMS
    )
    cal = irt.calibrate(responses, irt.ItemPrior(guessing=c, mean_b=np.zeros(N_ITEMS)))
    return {"a": a, "b": b, "c": c, "domain": domain, "theta": theta, "cal": cal}


# ---------------------------------------------------------------------------- calibration


def test_calibration_recovers_the_true_parameters(simulated):
    cal = simulated["cal"]
    est_a = np.array([e.a for e in cal.items])
    est_b = np.array([e.b for e in cal.items])
    se_b = np.array([e.se_b for e in cal.items])
    se_a = np.array([e.se_a for e in cal.items])
    assert cal.converged
    assert all(e.model == "2pl" for e in cal.items)
    assert np.corrcoef(simulated["b"], est_b)[0, 1] >= 0.9
    assert np.corrcoef(simulated["a"], est_a)[0, 1] >= 0.7
    covered_b = np.mean(np.abs(est_b - simulated["b"]) <= 2 * se_b)
    covered_a = np.mean(np.abs(est_a - simulated["a"]) <= 2 * se_a)
    assert 0.80 <= covered_b <= 0.99
    assert 0.75 <= covered_a <= 0.995
    assert [e.c for e in cal.items] == list(simulated["c"])
    assert sum(e.n for e in cal.items) == N_PERSONS * FORM
    # EAP per person from the run, and a small misfit for data drawn from the model.
    assert np.corrcoef(simulated["theta"], cal.theta)[0, 1] >= 0.9
    assert cal.fit["mean_abs_residual"] < 0.08
    assert cal.fit["responses"] == N_PERSONS * FORM
    assert math.isfinite(cal.loglik) and cal.loglik < 0


def test_few_responses_fall_back_to_rasch_and_none_to_the_prior():
    rng = np.random.default_rng(7)
    n_items, n_persons = 60, 800
    a, b, c, _ = _bank(rng, n_items)
    theta = rng.normal(0.0, 1.0, n_persons)
    person, item, correct = _sit(rng, theta, _random_forms(rng, n_persons, 50, 30), a, b, c)
    # Items 50..54: 20 responses each; items 55..59: none.
    extra_person = rng.integers(0, n_persons, 5 * 20)
    extra_item = np.repeat(np.arange(50, 55), 20)
    p = irt.prob(theta[extra_person], a[extra_item], b[extra_item], c[extra_item])
    responses = irt.Responses(
        person=np.concatenate([person, extra_person]),
        item=np.concatenate([item, extra_item]),
        correct=np.concatenate([correct, (rng.random(len(p)) < p).astype(np.int8)]),
        n_persons=n_persons,
        n_items=n_items,
    )
    mean_b = np.linspace(-1, 1, n_items)
    cal = irt.calibrate(responses, irt.ItemPrior(guessing=c, mean_b=mean_b))

    two_pl = [e for e in cal.items if e.model == "2pl"]
    rasch = cal.items[50:55]
    prior = cal.items[55:]
    assert len(two_pl) == 50
    assert all(e.model == "rasch" and e.n == 20 for e in rasch)
    mean_a = np.mean([e.a for e in two_pl])
    for e in rasch:
        assert e.a == pytest.approx(mean_a)
        assert e.se_a is None and 0 < e.se_b < 2
    for j, e in enumerate(prior, start=55):
        assert (e.model, e.n, e.a, e.se_a, e.se_b) == ("prior", 0, 1.0, None, None)
        assert e.b == pytest.approx(mean_b[j])


def test_an_item_everyone_got_right_or_wrong_stays_finite():
    rng = np.random.default_rng(3)
    n_items, n_persons = 20, 500
    a, b, c, _ = _bank(rng, n_items)
    theta = rng.normal(0.0, 1.0, n_persons)
    person, item, correct = _sit(
        rng, theta, _random_forms(rng, n_persons, n_items, n_items), a, b, c
    )
    correct[item == 0] = 1
    correct[item == 1] = 0
    responses = irt.Responses(
        person=person, item=item, correct=correct, n_persons=n_persons, n_items=n_items
    )
    cal = irt.calibrate(
        responses, irt.ItemPrior(guessing=np.zeros(n_items), mean_b=np.zeros(n_items))
    )
    for e in cal.items:
        assert all(math.isfinite(v) for v in (e.a, e.b, e.se_a, e.se_b))
    assert cal.items[0].b < -1.5 < 1.5 < cal.items[1].b  # pulled out, held by the prior
    assert cal.items[0].b > -6 and cal.items[1].b < 6


def test_weighted_responses_count_as_their_weight():
    rng = np.random.default_rng(11)
    n_items, n_persons = 30, 600
    a, b, c, _ = _bank(rng, n_items)
    theta = rng.normal(0.0, 1.0, n_persons)
    person, item, correct = _sit(rng, theta, _random_forms(rng, n_persons, n_items, 20), a, b, c)
    prior = irt.ItemPrior(guessing=c, mean_b=np.zeros(n_items))
    base = irt.calibrate(
        irt.Responses(
            person=person, item=item, correct=correct, n_persons=n_persons, n_items=n_items
        ),
        prior,
    )
    # Junk responses with weight 0 change nothing.
    junk = irt.Responses(
        person=np.concatenate([person, np.arange(100)]),
        item=np.concatenate([item, np.zeros(100, dtype=int)]),
        correct=np.concatenate([correct, np.ones(100, dtype=np.int8)]),
        weight=np.concatenate([np.ones(len(person)), np.zeros(100)]),
        n_persons=n_persons,
        n_items=n_items,
    )
    weighted = irt.calibrate(junk, prior)
    assert [e.b for e in weighted.items] == pytest.approx([e.b for e in base.items], abs=1e-6)


def test_bad_input_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="item indices"):
        irt.Responses(
            person=np.array([0]), item=np.array([3]), correct=np.array([1]), n_persons=1, n_items=2
        )
    with pytest.raises(ValueError, match="0 or 1"):
        irt.Responses(
            person=np.array([0]), item=np.array([0]), correct=np.array([2]), n_persons=1, n_items=1
        )
    ok = irt.Responses(
        person=np.array([0]), item=np.array([0]), correct=np.array([1]), n_persons=1, n_items=1
    )
    with pytest.raises(ValueError, match="one guessing floor"):
        irt.calibrate(ok, irt.ItemPrior(guessing=np.zeros(2), mean_b=np.zeros(2)))
    with pytest.raises(ValueError, match="positive finite A"):
        irt.rescale([], 0.0, 0.0)


# ---------------------------------------------------------------------------- linking


def test_stocking_lord_recovers_a_known_linear_transformation(simulated):
    a, b, c = simulated["a"][:40], simulated["b"][:40], simulated["c"][:40]
    A, B = 1.3, -0.4  # noqa: N806
    old = list(zip(a, b, c, strict=True))
    new = list(zip(a * A, (b - B) / A, c, strict=True))  # the same items on a scale θ_new
    got_A, got_B = irt.stocking_lord(old, new)  # noqa: N806
    assert got_A == pytest.approx(A, abs=1e-3)
    assert got_B == pytest.approx(B, abs=1e-3)
    estimates = [irt.ItemEstimate(x, y, z, 0.1, 0.1, 100, "2pl") for x, y, z in new]
    back = irt.rescale(estimates, got_A, got_B)
    assert [e.b for e in back] == pytest.approx(list(b), abs=1e-3)
    assert [e.a for e in back] == pytest.approx(list(a), abs=1e-3)
    assert irt.link(old, new)[2] == "stocking_lord"
    assert irt.link(old[:10], new[:10])[2] == "mean_sigma"
    assert irt.link([], []) == (1.0, 0.0, "identity")


# ---------------------------------------------------------------------------- ability


def test_eap_is_covered_by_its_posterior_sd_as_often_as_it_should():
    rng = np.random.default_rng(5)
    a, b, c, _ = _bank(rng)
    theta = rng.normal(0.0, 1.0, 2_000)
    forms = _random_forms(rng, len(theta), N_ITEMS, FORM)
    person, item, correct = _sit(rng, theta, forms, a, b, c)
    correct = correct.reshape(len(theta), FORM)
    z = []
    for i, form in enumerate(forms):
        mean, sd = irt.eap(a[form], b[form], c[form], correct[i])
        z.append(abs(mean - theta[i]) / sd)
    z = np.array(z)
    assert 0.63 <= np.mean(z <= 1) <= 0.73
    assert 0.92 <= np.mean(z <= 2) <= 0.98


def test_eap_weights_scale_the_evidence():
    a, b, c = np.array([1.0, 1.2, 0.8]), np.array([0.0, 0.5, -0.5]), np.array([0.25, 0.0, 0.25])
    y = np.array([1, 0, 1])
    assert irt.eap(a, b, c, y, weight=[1, 0, 1]) == pytest.approx(
        irt.eap(a[[0, 2]], b[[0, 2]], c[[0, 2]], y[[0, 2]])
    )
    doubled = irt.eap(np.r_[a, a[:1]], np.r_[b, b[:1]], np.r_[c, c[:1]], np.r_[y, y[:1]])
    assert irt.eap(a, b, c, y, weight=[2, 1, 1]) == pytest.approx(doubled)
    assert irt.eap([], [], [], []) == pytest.approx((0.0, 1.0), abs=1e-4)
    assert irt.eap([], [], [], [], prior_mean=0.5, prior_sd=0.8) == pytest.approx(
        (0.5, 0.8), abs=1e-4
    )
    with pytest.raises(ValueError, match="weight"):
        irt.eap(a, b, c, y, weight=[1, -1, 1])


# ---------------------------------------------------------------------------- equating


def test_reference_percent_theta_for_percent_and_equated_score_anchor_the_scale():
    rng = np.random.default_rng(9)
    a, b, _, domain = _bank(rng, 80)
    no_guessing = _domains(a, b, np.zeros(80), domain)
    assert irt.theta_for_percent(0, no_guessing) == -math.inf
    assert irt.theta_for_percent(100, no_guessing) == math.inf
    assert irt.equated_score(-math.inf, no_guessing, cut_percent=CUT) == 100
    theta_cut = irt.theta_for_percent(CUT, no_guessing)
    assert irt.reference_percent(theta_cut, no_guessing) == pytest.approx(CUT)
    assert irt.equated_score(theta_cut, no_guessing, cut_percent=CUT) == 720
    assert irt.equated_score(math.inf, no_guessing, cut_percent=CUT) == 1000
    scores = [irt.equated_score(t, no_guessing, cut_percent=CUT) for t in np.linspace(-8, 8, 161)]
    assert scores == sorted(scores) and scores[0] <= 101 and scores[-1] >= 995
    # A guessing floor: θ → -∞ earns the floor's percent, and below it there is no θ.
    guessing = _domains(a, b, np.full(80, 0.25), domain)
    assert irt.reference_percent(-40.0, guessing) == pytest.approx(25.0, abs=1e-6)
    assert irt.theta_for_percent(20.0, guessing) == -math.inf
    t30 = irt.theta_for_percent(30.0, guessing)
    assert irt.reference_percent(t30, guessing) == pytest.approx(30.0)
    assert irt.equated_score(t30, guessing, cut_percent=CUT) == scaled_score(
        30, 100, cut_fraction=0.72
    )
    with pytest.raises(ValueError, match="at least one domain"):
        irt.reference_percent(0.0, [(1.0, [])])


def test_true_score_equating_anchors_the_scale_and_rises_with_the_number_correct():
    rng = np.random.default_rng(19)
    a, b, c, domain = _bank(rng, 200)
    reference = _domains(a, b, c, domain)
    form = [(a[j], b[j], c[j]) for j in rng.choice(200, FORM, replace=False)]
    floor = sum(item[2] for item in form)
    assert floor > 0  # multiple choice on the form: a guessing floor

    def equate(x, items=form):
        return irt.true_score_equate(x, items, reference, cut_percent=CUT)

    table = [equate(x) for x in range(FORM + 1)]
    assert table[0] == 100 and table[-1] == 1000  # exact anchors, whatever the form
    assert table == sorted(table) and len(set(table)) == len(table)  # strictly rising
    # The raw count whose form-θ is θ_cut earns 720; the integers around it bracket 720.
    theta_cut = irt.theta_for_percent(CUT, reference)
    x_cut = irt.form_true_score(theta_cut, form)
    assert irt.theta_for_true_score(x_cut, form) == pytest.approx(theta_cut, abs=1e-8)
    assert abs(equate(x_cut) - 720) <= 1
    assert table[math.floor(x_cut)] <= 720 <= table[math.ceil(x_cut)]
    # Above the floor: the reference percent at θ_X; at or below it, linear from (0, 0 %)
    # to (Σc, the reference percent at θ = -∞), continuous at the floor.
    for x in (floor + 0.5, 40, FORM - 1):
        percent = irt.reference_percent(irt.theta_for_true_score(x, form), reference)
        assert equate(x) == scaled_score(round(percent * 1000), 100_000, cut_fraction=0.72)
    assert irt.theta_for_true_score(floor, form) == -math.inf
    assert irt.theta_for_true_score(FORM, form) == math.inf
    reference_floor = irt.reference_percent(-40.0, reference)
    assert equate(floor) == irt.equated_score(-math.inf, reference, cut_percent=CUT)
    assert equate(floor / 2) == scaled_score(
        round(reference_floor / 2 * 1000), 100_000, cut_fraction=0.72
    )
    assert abs(equate(floor + 1e-6) - equate(floor)) <= 1
    # The same true score on an easy and a hard form: the same θ, the same scaled score.
    by_b = np.argsort(b)
    easy = [(a[j], b[j], c[j]) for j in by_b[:FORM]]
    hard = [(a[j], b[j], c[j]) for j in by_b[-FORM:]]
    for theta in (-1.5, 0.0, 1.0, 2.0):
        x_easy, x_hard = irt.form_true_score(theta, easy), irt.form_true_score(theta, hard)
        assert x_easy - x_hard > 10
        assert abs(equate(x_easy, easy) - equate(x_hard, hard)) <= 1
    # A form without guessing: no floor, 0 correct is still 100.
    no_guessing = [(x, y, 0.0) for x, y, _ in form]
    assert irt.true_score_equate(0, no_guessing, reference, cut_percent=CUT) == 100
    assert irt.true_score_equate(FORM, no_guessing, reference, cut_percent=CUT) == 1000
    assert 100 < irt.true_score_equate(1, no_guessing, reference, cut_percent=CUT) < 720
    with pytest.raises(ValueError, match="within 0..65"):
        equate(FORM + 1)
    with pytest.raises(ValueError, match="within 0..65"):
        equate(-1)
    with pytest.raises(ValueError, match="at least one scored item"):
        irt.true_score_equate(0, [], reference, cut_percent=CUT)
    with pytest.raises(ValueError, match="a > 0"):
        irt.true_score_equate(0, [(0.0, 0.0, 0.25)], reference, cut_percent=CUT)
    with pytest.raises(ValueError, match="cut_percent"):
        irt.true_score_equate(0, form, reference, cut_percent=100)


EQUATING_SIMULEES = 40_000


def _decile_gaps(simulated, a, b, c):
    """Per ability decile: |mean equated (true-score) score on an easy form − on a hard form|,
    and the same for the linear map; forms and reference equated with item parameters a, b, c.
    Responses always come from the true parameters."""
    rng = np.random.default_rng(13)
    domain = simulated["domain"]
    true_a, true_b, true_c = simulated["a"], simulated["b"], simulated["c"]
    reference = _domains(a, b, c, domain)
    # Forms drawn from the easiest and the hardest three quarters of the bank: about 13
    # points of expected percent apart (the requirement: at least 8).
    by_b = np.argsort(true_b)
    pool = N_ITEMS * 3 // 4
    easy = rng.choice(by_b[:pool], FORM, replace=False)
    hard = rng.choice(by_b[-pool:], FORM, replace=False)
    theta = rng.normal(0.0, 1.0, EQUATING_SIMULEES)
    gap = np.mean(
        irt.prob(theta[:, None], true_a[easy], true_b[easy], true_c[easy]).mean(axis=1)
        - irt.prob(theta[:, None], true_a[hard], true_b[hard], true_c[hard]).mean(axis=1)
    )
    assert gap * 100 >= 8  # the forms really differ
    linear = np.array([scaled_score(x, FORM) for x in range(FORM + 1)])

    def scores(form):
        _, _, y = _sit(rng, theta, np.tile(form, (len(theta), 1)), true_a, true_b, true_c)
        number_correct = y.reshape(len(theta), FORM).sum(axis=1)
        items = list(zip(a[form], b[form], c[form], strict=True))
        # One equating per possible number correct (the score depends on nothing else).
        table = np.array(
            [irt.true_score_equate(x, items, reference, cut_percent=CUT) for x in range(FORM + 1)]
        )
        return table[number_correct], linear[number_correct]

    eq_easy, lin_easy = scores(easy)
    eq_hard, lin_hard = scores(hard)
    decile = np.searchsorted(np.quantile(theta, np.linspace(0, 1, 11)[1:-1]), theta)
    eq_gap = [abs(eq_easy[decile == d].mean() - eq_hard[decile == d].mean()) for d in range(10)]
    lin_gap = [abs(lin_easy[decile == d].mean() - lin_hard[decile == d].mean()) for d in range(10)]
    return np.array(eq_gap), np.array(lin_gap)


def test_equated_scores_agree_across_an_easy_and_a_hard_form_where_the_linear_map_does_not(
    simulated,
):
    """True-score equating with the ESTIMATED parameters, 40,000 simulees per form.

    Measured (seeded): equated gaps 6–10 scaled points per decile, linear 83–128. The
    equated gap is mostly calibration error (the forms are drawn on the TRUE b, and the
    estimated b of extreme items are drawn towards the prior); with the true parameters the
    method itself leaves 1–5.5 points (next test).
    """
    cal = simulated["cal"]
    a = np.array([e.a for e in cal.items])
    b = np.array([e.b for e in cal.items])
    c = np.array([e.c for e in cal.items])
    eq_gap, lin_gap = _decile_gaps(simulated, a, b, c)
    assert eq_gap.max() <= 12, eq_gap  # the requirement: <= 15 in every decile
    assert lin_gap.min() >= 45, lin_gap  # the linear map: much more in every decile
    assert lin_gap.mean() >= 8 * eq_gap.mean()


def test_true_score_equating_itself_leaves_only_a_few_points_between_forms(simulated):
    eq_gap, lin_gap = _decile_gaps(simulated, simulated["a"], simulated["b"], simulated["c"])
    assert eq_gap.max() <= 7, eq_gap
    assert lin_gap.min() >= 45, lin_gap


# ---------------------------------------------------------------------------- readiness


def test_pass_probability_is_calibrated_against_a_fresh_reference_form(simulated):
    rng = np.random.default_rng(17)
    a, b, c, domain = simulated["a"], simulated["b"], simulated["c"], simulated["domain"]
    reference = _domains(a, b, c, domain)
    pools = [np.flatnonzero(domain == d) for d in range(len(DOMAIN_WEIGHTS))]
    slots = allocate_by_largest_remainder(50, {str(d): w for d, w in enumerate(DOMAIN_WEIGHTS)})
    n = 3_000
    theta = rng.normal(0.0, 1.0, n)
    forms = _random_forms(rng, n, N_ITEMS, 40)  # the evidence: 40 scored items each
    _, _, y = _sit(rng, theta, forms, a, b, c)
    y = y.reshape(n, 40)
    predicted, passed = np.empty(n), np.empty(n)
    for i in range(n):
        grid, weights = irt.posterior_grid(a[forms[i]], b[forms[i]], c[forms[i]], y[i])
        p, low, high = irt.pass_probability(grid, weights, reference, cut_percent=CUT)
        assert 0 <= low <= p <= high <= 1
        predicted[i] = p
        fresh = np.concatenate(
            [rng.choice(pools[d], slots[str(d)], replace=False) for d in range(len(pools))]
        )
        correct = rng.random(50) < irt.prob(theta[i], a[fresh], b[fresh], c[fresh])
        passed[i] = scaled_score(int(correct.sum()), 50) >= 720
    brier = np.mean((predicted - passed) ** 2)
    bins = np.minimum((predicted * 10).astype(int), 9)
    ece = sum(
        np.sum(bins == k) / n * abs(predicted[bins == k].mean() - passed[bins == k].mean())
        for k in range(10)
        if np.any(bins == k)
    )
    assert 0.05 <= passed.mean() <= 0.95  # a real mix of passes and fails
    assert brier <= 0.15, brier
    assert ece <= 0.05, ece


def test_pass_probability_band_and_extremes():
    a, b, c = np.ones(40), np.linspace(-2, 2, 40), np.zeros(40)
    reference = [(1.0, list(zip(a, b, c, strict=True)))]
    strong = irt.posterior_grid(a, b, c, np.ones(40))
    weak = irt.posterior_grid(a, b, c, np.zeros(40))
    unknown = irt.posterior_grid([], [], [], [])
    p_strong, *_ = irt.pass_probability(*strong, reference, cut_percent=CUT)
    p_weak, *_ = irt.pass_probability(*weak, reference, cut_percent=CUT)
    p, low, high = irt.pass_probability(*unknown, reference, cut_percent=CUT)
    assert p_strong > 0.95 and p_weak < 0.01
    assert low < 0.05 and high > 0.5 and low < p < high  # the prior alone: a wide band
    with pytest.raises(ValueError, match="same length"):
        irt.pass_probability([0.0, 1.0], [1.0], reference, cut_percent=CUT)


# ---------------------------------------------------------------- many persons at once


def _uneven_forms(seed: int, persons: int = 300, bank: int = 40, form: int = 15):
    rng = np.random.default_rng(seed)
    a_items = np.exp(rng.normal(0, 0.4, bank))
    b_items = rng.normal(0, 1.2, bank)
    c_items = np.where(rng.random(bank) < 0.5, 0.25, 0.0)
    person, item = [], []
    for p in range(persons):
        size = int(rng.integers(1, form + 1))  # forms of different lengths, one item at least
        person += [p] * size
        item += list(rng.choice(bank, size, replace=False))
    person, item = np.array(person), np.array(item)
    theta = rng.normal(0, 1.5, persons)
    correct = (
        rng.random(len(person))
        < irt.prob(theta[person], *(v[item] for v in (a_items, b_items, c_items)))
    ).astype(int)
    # Shuffle the responses: the batch functions must not rely on their order.
    order = rng.permutation(len(person))
    return (
        a_items[item][order],
        b_items[item][order],
        c_items[item][order],
        correct[order],
        person[order],
    )


def test_eap_many_agrees_with_eap_person_by_person():
    a, b, c, y, person = _uneven_forms(7)
    n = int(person.max()) + 1
    theta, sd = irt.eap_many(a, b, c, y, person, n, chunk=64)
    for p in range(n):
        mine = person == p
        expected = irt.eap(a[mine], b[mine], c[mine], y[mine])
        assert theta[p] == pytest.approx(expected[0], abs=1e-9)
        assert sd[p] == pytest.approx(expected[1], abs=1e-9)


def test_theta_for_true_scores_agrees_with_the_per_form_root():
    a, b, c, y, person = _uneven_forms(8)
    n = int(person.max()) + 1
    counts = np.bincount(person, minlength=n)
    # Every kind of true score: at and below the guessing floor, inside, at the maximum.
    rng = np.random.default_rng(3)
    scores = np.bincount(person, weights=y, minlength=n).astype(float)
    scores[::7] = counts[::7]
    scores[1::7] = 0.0
    scores[2::7] = rng.uniform(0, counts[2::7])
    theta = irt.theta_for_true_scores(scores, a, b, c, person, n)
    for p in range(n):
        mine = person == p
        expected = irt.theta_for_true_score(
            scores[p], list(zip(a[mine], b[mine], c[mine], strict=True))
        )
        if math.isinf(expected):
            assert theta[p] == expected
        else:
            assert theta[p] == pytest.approx(expected, abs=1e-9)
