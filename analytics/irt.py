"""Item response theory core: calibration, linking, ability, equating and readiness (pure).

No Django here: numpy/scipy over plain arrays, so it is tested without a database and the
Celery task, the services and the simulator all call the same functions.

Model
-----
Three-parameter logistic with a FIXED guessing floor per item (logistic metric, D = 1):

    P_j(θ) = c_j + (1 - c_j) / (1 + exp(-a_j (θ - b_j)))

c_j is not estimated (multiple choice: 1 / number of options; multiple response marked 0/1:
0), so the model is effectively a 2PL in a and b.

Calibration (`calibrate`)
-------------------------
Marginal maximum likelihood by Bock–Aitkin EM over a SPARSE response matrix, with priors on
the item parameters (MAP within MML): log a ~ N(0, 0.5²), b ~ N(mean_b, 1²), mean_b from the
author's difficulty. Ability is integrated over 41 quadrature points on N(0, 1) (θ in
[-4, 4]); the fixed N(0, 1) ability distribution sets the scale of a first run (later runs
are put on the previous scale with `stocking_lord`).

* E-step: for all persons at once, the log-likelihood at every quadrature point is one
  sparse product ``X @ [log P; log(1 - P)]`` where X (persons × 2·items) holds each
  response's weight in the item's "correct" or "wrong" column; the posterior over the nodes
  follows, and the expected counts per item and node are one product with ``Xᵀ``.
* M-step: a few vectorised Fisher-scoring steps for all items at once, in (log a, b).
* Items with fewer than `RASCH_MIN_N` responses get a fixed at the run's mean a of the 2PL
  items ("rasch"); items with no response keep their prior (a = 1, b = mean_b, "prior").
* Standard errors: the inverse of the 2×2 information (Fisher information of the item's
  expected complete-data log-likelihood at the optimum, plus the prior's), a by the delta
  method from log a. Being complete-data information it slightly understates the SE.
* Convergence: the largest change of any a or b between iterations below `tol`.

Fit (`Calibration.fit`)
-----------------------
Persons are grouped by their EAP θ into `FIT_GROUPS` equal-count groups; per item and group
the observed proportion correct is compared with the model's mean P_j(θ̂) over the same
responses. ``mean_abs_residual`` is the response-weighted mean of |observed - expected| over
all items and groups, ``max_item_residual`` the largest per-item (response-weighted) mean
absolute residual, ``worst_item`` its index; ``loglik_per_response`` is the marginal
log-likelihood divided by the number of responses.

Equating and readiness
----------------------
The reference form is blueprint-weighted: expected percent(θ) = Σ_d w_d · mean_{j∈d} P_j(θ)
(`reference_percent`). An attempt's equated scaled score is IRT true-score equating (Kolen &
Brennan) of its raw number correct X (`true_score_equate`): θ_X solves TCC_form(θ_X) = X on
the attempt's own scored items, and the reference percent at θ_X goes through the same
piecewise shape as ``exams.scoring.scaled_score`` (0 % → 100, cut → 720, 100 % → 1000). So
0 correct → 100 and all correct → 1000 exactly, and equal true scores earn equal scaled scores
on any form. (Mapping the EAP θ instead, `equated_score`, shrinks towards the prior: an
all-correct attempt stayed below 1000 and the easy/hard-form gap was larger.) EAP θ and its
posterior SD remain the reported ability; the score band is `equated_score(θ_EAP ± SD)`.
The chance of passing integrates over the posterior of θ
the exact probability that a freshly drawn `n_items` reference form (each slot an item drawn
from its domain, slots allocated to domains by largest remainder) reaches the cut.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import optimize, sparse
from scipy.special import expit, log_expit

from exams.scoring import allocate_by_largest_remainder, scaled_score

__all__ = [
    "Calibration",
    "ItemEstimate",
    "ItemPrior",
    "Responses",
    "calibrate",
    "eap",
    "equated_score",
    "form_true_score",
    "link",
    "mean_sigma",
    "pass_given_theta",
    "pass_probability",
    "posterior_grid",
    "prob",
    "reference_percent",
    "rescale",
    "stocking_lord",
    "theta_for_percent",
    "theta_for_true_score",
    "true_score_equate",
]

# ---------------------------------------------------------------------------- constants

QUADRATURE_POINTS = 41
QUADRATURE_RANGE = 4.0
PRIOR_MEAN_LOG_A = 0.0
PRIOR_SD_LOG_A = 0.5
PRIOR_SD_B = 1.0
RASCH_MIN_N = 50  # fewer responses than this: a fixed at the run's mean a
MIN_COMMON_ITEMS = 20  # Stocking–Lord needs this many common items, else mean/sigma
FIT_GROUPS = 10
EAP_GRID_POINTS = 121  # posterior grid for one person: prior mean ± 5 prior SDs
EAP_GRID_HALF_WIDTH = 5.0
MAX_STEP = 1.0  # largest Fisher-scoring step in log a or b per M-step iteration
PASS_BAND = (0.10, 0.90)  # "likely between": 10th–90th percentile under the posterior

MODEL_2PL = "2pl"
MODEL_RASCH = "rasch"
MODEL_PRIOR = "prior"

Item = tuple[float, float, float]  # (a, b, c)
Domains = list[tuple[float, list[Item]]]  # (weight, items of the domain)


# ---------------------------------------------------------------------------- data types


@dataclass(frozen=True)
class Responses:
    """Scored responses as COO triplets, one row per response."""

    person: np.ndarray
    item: np.ndarray
    correct: np.ndarray
    n_persons: int
    n_items: int
    weight: np.ndarray | None = None  # per response; None = 1

    def __post_init__(self) -> None:
        n = len(self.person)
        if len(self.item) != n or len(self.correct) != n:
            raise ValueError("person, item and correct must have the same length")
        if self.weight is not None and len(self.weight) != n:
            raise ValueError("weight must have one value per response")
        if n:
            if np.min(self.person) < 0 or np.max(self.person) >= self.n_persons:
                raise ValueError(f"person indices must be within 0..{self.n_persons - 1}")
            if np.min(self.item) < 0 or np.max(self.item) >= self.n_items:
                raise ValueError(f"item indices must be within 0..{self.n_items - 1}")
            if not np.isin(np.unique(self.correct), (0, 1)).all():
                raise ValueError("correct must be 0 or 1")
            if self.weight is not None and (
                not np.isfinite(self.weight).all() or np.min(self.weight) < 0
            ):
                raise ValueError("weights must be finite and >= 0")


@dataclass(frozen=True)
class ItemPrior:
    """Per item: the fixed guessing floor c and the prior mean of b (author's difficulty)."""

    guessing: np.ndarray
    mean_b: np.ndarray


@dataclass(frozen=True)
class ItemEstimate:
    a: float
    b: float
    c: float
    se_a: float | None  # None when a is not estimated ("rasch", "prior")
    se_b: float | None  # None for "prior" (no data)
    n: int  # number of responses (unweighted)
    model: str  # "2pl" | "rasch" | "prior"


@dataclass(frozen=True)
class Calibration:
    items: list[ItemEstimate]
    loglik: float  # marginal log-likelihood of the responses (without the item priors)
    iterations: int
    converged: bool
    fit: dict = field(default_factory=dict)
    theta: np.ndarray | None = None  # EAP per person on the run's scale (extra)
    theta_sd: np.ndarray | None = None


# ---------------------------------------------------------------------------- the model


def prob(theta, a, b, c) -> np.ndarray:
    """3PL probability of a correct answer (D = 1), broadcasting over all arguments."""
    theta, a, b, c = (np.asarray(x, dtype=float) for x in (theta, a, b, c))
    return c + (1.0 - c) * expit(a * (theta - b))


def _quadrature() -> tuple[np.ndarray, np.ndarray]:
    nodes = np.linspace(-QUADRATURE_RANGE, QUADRATURE_RANGE, QUADRATURE_POINTS)
    weights = np.exp(-0.5 * nodes**2)
    return nodes, weights / weights.sum()


def _log_p(nodes: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray):
    """log P and log(1 - P) per item × node, computed stably."""
    z = a[:, None] * (nodes[None, :] - b[:, None])
    cc = c[:, None]
    log_s = log_expit(z)
    log_1ms = log_expit(-z)
    # log(c + (1 - c) s) = logaddexp(log c, log(1 - c) + log s); c = 0 gives log s.
    with np.errstate(divide="ignore"):
        log_c = np.log(cc)
        log_1mc = np.log1p(-cc)
    log_p = np.logaddexp(log_c, log_1mc + log_s)
    log_q = log_1mc + log_1ms
    return log_p, log_q, z


# ---------------------------------------------------------------------------- calibration


def _check_prior(prior: ItemPrior, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    c = np.asarray(prior.guessing, dtype=float)
    mu = np.asarray(prior.mean_b, dtype=float)
    if c.shape != (n_items,) or mu.shape != (n_items,):
        raise ValueError(f"the prior needs one guessing floor and one mean b per item ({n_items})")
    if not (np.isfinite(c).all() and (c >= 0).all() and (c < 1).all()):
        raise ValueError("guessing floors must be within [0, 1)")
    if not np.isfinite(mu).all():
        raise ValueError("prior mean b must be finite")
    return c, mu


def _m_step(
    r: np.ndarray,
    n: np.ndarray,
    nodes: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    mu: np.ndarray,
    free_a: np.ndarray,
    free_b: np.ndarray,
    steps: int = 3,
):
    """Fisher scoring in (log a, b) for every item at once; returns a, b and the info."""
    alpha = np.log(a)
    prec_alpha = 1.0 / PRIOR_SD_LOG_A**2
    prec_b = 1.0 / PRIOR_SD_B**2
    for _ in range(steps):
        a = np.exp(alpha)
        g_a, g_b, i_aa, i_ab, i_bb = _score_info(r, n, nodes, a, b, c)
        g_a = g_a - prec_alpha * (alpha - PRIOR_MEAN_LOG_A)
        g_b = g_b - prec_b * (b - mu)
        i_aa = i_aa + prec_alpha
        i_bb = i_bb + prec_b
        det = i_aa * i_bb - i_ab**2
        # Full 2×2 step where both are free; 1-D step in b where only b is free.
        d_alpha = np.where(free_a, (i_bb * g_a - i_ab * g_b) / det, 0.0)
        d_b = np.where(free_a, (i_aa * g_b - i_ab * g_a) / det, g_b / i_bb)
        d_alpha = np.clip(d_alpha, -MAX_STEP, MAX_STEP)
        d_b = np.where(free_b, np.clip(d_b, -MAX_STEP, MAX_STEP), 0.0)
        alpha = alpha + d_alpha
        b = b + d_b
    a = np.exp(alpha)
    _, _, i_aa, i_ab, i_bb = _score_info(r, n, nodes, a, b, c)
    return a, b, (i_aa + prec_alpha, i_ab, i_bb + prec_b)


def _score_info(r, n, nodes, a, b, c):
    """Gradient and Fisher information of Σ_q r log P + (n - r) log(1 - P) in (log a, b)."""
    z = a[:, None] * (nodes[None, :] - b[:, None])
    s = expit(z)
    cc = c[:, None]
    p = cc + (1.0 - cc) * s
    ratio = s / p  # dℓ/dz = (r - nP) · s / P
    resid = (r - n * p) * ratio
    info_z = n * (1.0 - cc) * s * s * (1.0 - s) / p  # n (dP/dz)² / (P (1 - P))
    aa = a[:, None]
    g_a = (resid * z).sum(axis=1)  # dz/dlog a = z
    g_b = (resid * -aa).sum(axis=1)  # dz/db = -a
    i_aa = (info_z * z * z).sum(axis=1)
    i_ab = (info_z * z * -aa).sum(axis=1)
    i_bb = (info_z * aa * aa).sum(axis=1)
    return g_a, g_b, i_aa, i_ab, i_bb


def calibrate(
    responses: Responses, prior: ItemPrior, *, max_iter: int = 200, tol: float = 1e-4
) -> Calibration:
    """Calibrate every item by marginal maximum likelihood (Bock–Aitkin EM, MAP priors)."""
    n_persons, n_items = responses.n_persons, responses.n_items
    if n_items <= 0:
        raise ValueError("need at least one item")
    if max_iter < 1 or not tol > 0:
        raise ValueError("max_iter must be >= 1 and tol > 0")
    c, mu = _check_prior(prior, n_items)
    person = np.asarray(responses.person, dtype=np.int64)
    item = np.asarray(responses.item, dtype=np.int64)
    correct = np.asarray(responses.correct).astype(bool)
    w = (
        np.ones(len(person))
        if responses.weight is None
        else np.asarray(responses.weight, dtype=float)
    )

    counts = np.bincount(item, minlength=n_items)
    model = np.where(
        counts == 0, MODEL_PRIOR, np.where(counts < RASCH_MIN_N, MODEL_RASCH, MODEL_2PL)
    )
    free_a = model == MODEL_2PL
    free_b = model != MODEL_PRIOR
    rasch = model == MODEL_RASCH

    a = np.ones(n_items)
    b = mu.copy()
    if not len(person) or n_persons == 0:
        items = [
            ItemEstimate(1.0, float(mu[j]), float(c[j]), None, None, 0, MODEL_PRIOR)
            for j in range(n_items)
        ]
        return Calibration(items, 0.0, 0, True, {"responses": 0})

    # Column j: the response was correct; column n_items + j: wrong. Value: its weight.
    cols = np.where(correct, item, item + n_items)
    x = sparse.csr_matrix((w, (person, cols)), shape=(n_persons, 2 * n_items))
    x.sum_duplicates()
    xt = x.T.tocsr()
    nodes, q_weights = _quadrature()
    log_qw = np.log(q_weights)

    converged = False
    iterations = 0
    loglik = -math.inf
    info = None
    for iterations in range(1, max_iter + 1):  # noqa: B007 - used after the loop
        post, loglik = _e_step(x, nodes, log_qw, a, b, c)
        expected = xt @ post  # (2J, Q)
        r = expected[:n_items]
        n = r + expected[n_items:]
        old_a, old_b = a.copy(), b.copy()
        a, b, info = _m_step(r, n, nodes, a, b, c, mu, free_a, free_b)
        mean_a = float(np.mean(a[free_a])) if free_a.any() else 1.0
        a = np.where(rasch, mean_a, np.where(model == MODEL_PRIOR, 1.0, a))
        b = np.where(free_b, b, mu)
        change = max(np.max(np.abs(a - old_a)), np.max(np.abs(b - old_b)))
        if change < tol:
            converged = True
            break

    post, loglik = _e_step(x, nodes, log_qw, a, b, c)
    theta = post @ nodes
    theta_sd = np.sqrt(np.maximum(post @ nodes**2 - theta**2, 0.0))
    # SEs at the optimum: recompute the information with the final expected counts.
    expected = xt @ post
    r = expected[:n_items]
    n = r + expected[n_items:]
    _, _, info = _m_step(r, n, nodes, a, b, c, mu, free_a, free_b, steps=0)
    i_aa, i_ab, i_bb = info
    det = i_aa * i_bb - i_ab**2
    var_alpha = i_bb / det
    var_b_2pl = i_aa / det
    var_b_rasch = 1.0 / i_bb

    items = []
    for j in range(n_items):
        if model[j] == MODEL_2PL:
            se_a, se_b = float(a[j] * math.sqrt(var_alpha[j])), float(math.sqrt(var_b_2pl[j]))
        elif model[j] == MODEL_RASCH:
            se_a, se_b = None, float(math.sqrt(var_b_rasch[j]))
        else:
            se_a = se_b = None
        items.append(
            ItemEstimate(
                float(a[j]), float(b[j]), float(c[j]), se_a, se_b, int(counts[j]), str(model[j])
            )
        )
    fit = _fit(person, item, correct, theta, a, b, c, n_items)
    fit["loglik_per_response"] = loglik / len(person)
    return Calibration(items, float(loglik), iterations, converged, fit, theta, theta_sd)


def _e_step(x, nodes, log_qw, a, b, c):
    log_p, log_q, _ = _log_p(nodes, a, b, c)
    ll = x @ np.vstack([log_p, log_q])  # (N, Q) log-likelihood at each node
    ll += log_qw[None, :]
    top = ll.max(axis=1, keepdims=True)
    np.subtract(ll, top, out=ll)
    np.exp(ll, out=ll)
    total = ll.sum(axis=1, keepdims=True)
    ll /= total
    loglik = float(np.sum(np.log(total) + top))
    return ll, loglik


def _fit(person, item, correct, theta, a, b, c, n_items) -> dict:
    """Observed vs expected proportion correct per item and EAP-θ group (see module doc)."""
    edges = np.quantile(theta, np.linspace(0, 1, FIT_GROUPS + 1)[1:-1])
    group = np.searchsorted(edges, theta, side="right")[person]
    cell = item * FIT_GROUPS + group
    size = n_items * FIT_GROUPS
    count = np.bincount(cell, minlength=size)
    observed = np.bincount(cell, weights=correct.astype(float), minlength=size)
    expected = np.bincount(
        cell, weights=prob(theta[person], a[item], b[item], c[item]), minlength=size
    )
    seen = count > 0
    resid = np.zeros(size)
    resid[seen] = np.abs(observed[seen] - expected[seen]) / count[seen]
    per_item_count = count.reshape(n_items, FIT_GROUPS).sum(axis=1)
    per_item = (resid * count).reshape(n_items, FIT_GROUPS).sum(axis=1)
    answered = per_item_count > 0
    per_item[answered] /= per_item_count[answered]
    worst = int(np.argmax(per_item))
    return {
        "groups": FIT_GROUPS,
        "responses": int(len(person)),
        "mean_abs_residual": float((resid * count).sum() / count.sum()),
        "max_item_residual": float(per_item[worst]),
        "worst_item": worst,
    }


# ---------------------------------------------------------------------------- linking


def rescale(items: list[ItemEstimate], A: float, B: float) -> list[ItemEstimate]:  # noqa: N803
    """Put estimates on another scale where θ_new = A·θ + B: a / A, A·b + B (SEs likewise)."""
    if not (math.isfinite(A) and math.isfinite(B)) or A <= 0:
        raise ValueError(f"need a positive finite A and a finite B, got {A!r}, {B!r}")
    return [
        replace(
            e,
            a=e.a / A,
            b=A * e.b + B,
            se_a=None if e.se_a is None else e.se_a / A,
            se_b=None if e.se_b is None else A * e.se_b,
        )
        for e in items
    ]


def _split(items: list[Item]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    arr = np.asarray(items, dtype=float).reshape(-1, 3)
    return arr[:, 0], arr[:, 1], arr[:, 2]


def mean_sigma(old: list[Item], new: list[Item]) -> tuple[float, float]:
    """Mean/sigma linking constants from the b's of the common items (A = sd_old / sd_new)."""
    if len(old) != len(new) or len(old) < 2:
        raise ValueError("mean/sigma needs the same >= 2 common items on both scales")
    _, b_old, _ = _split(old)
    _, b_new, _ = _split(new)
    sd_new = float(np.std(b_new))
    A = float(np.std(b_old)) / sd_new if sd_new > 0 else 1.0  # noqa: N806
    return A, float(np.mean(b_old) - A * np.mean(b_new))


def stocking_lord(old: list[Item], new: list[Item]) -> tuple[float, float]:
    """A, B minimising the squared TCC difference of the common items (Stocking–Lord).

    `old` and `new` hold the same items' (a, b, c) on the old and the new scale; the
    result puts new on old: θ_old = A·θ_new + B (use `rescale(new_items, A, B)`). The
    criterion is weighted by N(0, 1) on the old scale over the quadrature nodes.
    """
    if len(old) != len(new) or not old:
        raise ValueError("Stocking–Lord needs the same common items on both scales")
    a_o, b_o, c_o = _split(old)
    a_n, b_n, c_n = _split(new)
    nodes, q_weights = _quadrature()
    tcc_old = prob(nodes[:, None], a_o, b_o, c_o).sum(axis=1)

    def loss(params):
        log_A, B = params  # noqa: N806
        A = math.exp(log_A)  # noqa: N806
        tcc_new = prob(nodes[:, None], a_n / A, A * b_n + B, c_n).sum(axis=1)
        return float(np.sum(q_weights * (tcc_old - tcc_new) ** 2))

    A0, B0 = mean_sigma(old, new) if len(old) >= 2 else (1.0, 0.0)  # noqa: N806
    start = np.array([math.log(max(A0, 1e-3)), B0])
    result = optimize.minimize(
        loss, start, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-12, "maxiter": 2000}
    )
    return float(math.exp(result.x[0])), float(result.x[1])


def link(old: list[Item], new: list[Item]) -> tuple[float, float, str]:
    """Stocking–Lord with >= MIN_COMMON_ITEMS common items, else mean/sigma (else identity)."""
    if len(old) >= MIN_COMMON_ITEMS:
        return (*stocking_lord(old, new), "stocking_lord")
    if len(old) >= 2:
        return (*mean_sigma(old, new), "mean_sigma")
    return 1.0, 0.0, "identity"


# ---------------------------------------------------------------------------- ability


def posterior_grid(
    a, b, c, correct, *, weight=None, prior_mean: float = 0.0, prior_sd: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior of θ on a grid (prior mean ± 5 SD) given scored responses; weights sum to 1.

    A response's weight multiplies its log-likelihood (0 = ignored, 0.5 = half the
    evidence), as used for the readiness half-life.
    """
    if not prior_sd > 0:
        raise ValueError("prior_sd must be positive")
    a, b, c = (np.asarray(x, dtype=float).ravel() for x in (a, b, c))
    y = np.asarray(correct, dtype=float).ravel()
    if not (len(a) == len(b) == len(c) == len(y)):
        raise ValueError("a, b, c and correct must have the same length")
    w = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=float).ravel()
    if len(w) != len(y) or not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weight must be one finite value >= 0 per response")
    grid = prior_mean + prior_sd * np.linspace(
        -EAP_GRID_HALF_WIDTH, EAP_GRID_HALF_WIDTH, EAP_GRID_POINTS
    )
    log_post = -0.5 * ((grid - prior_mean) / prior_sd) ** 2
    if len(y):
        log_p, log_q, _ = _log_p(grid, a, b, c)
        log_post = log_post + (w * y) @ log_p + (w * (1 - y)) @ log_q
    post = np.exp(log_post - log_post.max())
    return grid, post / post.sum()


def eap(
    a, b, c, correct, *, weight=None, prior_mean: float = 0.0, prior_sd: float = 1.0
) -> tuple[float, float]:
    """Expected a posteriori θ and its posterior SD (N(prior_mean, prior_sd²) prior)."""
    grid, post = posterior_grid(
        a, b, c, correct, weight=weight, prior_mean=prior_mean, prior_sd=prior_sd
    )
    mean = float(post @ grid)
    return mean, float(math.sqrt(max(float(post @ grid**2) - mean**2, 0.0)))


# ---------------------------------------------------------------------------- reference form


def _domains(domains: Domains) -> list[tuple[float, np.ndarray, np.ndarray, np.ndarray]]:
    """Domains with items, their weights renormalised (empty domains drop out)."""
    kept = [(float(w), *_split(items)) for w, items in domains if items and w > 0]
    total = sum(w for w, *_ in kept)
    if not kept or total <= 0:
        raise ValueError("the reference form needs at least one domain with weight and items")
    return [(w / total, a, b, c) for w, a, b, c in kept]


def reference_percent(theta, domains: Domains):
    """Expected percent correct (0..100) on the blueprint-weighted reference form at θ.

    Σ_d w_d · mean_{j in d} P_j(θ) × 100; domains without items are left out and the
    other weights renormalised. A float for a scalar θ, an array for an array.
    """
    t = np.asarray(theta, dtype=float)
    total = np.zeros_like(t)
    for w, a, b, c in _domains(domains):
        total = total + w * prob(t[..., None], a, b, c).mean(axis=-1)
    out = 100.0 * total
    return float(out) if out.ndim == 0 else out


def theta_for_percent(percent: float, domains: Domains) -> float:
    """θ whose expected reference percent equals `percent` (brentq on the TCC).

    Returns -inf at or below the form's guessing floor (the percent at θ = -∞) and +inf at
    or above 100 %.
    """
    if not math.isfinite(percent):
        raise ValueError(f"percent must be finite, got {percent!r}")
    floor = 100.0 * sum(w * float(np.mean(c)) for w, _, _, c in _domains(domains))
    if percent <= floor + 1e-12:
        return -math.inf
    if percent >= 100.0:
        return math.inf
    lo, hi = -10.0, 10.0
    while reference_percent(lo, domains) > percent:
        lo *= 2
        if lo < -1e4:
            return -math.inf
    while reference_percent(hi, domains) < percent:
        hi *= 2
        if hi > 1e4:
            return math.inf
    return float(
        optimize.brentq(lambda t: reference_percent(t, domains) - percent, lo, hi, xtol=1e-10)
    )


_SCALE_RESOLUTION = 100_000  # percent in steps of 1/1000 of a point through the exams map


def equated_score(theta: float, domains: Domains, *, cut_percent: float) -> int:
    """Equated scaled score: the reference percent at θ through exams' piecewise map.

    0 % → 100, `cut_percent` → 720, 100 % → 1000 (``exams.scoring.scaled_score``), so
    equated_score(theta_for_percent(cut)) == 720 and θ = +∞ gives 1000. The attempt's score
    is `true_score_equate`; this maps θ_EAP ± SD for its band (the band stays honest at the
    extremes, where the number correct's conditional SEM would shrink to 0).
    """
    if not 0 < cut_percent < 100:
        raise ValueError(f"cut_percent must be strictly between 0 and 100, got {cut_percent!r}")
    if math.isnan(theta):
        raise ValueError("theta must be a number")
    percent = 100.0 if theta == math.inf else reference_percent(theta, domains)
    if theta == -math.inf:
        percent = _reference_floor(domains)
    return _scale(percent, cut_percent)


def _reference_floor(domains: Domains) -> float:
    """The reference percent at θ = -∞: the blueprint-weighted guessing floor."""
    return 100.0 * sum(w * float(np.mean(c)) for w, _, _, c in _domains(domains))


def _scale(percent: float, cut_percent: float) -> int:
    """A reference percent through exams' piecewise map (0 → 100, cut → 720, 100 → 1000)."""
    steps = round(percent / 100.0 * _SCALE_RESOLUTION)
    steps = min(max(steps, 0), _SCALE_RESOLUTION)
    return _scaled_steps(steps, round(cut_percent / 100.0, 6))


@functools.lru_cache(maxsize=65_536)
def _scaled_steps(steps: int, cut_fraction: float) -> int:
    # Pure and exact (Fractions inside), so cached: equating 100,000 attempts asks it 300,000 times.
    return scaled_score(steps, _SCALE_RESOLUTION, cut_fraction=cut_fraction)


def _form(form_items: list[Item]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a, b, c = _split(form_items)
    if not len(a):
        raise ValueError("the form needs at least one scored item")
    if not (np.isfinite(a).all() and np.isfinite(b).all() and np.isfinite(c).all()):
        raise ValueError("item parameters must be finite")
    if (a <= 0).any() or (c < 0).any() or (c >= 1).any():
        raise ValueError("items need a > 0 and a guessing floor c within [0, 1)")
    return a, b, c


def form_true_score(theta, form_items: list[Item]):
    """The form's test characteristic curve: expected number correct Σ_j P_j(θ)."""
    a, b, c = _form(form_items)
    t = np.asarray(theta, dtype=float)
    out = prob(t[..., None], a, b, c).sum(axis=-1)
    return float(out) if out.ndim == 0 else out


def theta_for_true_score(true_score: float, form_items: list[Item]) -> float:
    """θ whose expected number correct on the form equals `true_score` (brentq on its TCC).

    -inf at or below the form's guessing floor Σ c_j, +inf at or above the number of items.
    """
    a, b, c = _form(form_items)
    if not math.isfinite(true_score):
        raise ValueError(f"the number correct must be finite, got {true_score!r}")
    if true_score <= float(c.sum()) + 1e-12:
        return -math.inf
    if true_score >= len(a):
        return math.inf

    def gap(t: float) -> float:
        return float(prob(t, a, b, c).sum()) - true_score

    lo, hi = -10.0, 10.0
    while gap(lo) > 0:
        lo *= 2
        if lo < -1e4:
            return -math.inf
    while gap(hi) < 0:
        hi *= 2
        if hi > 1e4:
            return math.inf
    return float(optimize.brentq(gap, lo, hi, xtol=1e-10))


def true_score_equate(
    correct_count: float, form_items: list[Item], domains: Domains, *, cut_percent: float
) -> int:
    """IRT true-score equating of a raw number correct to the reference scale (Kolen & Brennan).

    `form_items` are the (a, b, c) of the attempt's scored items (the form it sat) and
    `correct_count` X its number correct on them (a real number is accepted: a true score).
    θ_X solves TCC_form(θ_X) = X; the reference percent at θ_X goes through exams' piecewise
    map, so the same true score earns the same scaled score on any form. Anchors: X = all
    items → 100 % → 1000 exactly. Below the guessing floor Σ c_j no θ exists; there, as is
    the standard convention (Kolen & Brennan, IRT true-score equating with a 3PL), X is
    interpolated linearly between (0 → 0 %) and (Σ c_j → the reference percent at θ = -∞), so
    0 correct → 0 % → 100 exactly.
    """
    if not 0 < cut_percent < 100:
        raise ValueError(f"cut_percent must be strictly between 0 and 100, got {cut_percent!r}")
    a, _, c = _form(form_items)
    n = len(a)
    if not (math.isfinite(correct_count) and 0 <= correct_count <= n):
        raise ValueError(f"the number correct must be within 0..{n}, got {correct_count!r}")
    floor = float(c.sum())
    if correct_count >= n:
        percent = 100.0
    elif correct_count <= floor:
        percent = 0.0 if floor <= 0 else _reference_floor(domains) * correct_count / floor
    else:
        percent = reference_percent(theta_for_true_score(correct_count, form_items), domains)
    return _scale(percent, cut_percent)


# ---------------------------------------------------------------------------- readiness


def _slot_probabilities(theta: np.ndarray, domains: Domains, n_items: int) -> np.ndarray:
    """Per θ and slot of a fresh reference form: P(correct) of a random item of its domain."""
    kept = _domains(domains)
    counts = allocate_by_largest_remainder(n_items, {str(i): w for i, (w, *_) in enumerate(kept)})
    columns = []
    for i, (_, a, b, c) in enumerate(kept):
        p_bar = prob(theta[:, None], a, b, c).mean(axis=1)
        columns.extend([p_bar] * counts[str(i)])
    return np.stack(columns, axis=1)


def pass_given_theta(theta, domains: Domains, *, cut_percent: float, n_items: int = 50):
    """P(number correct on a fresh n-item reference form >= cut) at each θ (exact sum).

    A form passes when its scaled score reaches 720, i.e. number correct >= cut% × n (as in
    ``exams.scoring.scaled_score``). Each slot is an item drawn at random from its domain,
    so its chance is the domain's mean P_j(θ); the number correct is the Poisson-binomial
    sum over the slots, computed exactly.
    """
    if not 0 < cut_percent < 100:
        raise ValueError(f"cut_percent must be strictly between 0 and 100, got {cut_percent!r}")
    if n_items < 1:
        raise ValueError("n_items must be >= 1")
    t = np.atleast_1d(np.asarray(theta, dtype=float))
    slots = _slot_probabilities(t, domains, n_items)
    dist = np.zeros((len(t), n_items + 1))
    dist[:, 0] = 1.0
    for k in range(n_items):
        p = slots[:, k : k + 1]
        shifted = np.zeros_like(dist)
        shifted[:, 1:] = dist[:, :-1]
        dist = dist * (1 - p) + shifted * p
    needed = math.ceil(round(cut_percent / 100.0 * n_items, 9))
    return dist[:, needed:].sum(axis=1)


def pass_probability(
    posterior_theta_grid,
    posterior_weights,
    domains: Domains,
    *,
    cut_percent: float,
    n_items: int = 50,
) -> tuple[float, float, float]:
    """Chance of passing a fresh reference form now, and its 10th–90th percentile band.

    p = Σ_g P(pass | θ_g) · posterior(θ_g); low and high are P(pass | θ) at the posterior's
    10th and 90th percentiles of θ (P(pass | θ) increases with θ). All in 0..1.
    """
    grid = np.asarray(posterior_theta_grid, dtype=float).ravel()
    weights = np.asarray(posterior_weights, dtype=float).ravel()
    if len(grid) != len(weights) or not len(grid):
        raise ValueError("the posterior grid and its weights must have the same length")
    if not np.isfinite(weights).all() or (weights < 0).any() or weights.sum() <= 0:
        raise ValueError("posterior weights must be finite, >= 0, with a positive sum")
    weights = weights / weights.sum()
    order = np.argsort(grid)
    grid, weights = grid[order], weights[order]
    p_theta = pass_given_theta(grid, domains, cut_percent=cut_percent, n_items=n_items)
    p = float(np.clip(p_theta @ weights, 0.0, 1.0))
    cdf = np.cumsum(weights)
    low_theta, high_theta = (
        grid[min(int(np.searchsorted(cdf, q)), len(grid) - 1)] for q in PASS_BAND
    )
    low, high = pass_given_theta(
        np.array([low_theta, high_theta]), domains, cut_percent=cut_percent, n_items=n_items
    )
    return p, float(min(low, p)), float(max(high, p))


# ---------------------------------------------------------------------------- many persons at once
# The equating of every attempt after a calibration, vectorised over persons. Each function is
# the per-person one above applied to every person (tests/analytics/test_irt.py checks the
# agreement person by person to 1e-9); only the order of summation differs, and the roots are
# found by a bisection run for all persons together instead of one brentq each.


def _by_person(person: np.ndarray, n_persons: int) -> np.ndarray:
    person = np.asarray(person, dtype=np.int64)
    if len(person) and (person.min() < 0 or person.max() >= n_persons):
        raise ValueError(f"person indices must be within 0..{n_persons - 1}")
    return person


def eap_many(
    a, b, c, correct, person, n_persons: int, *, chunk: int = 2048
) -> tuple[np.ndarray, np.ndarray]:
    """`eap` (N(0, 1) prior, unweighted) for every person: arrays of θ and of its SD.

    `a`, `b`, `c` and `correct` are per response, as for `eap`, and `person` (0..n_persons-1)
    says whose response each is. Persons are taken `chunk` at a time (bounded memory).
    """
    a, b, c = (np.asarray(x, dtype=float).ravel() for x in (a, b, c))
    y = np.asarray(correct, dtype=float).ravel()
    person = _by_person(person, n_persons)
    if not (len(a) == len(b) == len(c) == len(y) == len(person)):
        raise ValueError("a, b, c, correct and person must have the same length")
    grid = np.linspace(-EAP_GRID_HALF_WIDTH, EAP_GRID_HALF_WIDTH, EAP_GRID_POINTS)
    prior = -0.5 * grid**2
    # Distinct items (a, b, c): log P and log(1 - P) once per item, not once per response.
    params = np.stack([a, b, c], axis=1)
    items, item = np.unique(params, axis=0, return_inverse=True)
    item = item.ravel()
    log_p, log_q, _ = _log_p(grid, items[:, 0], items[:, 1], items[:, 2])
    order = np.argsort(person, kind="stable")
    person, item, y = person[order], item[order], y[order]
    theta = np.zeros(n_persons)
    sd = np.zeros(n_persons)
    for start in range(0, n_persons, chunk):
        stop = min(start + chunk, n_persons)
        lo, hi = np.searchsorted(person, [start, stop])
        rows = person[lo:hi] - start
        right = np.zeros((stop - start, len(items)))
        wrong = np.zeros((stop - start, len(items)))
        np.add.at(right, (rows, item[lo:hi]), y[lo:hi])
        np.add.at(wrong, (rows, item[lo:hi]), 1 - y[lo:hi])
        log_post = prior + right @ log_p + wrong @ log_q
        post = np.exp(log_post - log_post.max(axis=1, keepdims=True))
        post /= post.sum(axis=1, keepdims=True)
        mean = post @ grid
        theta[start:stop] = mean
        sd[start:stop] = np.sqrt(np.maximum(post @ grid**2 - mean**2, 0.0))
    return theta, sd


def theta_for_true_scores(true_scores, a, b, c, person, n_persons: int) -> np.ndarray:
    """`theta_for_true_score` for every person's form: θ solving TCC_person(θ) = X_person.

    `a`, `b`, `c` per response (the person's items), `true_scores` per person. -inf at or
    below a form's guessing floor, +inf at or above its number of items; else the root of the
    form's TCC, bracketed as `theta_for_true_score` does and bisected to 1e-12.
    """
    a, b, c = (np.asarray(x, dtype=float).ravel() for x in (a, b, c))
    person = _by_person(person, n_persons)
    x = np.asarray(true_scores, dtype=float).ravel()
    if len(x) != n_persons:
        raise ValueError("true_scores must have one value per person")
    n = np.bincount(person, minlength=n_persons).astype(float)
    floor = np.bincount(person, weights=c, minlength=n_persons)

    def gap(theta: np.ndarray) -> np.ndarray:
        p = c + (1.0 - c) * expit(a * (theta[person] - b))
        return np.bincount(person, weights=p, minlength=n_persons) - x

    out = np.full(n_persons, np.nan)
    out[x <= floor + 1e-12] = -math.inf
    out[(x >= n) & np.isnan(out)] = math.inf
    todo = np.isnan(out)
    lo = np.where(todo, -10.0, 0.0)
    hi = np.where(todo, 10.0, 0.0)
    while True:
        widen = todo & (gap(lo) > 0)
        if not widen.any():
            break
        lo[widen] *= 2
        gone = widen & (lo < -1e4)
        out[gone], todo[gone] = -math.inf, False
    while True:
        widen = todo & (gap(hi) < 0)
        if not widen.any():
            break
        hi[widen] *= 2
        gone = widen & (hi > 1e4)
        out[gone], todo[gone] = math.inf, False
    # Bisection: the sign of gap at lo is <= 0 and at hi >= 0 for every person still to do.
    for _ in range(200):
        if not todo.any() or (hi[todo] - lo[todo]).max() <= 1e-12:
            break
        mid = 0.5 * (lo + hi)
        below = gap(mid) < 0
        lo = np.where(todo & below, mid, lo)
        hi = np.where(todo & ~below, mid, hi)
    out[todo] = 0.5 * (lo[todo] + hi[todo])
    return out
