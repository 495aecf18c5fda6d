"""IRT calibration of the bank, equated scores and readiness (the Django side of `analytics.irt`).

The numbers come from `analytics/irt.py` (pure, no Django); this module gathers the responses
with set-based queries, stores runs, item parameters and equatings, and reads them back.

- A run calibrates every question version answered in a finished attempt (scored and unscored
  slots alike: pretest items are calibrated from their unscored slots) plus the current version
  of every published question (prior only when nobody answered it yet), and is linked to the
  previous done run's scale (`irt.link`: Stocking–Lord through the common items, mean/sigma
  with fewer than `irt.MIN_COMMON_ITEMS`, identity for the first run).
- "Calibrated" (the rule the results page and the dashboard use): the latest done run used at
  least `CALIBRATED_MIN_ATTEMPTS` finished attempts (setting, default 200), the blueprint's
  reference form has at least `REFERENCE_MIN_ITEMS` calibrated (non-prior) items, and at least
  `FORM_CALIBRATED_SHARE` of the attempt's scored items have a non-prior estimate in that run.
  Otherwise no equating is stored and the page shows the linear score labelled "uncalibrated
  estimate".
- An equating is a row per (attempt, run): a later run adds a row and never edits an older one.
"""

from __future__ import annotations

import logging
import math
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from exams.models import Attempt, AttemptItem, Blueprint
from questions.models import Question, QuestionDomain, QuestionVersion
from questions.services import question_promote

from .. import irt
from ..models import AttemptEquating, CalibrationRun, ItemCalibration

logger = logging.getLogger(__name__)

# Author's difficulty → prior mean of b (the design's μ_b).
DIFFICULTY_MEAN_B = {"easy": -1.0, "medium": 0.0, "hard": 1.0}
REFERENCE_MIN_ITEMS = 20  # calibrated scored items a blueprint's reference form needs
FORM_CALIBRATED_SHARE = 0.8  # share of an attempt's scored items that must be calibrated
READINESS_HALF_LIFE_DAYS = 30  # a response's weight halves every 30 days
READINESS_WINDOW_DAYS = 180  # older evidence (weight < 1/64) is left out
REFERENCE_FORM_ITEMS = 50  # the fresh form P(pass) is about: 50 scored items
CHUNK = 20_000  # rows fetched per round trip when gathering responses
EQUATE_BATCH = 5_000  # attempts equated per query and bulk insert (bounded memory)

# Pretest promotion thresholds (module constants, stated on the page).
PROMOTE_MIN_N = 200
PROMOTE_MIN_A = 0.5
PROMOTE_MAX_ABS_B = 3.0
PROMOTE_MAX_SE_B = 0.3


def calibrated_min_attempts() -> int:
    return getattr(settings, "CALIBRATED_MIN_ATTEMPTS", 200)


# ---- Runs ------------------------------------------------------------------------------------


@transaction.atomic
def calibration_request(*, user, dispatch: Callable[[int], object]) -> tuple[CalibrationRun, bool]:
    """Queue a calibration unless one is already queued or running.

    `dispatch(run_id)` queues the task after commit (the view and the beat task pass the
    task's `delay`; services do not import tasks).
    """
    active = (
        CalibrationRun.objects.select_for_update()
        .filter(status__in=[CalibrationRun.Status.QUEUED, CalibrationRun.Status.RUNNING])
        .first()
    )
    if active is not None:
        return active, False
    run = CalibrationRun.objects.create(requested_by=user)
    transaction.on_commit(lambda: dispatch(run.pk))
    return run, True


def calibration_progress(run_id: int, percent: int, message: str) -> None:
    CalibrationRun.objects.filter(pk=run_id).update(progress=percent, message=message[:200])


def latest_run() -> CalibrationRun | None:
    """The latest done run (the one scores and readiness use), or None."""
    return CalibrationRun.objects.filter(status=CalibrationRun.Status.DONE).first()


def _finished_items():
    return AttemptItem.objects.filter(
        attempt__state__in=[Attempt.State.SUBMITTED, Attempt.State.EXPIRED],
        is_correct__isnull=False,
    )


