"""Calibration benchmark: the IRT calibration over 100,000 attempts (issue 12, target 5 min).

    python -m bench.calibration [--attempts 100000] [--items 450] [--form 65] [--no-service]

1. **Pure**: `analytics.irt.calibrate` on simulated sparse data of that size: `--attempts`
   persons with θ ~ N(0, 1), each answering `--form` of `--items` items (a random form per
   person) from a known 3PL with fixed floors; timed, and the recovery reported.
2. **Service** (unless `--no-service`): a throwaway PostgreSQL with the seed bank and
   `--attempts` submitted DVA-C01 full mocks loaded by COPY (`bench.analytics.load`, the
   analytics benchmark's loader), then the calibration service: the gather query alone
   (`_gather_responses`) and the whole `calibration_run` (gather, EM, store, and the equating
   of every attempt), each timed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

import numpy as np

from bench.report import machine
from bench.stack import Stack, create_students, log, new_out_dir, prepare_database

TARGET_S = 300.0


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--attempts", type=int, default=100_000)
    p.add_argument("--items", type=int, default=450, help="items in the bank (pure part)")
    p.add_argument("--form", type=int, default=65, help="items per attempt (pure part)")
    p.add_argument("--no-service", action="store_true", help="skip the database part")
    p.add_argument("--no-pure", action="store_true", help="skip the pure part")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--out", help="output folder (default bench/out/calibration-<timestamp>)")
    return p.parse_args(argv)


def pure(attempts: int, items: int, form: int, seed: int) -> dict:
    from analytics import irt

    rng = np.random.default_rng(seed)
    a = np.exp(rng.normal(0, 0.3, items))
    b = rng.normal(0, 1, items)
    c = np.where(rng.random(items) < 0.63, 0.25, 0.0)
    theta = rng.normal(0, 1, attempts)
    t = time.perf_counter()
    # A random form per person: argsort of random keys gives `form` distinct items per row.
    item = np.argsort(rng.random((attempts, items)), axis=1)[:, :form].ravel()
    person = np.repeat(np.arange(attempts), form)
    p = irt.prob(theta[person], a[item], b[item], c[item])
    correct = (rng.random(len(p)) < p).astype(np.int8)
    generate_s = time.perf_counter() - t
    responses = irt.Responses(
        person=person, item=item, correct=correct, n_persons=attempts, n_items=items
    )
    prior = irt.ItemPrior(guessing=c, mean_b=np.zeros(items))
    t = time.perf_counter()
    result = irt.calibrate(responses, prior)
    seconds = time.perf_counter() - t
    est_a = np.array([e.a for e in result.items])
    est_b = np.array([e.b for e in result.items])
    return {
        "attempts": attempts,
        "responses": int(len(person)),
        "items": items,
        "generate_s": generate_s,
        "calibrate_s": seconds,
        "iterations": result.iterations,
        "converged": result.converged,
        "corr_a": float(np.corrcoef(a, est_a)[0, 1]),
        "corr_b": float(np.corrcoef(b, est_b)[0, 1]),
    }


def service(args, out) -> dict:
    from bench.analytics import Bank, load

    figures = {}
    with Stack(out) as stack:
        stack.start_postgres()
        stack.setup_django()
        prepare_database(collectstatic=False)
        from accounts.models import User

        create_students(max(args.attempts // 10, 1))
        user_ids = list(User.objects.order_by("pk").values_list("pk", flat=True))
        rng = random.Random(args.seed)
        t = time.monotonic()
        load(Bank(rng), argparse.Namespace(attempts=args.attempts), user_ids, rng)
        figures["load_s"] = time.monotonic() - t
        log(f"loaded {args.attempts:,} attempts in {figures['load_s']:.0f} s")

        from analytics.models import AttemptEquating, CalibrationRun
        from analytics.services import calibration

        t = time.perf_counter()
        attempts, _versions, _correct = calibration._gather_responses()
        figures["gather_s"] = time.perf_counter() - t
        figures["responses"] = len(attempts)
        log(f"gather: {len(attempts):,} responses in {figures['gather_s']:.1f} s")
        run = CalibrationRun.objects.create()
        # The run's own progress messages mark its phases; note when each one starts.
        phases: list[tuple[str, float]] = []
        report_progress = calibration.calibration_progress

        def timed_progress(run_id, percent, message):
            phases.append((message, time.perf_counter()))
            report_progress(run_id, percent, message)

        calibration.calibration_progress = timed_progress
        t = time.perf_counter()
        try:
            calibration.calibration_run(run_id=run.pk)
        finally:
            calibration.calibration_progress = report_progress
        end = time.perf_counter()
        figures["run_s"] = end - t
        marks = [*phases, ("end", end)]
        figures["phases_s"] = {
            name: round(marks[i + 1][1] - at, 1) for i, (name, at) in enumerate(marks[:-1])
        }
        log(f"phases: {figures['phases_s']}")
        run.refresh_from_db()
        figures.update(
            status=run.status,
            iterations=run.iterations,
            items_calibrated=run.items_calibrated,
            equated=AttemptEquating.objects.filter(run=run).count(),
        )
        log(f"calibration_run: {figures['run_s']:.1f} s, {figures['equated']:,} equated")
    return figures


def main(argv=None) -> int:
    args = parse_args(argv)
    out = new_out_dir("calibration", args.out)
    figures = {}
    if not args.no_pure:
        log(f"pure: irt.calibrate, {args.attempts:,} attempts x {args.form} of {args.items} items")
        figures["pure"] = p = pure(args.attempts, args.items, args.form, args.seed)
        log(
            f"pure: {p['responses']:,} responses calibrated in {p['calibrate_s']:.1f} s "
            f"({p['iterations']} iterations; corr a {p['corr_a']:.3f}, corr b {p['corr_b']:.3f})"
        )
    if not args.no_service:
        figures["service"] = service(args, out)
    figures["machine"] = machine()
    figures["target_s"] = TARGET_S
    (out / "summary.json").write_text(json.dumps(figures, indent=2, default=str))
    print(json.dumps(figures, indent=2, default=str))
    worst = max(
        figures.get("pure", {}).get("calibrate_s", 0.0),
        figures.get("service", {}).get("run_s", 0.0),
    )
    return 0 if worst <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
