"""Server CPU and statements per submit against the floor endpoint, in one process, in a minute.

    .venv/bin/python -m bench.submit_cpu --students 100

As `bench.autosave_cpu` does: a throwaway PostgreSQL (production durability) and Redis, Django
with the benchmark's settings, `--students` students each with a full mock in progress and every
item answered (set-based, through the selections table). Then every student submits once
through the whole Django stack (the test client), next to a POST to the floor endpoint; then
the page the submit lands on is fetched once, so its cost is printed too. CPU is this process
(Django) and its PostgreSQL backend, per kind of request; statements are counted per request.
Analytics are not in these figures: Celery is not running, so their tasks wait in Redis.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
from pathlib import Path

from bench.cpu import CpuMeter, run_on_stack, students_in_progress
from bench.stack import log


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--students", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--profile", action="store_true", help="cProfile the submits (profile.txt)")
    p.add_argument("--out", help="output folder (default bench/out/submit-cpu-<timestamp>)")
    args = p.parse_args(argv)
    # collectstatic: the landing page renders.
    return run_on_stack("submit-cpu", args.out, lambda out: _measure(args, out), collectstatic=True)


def _answer_everything(attempt_ids: list[int], rng: random.Random) -> None:
    """One option per item (about half of them right), written in bulk as the saves would."""
    from exams.models import AttemptItem, ItemSelection

    rows = []
    for item_id, order in AttemptItem.objects.filter(attempt_id__in=attempt_ids).values_list(
        "pk", "option_order"
    ):
        rows.append(ItemSelection(item_id=item_id, option_id=rng.choice(order)))
    ItemSelection.objects.bulk_create(rows, batch_size=5000)


def _measure(args, out: Path) -> dict:
    from django.db import connection

    rng = random.Random(args.seed)
    blueprint, started = students_in_progress(args.students)
    students = []
    for client, attempt in started:
        # Each test client loads the middleware on its first request (WhiteNoise scans the
        # static files then): a worker does that once at start, so it is left out of the figures.
        client.get("/healthz")
        students.append({"client": client, "attempt": attempt.pk})
    _answer_everything([s["attempt"] for s in students], rng)
    log(f"{len(students)} students with {blueprint.slug} answered in full")
    kinds = ("submit", "floor", "landing")
    meter = CpuMeter(kinds, count_queries=True)
    profiler = cProfile.Profile() if args.profile else None

    def timed(kind: str, call, *call_args, status: int):
        with meter.timing(kind):
            if profiler and kind == "submit":
                profiler.enable()
            response = call(*call_args)
            if profiler:
                profiler.disable()
        if response.status_code != status:
            raise SystemExit(f"{kind}: HTTP {response.status_code} {response.content[:200]!r}")
        return response

    landings = []
    for student in students:
        client = student["client"]
        response = timed(
            "submit", client.post, f"/attempts/{student['attempt']}/submit/", status=302
        )
        landings.append((client, response["Location"]))
        timed("floor", client.post, "/bench/floor/", status=200)
    for client, location in landings:
        timed("landing", client.get, location, status=200)
    connection.close_if_unusable_or_obsolete()

    figures = {"landing_page": landings[0][1] if landings else None, **meter.figures()}
    figures["ratio_cpu_submit_to_floor"] = figures["submit"]["cpu_ms"] / figures["floor"]["cpu_ms"]
    if profiler:
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("tottime").print_stats(40)
        stats.sort_stats("cumulative").print_stats(80)
        (out / "profile.txt").write_text(text.getvalue())
    (out / "summary.json").write_text(json.dumps(figures, indent=2))
    meter.log(figures)
    log(f"submit CPU / floor CPU: {figures['ratio_cpu_submit_to_floor']:.2f}; {out}")
    return figures


if __name__ == "__main__":
    main()