def _gather_responses() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(attempt ids, version ids, 0/1) of every answered item of a finished attempt: one query
    read in chunks (no per-attempt loop) into compact arrays (8 bytes an id, 1 a response)."""
    rows = (
        _finished_items()
        .order_by()
        .values_list("attempt_id", "version_id", "is_correct")
        .iterator(chunk_size=CHUNK)
    )
    attempts, versions, correct = array("q"), array("q"), array("b")
    for attempt_id, version_id, ok in rows:
        attempts.append(attempt_id)
        versions.append(version_id)
        correct.append(1 if ok else 0)
    return (
        np.frombuffer(attempts, dtype=np.int64) if attempts else np.zeros(0, np.int64),
        np.frombuffer(versions, dtype=np.int64) if versions else np.zeros(0, np.int64),
        np.frombuffer(correct, dtype=np.int8) if correct else np.zeros(0, np.int8),
    )


def _version_priors(version_ids: Iterable[int]) -> dict[int, tuple[float, float]]:
    """version id → (guessing floor c, prior mean of b). c = 1/options for multiple choice,
    0 for multiple response (scored 0/1, no partial credit: guessing is negligible)."""
    rows = (
        QuestionVersion.objects.filter(pk__in=list(version_ids))
        .annotate(n_options=Count("options"))
        .values_list("pk", "kind", "question__difficulty", "n_options")
    )
    priors = {}
    for pk, kind, difficulty, n_options in rows:
        c = 1.0 / n_options if kind == Question.Kind.MULTIPLE_CHOICE and n_options else 0.0
        priors[pk] = (c, DIFFICULTY_MEAN_B.get(difficulty, 0.0))
    return priors


def calibration_run(*, run_id: int) -> CalibrationRun:
    """Calibrate the bank into run `run_id`, link it to the previous done run, store it and
    equate every finished exam attempt that has no row for this run. Idempotent: a run that is
    already done is left alone (only missing equatings are added)."""
    run = CalibrationRun.objects.get(pk=run_id)
    if run.status == CalibrationRun.Status.DONE:
        equate_missing(run=run)
        return run
    CalibrationRun.objects.filter(pk=run_id).update(
        status=CalibrationRun.Status.RUNNING, started_at=timezone.now(), progress=5, error=""
    )
    try:
        calibration_progress(run_id, 10, "Gathering responses")
        attempts, versions, correct = _gather_responses()
        published = set(
            Question.objects.published()
            .filter(current_version__isnull=False)
            .values_list("current_version_id", flat=True)
        )
        version_ids = sorted({int(v) for v in np.unique(versions)} | published)
        person_ids, person = np.unique(attempts, return_inverse=True)
        item = np.searchsorted(np.asarray(version_ids, dtype=np.int64), versions)
        priors = _version_priors(version_ids)
        responses = irt.Responses(
            person=person.astype(np.int64),
            item=item.astype(np.int64),
            correct=correct,
            weight=None,
            n_persons=len(person_ids),
            n_items=len(version_ids),
        )
        prior = irt.ItemPrior(
            guessing=np.array([priors.get(v, (0.0, 0.0))[0] for v in version_ids]),
            mean_b=np.array([priors.get(v, (0.0, 0.0))[1] for v in version_ids]),
        )
        calibration_progress(run_id, 25, f"Calibrating {len(version_ids)} items")
        result = irt.calibrate(responses, prior)
        calibration_progress(run_id, 70, "Linking to the previous scale")
        previous = latest_run()
        link_a, link_b = 1.0, 0.0
        items = list(result.items)
        if previous is not None:
            old = {
                v: (a, b, c)
                for v, a, b, c in ItemCalibration.objects.filter(run=previous)
                .exclude(model=ItemCalibration.Model.PRIOR)
                .values_list("version_id", "a", "b", "c")
            }
            common = [
                (old[v], (est.a, est.b, est.c))
                for v, est in zip(version_ids, items, strict=True)
                if v in old and est.model != "prior"
            ]
            if common:
                link_a, link_b, _method = irt.link([o for o, _ in common], [n for _, n in common])
            items = list(irt.rescale(items, link_a, link_b))
        with transaction.atomic():
            ItemCalibration.objects.filter(run_id=run_id).delete()
            ItemCalibration.objects.bulk_create(
                [
                    ItemCalibration(
                        run_id=run_id,
                        version_id=v,
                        a=est.a,
                        b=est.b,
                        c=est.c,
                        se_a=_finite(est.se_a),
                        se_b=_finite(est.se_b),
                        n=est.n,
                        model=est.model,
                    )
                    for v, est in zip(version_ids, items, strict=True)
                ],
                batch_size=2000,
            )
            CalibrationRun.objects.filter(pk=run_id).update(
                progress=85,
                message="Equating attempts",
                attempts_used=len(person_ids),
                responses_used=len(correct),
                items_calibrated=sum(1 for est in items if est.model != "prior"),
                loglik=_finite(result.loglik),
                iterations=result.iterations,
                converged=result.converged,
                fit=_json_safe(result.fit),
                link_A=link_a,
                link_B=link_b,
                linked_to=previous,
            )
        run.refresh_from_db()
        equated = equate_missing(run=run)
        CalibrationRun.objects.filter(pk=run_id).update(
            status=CalibrationRun.Status.DONE,
            finished_at=timezone.now(),
            progress=100,
            message=f"Done: {equated} attempts equated",
        )
    except Exception as exc:
        CalibrationRun.objects.filter(pk=run_id).update(
            status=CalibrationRun.Status.FAILED,
            finished_at=timezone.now(),
            progress=100,
            message="Failed",
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        raise
    run.refresh_from_db()
    return run


def _json_safe(value):
    """numpy scalars (and NaN/inf) as plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return _finite(float(value))
    return value


def _finite(value):
    return value if value is not None and math.isfinite(value) else None


# ---- Reference form and equating --------------------------------------------------------------


@dataclass
class RunParams:
    """A run's item parameters, read once: version id → (a, b, c, model)."""

    run: CalibrationRun
    items: dict[int, tuple[float, float, float, str]]

    def calibrated(self, version_id: int) -> bool:
        row = self.items.get(version_id)
        return row is not None and row[3] != ItemCalibration.Model.PRIOR


def run_params(run: CalibrationRun) -> RunParams:
    return RunParams(
        run=run,
        items={
            v: (a, b, c, m)
            for v, a, b, c, m in ItemCalibration.objects.filter(run=run).values_list(
                "version_id", "a", "b", "c", "model"
            )
        },
    )


def blueprint_domain_weights(blueprint: Blueprint) -> dict[int, float]:
    """domain id → weight (the blueprint's own weights, else the guide's)."""
    own = {w.domain_id: float(w.weight) for w in blueprint.weights.all() if w.weight > 0}
    if own:
        return own
    return {d.pk: float(d.weight) for d in blueprint.guide.domains.all()}


def reference_domains(
    *, blueprint: Blueprint, params: RunParams
) -> list[tuple[float, list[tuple[float, float, float]]]]:
    """The blueprint-weighted reference form: per domain (normalised weight, calibrated
    published scored items of the guide). Domains without a calibrated item are left out."""
    weights = blueprint_domain_weights(blueprint)
    by_domain: dict[int, list[tuple[float, float, float]]] = defaultdict(list)
    for version_id, domain_id in (
        QuestionDomain.objects.filter(
            guide_id=blueprint.guide_id,
            domain_id__in=list(weights),
            question__status=Question.Status.PUBLISHED,
            question__is_pretest=False,
        )
        .values_list("question__current_version_id", "domain_id")
        .order_by()
    ):
        if version_id and params.calibrated(version_id):
            a, b, c, _m = params.items[version_id]
            by_domain[domain_id].append((a, b, c))
    total = sum(w for d, w in weights.items() if by_domain.get(d))
    return [(w / total, by_domain[d]) for d, w in weights.items() if by_domain.get(d)]


def reference_size(domains) -> int:
    return sum(len(items) for _w, items in domains)


@dataclass
class BlueprintCut:
    run: CalibrationRun
    cut_percent: float
    theta_cut: float
    reference_items: int

    @property
    def finite(self) -> bool:
        return math.isfinite(self.theta_cut)


def blueprint_cut(
    *, blueprint: Blueprint, run: CalibrationRun | None = None
) -> BlueprintCut | None:
    """θ_cut of a blueprint under a run (the latest done one by default), or None when the
    reference form is not calibrated yet."""
    run = run or latest_run()
    if not run_is_calibrated(run):
        return None
    domains = reference_domains(blueprint=blueprint, params=run_params(run))
    if reference_size(domains) < REFERENCE_MIN_ITEMS:
        return None
    cut = float(blueprint.cut_percent)
    return BlueprintCut(
        run=run,
        cut_percent=cut,
        theta_cut=float(irt.theta_for_percent(cut, domains)),
        reference_items=reference_size(domains),
    )


def run_is_calibrated(run: CalibrationRun | None) -> bool:
    return run is not None and run.attempts_used >= calibrated_min_attempts()


def equate_attempts(*, run: CalibrationRun, attempt_ids: list[int] | None = None) -> int:
    """Store an equating under `run` for each finished exam attempt (all, or `attempt_ids`)
    that has none for this run and meets the calibrated rule; never edits an existing row.
    Returns how many rows were added."""
    if not run_is_calibrated(run):
        return 0
    params = run_params(run)
    attempts = (
        Attempt.objects.finished()
        .filter(mode=Blueprint.Mode.EXAM)
        .exclude(equatings__run=run)
        .order_by()
    )
    if attempt_ids is not None:
        attempts = attempts.filter(pk__in=attempt_ids)
    meta = {
        pk: (blueprint_id, float(percent or 0), float(cut), passing)
        for pk, blueprint_id, percent, cut, passing in attempts.values_list(
            "pk", "blueprint_id", "percent", "cut_percent", "passing_score"
        )
    }
    if not meta:
        return 0
    domains_by_blueprint = {}
    for blueprint in Blueprint.objects.filter(
        pk__in={m[0] for m in meta.values()}
    ).prefetch_related("weights", "guide__domains"):
        domains = reference_domains(blueprint=blueprint, params=params)
        if reference_size(domains) >= REFERENCE_MIN_ITEMS:
            domains_by_blueprint[blueprint.pk] = domains
    added = 0
    ids = sorted(meta)
    for start in range(0, len(ids), EQUATE_BATCH):
        batch = ids[start : start + EQUATE_BATCH]
        added += _equate_batch(
            run=run,
            params=params,
            meta={pk: meta[pk] for pk in batch},
            domains_by_blueprint=domains_by_blueprint,
        )
    return added


def _equate_batch(*, run, params, meta, domains_by_blueprint) -> int:
    """Equate one batch of attempts: one query for their scored items, numpy over all of them
    at once (`irt.eap_many`, `irt.theta_for_true_scores`: the per-attempt `irt.eap` and
    `irt.true_score_equate` for every attempt together), one bulk insert."""
    rows = list(
        AttemptItem.objects.filter(attempt_id__in=list(meta), scored=True)
        .order_by()
        .values_list("attempt_id", "version_id", "is_correct")
        .iterator(chunk_size=CHUNK)
    )
    order = list(meta)  # the batch's attempts in their order (the rows are stored in it)
    index = {attempt_id: i for i, attempt_id in enumerate(order)}
    n = len(rows)
    who = np.fromiter((index[r[0]] for r in rows), dtype=np.int64, count=n)
    version = np.fromiter((r[1] for r in rows), dtype=np.int64, count=n)
    x = np.fromiter((1 if r[2] else 0 for r in rows), dtype=np.int64, count=n)
    versions, inverse = np.unique(version, return_inverse=True)
    table = np.array(
        [params.items[v][:3] if params.calibrated(v) else (np.nan,) * 3 for v in versions.tolist()]
    ).reshape(-1, 3)
    known = ~np.isnan(table[inverse.ravel(), 0])
    answered = np.bincount(who, minlength=len(order))
    calibrated = np.bincount(who[known], minlength=len(order))
    eligible = np.array(
        [
            meta[attempt_id][0] in domains_by_blueprint
            and answered[i] > 0
            and calibrated[i] >= FORM_CALIBRATED_SHARE * answered[i]
            for i, attempt_id in enumerate(order)
        ],
        dtype=bool,
    )
    if not eligible.any():
        return 0
    person_of = np.cumsum(eligible) - 1  # batch index → index among the eligible
    keep = known & eligible[who]
    person = person_of[who[keep]]
    a, b, c = table[inverse.ravel()[keep]].T
    y = x[keep]
    m = int(eligible.sum())
    theta, sd = irt.eap_many(a, b, c, y, person, m)
    # The score: IRT true-score equating of the number correct on the calibrated scored items
    # (`irt.true_score_equate`); θ (EAP) and its SD stay the reported ability, the band θ ± SD.
    correct = np.bincount(person, weights=y, minlength=m)
    items = np.bincount(person, minlength=m)
    floor = np.bincount(person, weights=c, minlength=m)
    theta_x = irt.theta_for_true_scores(correct, a, b, c, person, m)
    attempts = [attempt_id for i, attempt_id in enumerate(order) if eligible[i]]
    by_blueprint: dict[int, list[int]] = defaultdict(list)
    for k, attempt_id in enumerate(attempts):
        by_blueprint[meta[attempt_id][0]].append(k)
    percent = np.empty(m)
    low_percent = np.empty(m)
    high_percent = np.empty(m)
    for blueprint_id, ks in by_blueprint.items():
        domains = domains_by_blueprint[blueprint_id]
        ks = np.array(ks)
        reference_floor = irt._reference_floor(domains)
        solved = irt.reference_percent(theta_x[ks], domains)
        percent[ks] = np.where(
            correct[ks] >= items[ks],
            100.0,
            np.where(
                correct[ks] <= floor[ks],
                np.where(
                    floor[ks] <= 0,
                    0.0,
                    reference_floor * correct[ks] / np.where(floor[ks] > 0, floor[ks], 1.0),
                ),
                solved,
            ),
        )
        low_percent[ks] = irt.reference_percent(theta[ks] - sd[ks], domains)
        high_percent[ks] = irt.reference_percent(theta[ks] + sd[ks], domains)
    new = []
    for k, attempt_id in enumerate(attempts):
        _blueprint_id, raw_percent, cut, _passing = meta[attempt_id]
        score = irt._scale(float(percent[k]), cut)
        low = irt._scale(float(low_percent[k]), cut)
        high = irt._scale(float(high_percent[k]), cut)
        new.append(
            AttemptEquating(
                attempt_id=attempt_id,
                run=run,
                theta=float(theta[k]),
                theta_sd=float(sd[k]),
                raw_percent=raw_percent,
                equated_score=score,
                low=min(low, score),
                high=max(high, score),
            )
        )
    AttemptEquating.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    return len(new)


def equate_missing(*, run: CalibrationRun) -> int:
    return equate_attempts(run=run)


def equate_attempt(*, attempt_id: int) -> int:
    """Equate one just-finished attempt with the latest done run (0 when uncalibrated)."""
    run = latest_run()
    if run is None:
        return 0
    return equate_attempts(run=run, attempt_ids=[attempt_id])


# ---- Readiness --------------------------------------------------------------------------------


@dataclass
class WeakStatement:
    task_statement_id: int
    code: str
    title: str
    correct: float
    total: float
    drill_blueprint: Blueprint | None = None

    @property
    def percent(self) -> float:
        return 100 * self.correct / self.total if self.total else 0.0


@dataclass
class Readiness:
    guide_code: str
    probability: float | None  # 0..1, None when uncalibrated or no evidence
    low: float | None
    high: float | None
    items: int  # scored responses it rests on
    attempts: int
    half_life_days: int = READINESS_HALF_LIFE_DAYS
    theta: float | None = None
    calibrated: bool = False
    weakest: list[WeakStatement] = field(default_factory=list)

    @property
    def percent(self) -> int | None:
        return None if self.probability is None else round(100 * self.probability)

    @property
    def low_percent(self) -> int | None:
        return None if self.low is None else round(100 * self.low)

    @property
    def high_percent(self) -> int | None:
        return None if self.high is None else round(100 * self.high)


def reference_blueprint(guide_code: str) -> Blueprint | None:
    """The guide's full mock (the first active exam blueprint) that readiness is about."""
    return (
        Blueprint.objects.active()
        .filter(mode=Blueprint.Mode.EXAM, guide__code=guide_code)
        .select_related("guide")
        .prefetch_related("weights", "guide__domains")
        .order_by("position", "pk")
        .first()
    )


def _readiness_rows(*, user_ids: list[int], guide_code: str):
    """(user, attempt, version, ok, finished_at, task statement id) of recent scored items of
    the users' finished attempts in one guide, one query."""
    since = timezone.now() - timezone.timedelta(days=READINESS_WINDOW_DAYS)
    return (
        _finished_items()
        .filter(
            scored=True,
            attempt__user_id__in=user_ids,
            attempt__blueprint__guide__code=guide_code,
            attempt__finished_at__gte=since,
        )
        .order_by()
        .values_list(
            "attempt__user_id", "attempt_id", "version_id", "is_correct", "attempt__finished_at"
        )
        .iterator(chunk_size=CHUNK)
    )


def readiness_for_users(
    *, user_ids: list[int], guide_code: str, with_weakest: bool = False
) -> dict[int, Readiness]:
    """Chance of passing a fresh form of the guide now, per user, from one query of responses.

    Each response weighs w = 0.5 ** (age_days / READINESS_HALF_LIFE_DAYS); the ability
    posterior is computed on a grid and P(pass) integrated over it (see analytics.irt)."""
    run = latest_run()
    blueprint = reference_blueprint(guide_code)
    out = {
        u: Readiness(
            guide_code=guide_code, probability=None, low=None, high=None, items=0, attempts=0
        )
        for u in user_ids
    }
    if not user_ids:
        return out
    now = timezone.now()
    per_user: dict[int, list] = defaultdict(list)
    for user_id, attempt_id, version_id, ok, finished_at in _readiness_rows(
        user_ids=user_ids, guide_code=guide_code
    ):
        age = max((now - finished_at).total_seconds() / 86400, 0.0)
        per_user[user_id].append((attempt_id, version_id, 1 if ok else 0, age))
    for user_id, rows in per_user.items():
        out[user_id].items = len(rows)
        out[user_id].attempts = len({r[0] for r in rows})
    calibrated = run_is_calibrated(run) and blueprint is not None
    if calibrated:
        params = run_params(run)
        domains = reference_domains(blueprint=blueprint, params=params)
        calibrated = reference_size(domains) >= REFERENCE_MIN_ITEMS
    if calibrated:
        cut = float(blueprint.cut_percent)
        for user_id, rows in per_user.items():
            known = [r for r in rows if params.calibrated(r[1])]
            if not known:
                continue
            p = [params.items[r[1]] for r in known]
            a = np.array([x[0] for x in p])
            b = np.array([x[1] for x in p])
            c = np.array([x[2] for x in p])
            x = np.array([r[2] for r in known])
            w = np.array([0.5 ** (r[3] / READINESS_HALF_LIFE_DAYS) for r in known])
            grid, post = irt.posterior_grid(a, b, c, x, weight=w)
            prob, low, high = irt.pass_probability(
                grid, post, domains, cut_percent=cut, n_items=REFERENCE_FORM_ITEMS
            )
            theta = float(np.sum(np.asarray(grid) * np.asarray(post)) / np.sum(post))
            r = out[user_id]
            r.probability, r.low, r.high, r.theta, r.calibrated = prob, low, high, theta, True
    if with_weakest:
        _attach_weakest(out, per_user, guide_code)
    return out


def _attach_weakest(out: dict[int, Readiness], per_user, guide_code: str, top: int = 3) -> None:
    """The task statements with the lowest decayed share correct (what would move it most),
    weighted by their domain's weight: (1 − share) × domain weight."""
    from questions.models import TaskStatement

    versions = {r[1] for rows in per_user.values() for r in rows}
    statement_of = dict(
        QuestionVersion.objects.filter(
            pk__in=versions, question__domain_links__guide__code=guide_code
        ).values_list("pk", "question__domain_links__task_statement_id")
    )
    statements = {
        t.pk: t
        for t in TaskStatement.objects.filter(guide__code=guide_code).select_related("domain")
    }
    drills = {
        b.drill_task_statement_id: b
        for b in Blueprint.objects.active().filter(
            mode=Blueprint.Mode.DRILL, drill_task_statement__in=list(statements)
        )
    }
    for user_id, rows in per_user.items():
        tally: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for _attempt, version_id, ok, age in rows:
            ts = statement_of.get(version_id)
            if ts in statements:
                w = 0.5 ** (age / READINESS_HALF_LIFE_DAYS)
                tally[ts][0] += w * ok
                tally[ts][1] += w
        ranked = sorted(
            tally.items(),
            key=lambda kv: -(1 - kv[1][0] / kv[1][1]) * float(statements[kv[0]].domain.weight),
        )
        out[user_id].weakest = [
            WeakStatement(
                task_statement_id=ts,
                code=statements[ts].code,
                title=statements[ts].title,
                correct=c,
                total=t,
                drill_blueprint=drills.get(ts),
            )
            for ts, (c, t) in ranked[:top]
            if t and c / t < 1
        ]


def student_readiness(*, user, guide_code: str) -> Readiness:
    return readiness_for_users(user_ids=[user.pk], guide_code=guide_code, with_weakest=True)[
        user.pk
    ]


def results_for_attempt(*, attempt_id: int) -> list[AttemptEquating]:
    """The attempt's equatings, oldest first (the first is the score given at submission)."""
    return list(
        AttemptEquating.objects.filter(attempt_id=attempt_id)
        .select_related("run")
        .order_by("created_at", "pk")
    )


# ---- Pretest items ----------------------------------------------------------------------------


@dataclass
class PretestRow:
    question: Question
    calibration: ItemCalibration | None
    efficiency: float | None

    @property
    def ready(self) -> bool:
        c = self.calibration
        return bool(
            c
            and c.model != ItemCalibration.Model.PRIOR
            and c.n >= PROMOTE_MIN_N
            and c.a >= PROMOTE_MIN_A
            and abs(c.b) <= PROMOTE_MAX_ABS_B
            and c.se_b is not None
            and c.se_b <= PROMOTE_MAX_SE_B
        )


def discriminative_efficiency(a: float, b: float, c: float) -> float:
    """Discriminative efficiency, as we report it: the item's peak Fisher information (Lord's
    closed form for a 3PL with floor c on the logistic metric, D = 1),
    I_max = a² · (1 − 20c − 8c² + (1 + 8c)^1.5) / (8 · (1 − c)²),
    i.e. a²/4 for c = 0, less as guessing rises. It does not depend on b (b says where the
    peak lies), and the bigger the better: the precision the item adds where it measures best."""
    del b
    return a * a * (1 - 20 * c - 8 * c * c + (1 + 8 * c) ** 1.5) / (8 * (1 - c) ** 2)


def pretest_rows() -> list[PretestRow]:
    """Every pretest question with its current version's calibration in the latest run; a
    fixed number of queries whatever the number of items."""
    run = latest_run()
    questions = list(
        Question.objects.filter(is_pretest=True)
        .exclude(status=Question.Status.RETIRED)
        .select_related("current_version")
        .order_by("key")
    )
    calibrations = {}
    if run is not None:
        calibrations = {
            c.version_id: c
            for c in ItemCalibration.objects.filter(
                run=run, version_id__in=[q.current_version_id for q in questions]
            )
        }
    rows = []
    for q in questions:
        cal = calibrations.get(q.current_version_id)
        rows.append(
            PretestRow(
                question=q,
                calibration=cal,
                efficiency=discriminative_efficiency(cal.a, cal.b, cal.c)
                if cal and cal.model != ItemCalibration.Model.PRIOR
                else None,
            )
        )
    return rows


def runs_summary(limit: int = 10) -> list[CalibrationRun]:
    return list(CalibrationRun.objects.select_related("requested_by")[:limit])


def attempts_answered_count() -> int:
    return Attempt.objects.finished().filter(~Q(scored_count=None)).count()


# ---- Cohort readiness ---------------------------------------------------------------------------

AT_RISK_PROBABILITY = 0.5  # a chance of passing below this puts a student on the at-risk list


@dataclass
class CohortReadiness:
    guide_code: str
    calibrated: bool
    rows: list  # (user, Readiness), by username
    histogram: list[tuple[int, int]]  # (low percent of a 10-point bucket, students)
    at_risk: list  # (user, Readiness), lowest chance first
    no_evidence: int


def cohort_readiness(*, cohort, guide_code: str) -> CohortReadiness:
    """Every student's chance of passing, its distribution and who is at risk: one query of
    responses for the whole cohort (plus a few fixed ones)."""
    people = list(cohort.students.order_by("username"))
    by_user = readiness_for_users(user_ids=[u.pk for u in people], guide_code=guide_code)
    rows = [(u, by_user[u.pk]) for u in people]
    scored = [(u, r) for u, r in rows if r.probability is not None]
    counts = [0] * 10
    for _u, r in scored:
        counts[min(int(r.probability * 10), 9)] += 1
    return CohortReadiness(
        guide_code=guide_code,
        calibrated=bool(scored),
        rows=rows,
        histogram=[(10 * i, n) for i, n in enumerate(counts)],
        at_risk=sorted(
            ((u, r) for u, r in scored if r.probability < AT_RISK_PROBABILITY),
            key=lambda row: row[1].probability,
        ),
        no_evidence=sum(1 for _u, r in rows if r.items == 0),
    )


def pretest_promote(*, question: Question, user) -> Question:
    """Promote a pretest item through the questions service (which writes the audit event),
    recording the calibration it was promoted on."""
    run = latest_run()
    cal = (
        ItemCalibration.objects.filter(run=run, version_id=question.current_version_id).first()
        if run
        else None
    )
    detail = {"run": run.pk if run else None}
    if cal is not None:
        detail.update(n=cal.n, a=round(cal.a, 4), b=round(cal.b, 4), se_b=cal.se_b)
    return question_promote(question=question, user=user, detail=detail)
