"""Server CPU per autosave against the floor endpoint, in one process, in a couple of minutes.

    .venv/bin/python -m bench.autosave_cpu --students 100 --ticks 20

A throwaway PostgreSQL and Redis (as `make bench` starts them), Django with the benchmark's
settings (`bench.settings`, production's) and persistent database connections, `--students`
students each with an exam in progress. Then `--ticks` rounds in which every student autosaves
once through the whole Django stack (Django's test client: URL routing, every middleware, the
session, the rate limit, the view and the service), as the page does (a new answer most of the
time, the same answer sometimes, moving to the next question 30 % of the time), next to a POST
to the floor endpoint (`/bench/floor/`: the cheapest logged-in write). The two kinds of request
alternate, so both see the same machine. CPU is counted for this process (Django) and for its
PostgreSQL backend (from /proc), per kind of request; Redis and the HTTP server are left out,
so the figures are the application's and database's share, not a whole request's.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import time
from pathlib import Path

from bench.cpu import CpuMeter, run_on_stack, students_in_progress
from bench.stack import log


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--students", type=int, default=100)
    p.add_argument("--ticks", type=int, default=20, help="autosaves per student")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--profile",
        action="store_true",
        help="cProfile this process's CPU time (not wall time) per kind of request:\n"
        "profile-save.txt and profile-floor.txt, by own time and by cumulative time\n"
        "(and .prof files for pstats)",
    )
    p.add_argument("--out", help="output folder (default bench/out/autosave-cpu-<timestamp>)")
    args = p.parse_args(argv)
    return run_on_stack(
        "autosave-cpu",
        args.out,
        lambda out: _measure(args, out),
        collectstatic=False,
        AUTOSAVE_RATE_LIMIT="1000",
    )


def _measure(args, out: Path) -> dict:
    from django.db import connection

    from exams.models import AttemptItem

    rng = random.Random(args.seed)
    blueprint, started = students_in_progress(args.students, HTTP_ACCEPT="application/json")
    students = []
    for client, attempt in started:
        options = dict(
            AttemptItem.objects.filter(attempt=attempt).values_list("position", "option_order")
        )
        students.append({"client": client, "attempt": attempt.pk, "options": options, "at": 1})
    log(f"{len(students)} students with {blueprint.slug} in progress")
    meter = CpuMeter(("save", "floor"))

    def timed(kind: str, call, *call_args) -> None:
        with meter.timing(kind):
            response = call(*call_args)
        if response.status_code != 200:
            raise SystemExit(f"{kind}: HTTP {response.status_code} {response.content[:200]!r}")

    # CPU time, as the figures count it: waiting on PostgreSQL or Redis is not this process's.
    profilers = (
        {kind: cProfile.Profile(time.process_time) for kind in meter.spent}
        if args.profile
        else None
    )
    if profilers:
        plain = timed

        def timed(kind: str, call, *call_args) -> None:
            profilers[kind].enable()
            try:
                plain(kind, call, *call_args)
            finally:
                profilers[kind].disable()

    seq = int(time.time() * 1000)
    for tick in range(args.ticks):
        for student in students:
            if tick and rng.random() < 0.3:
                student["at"] = student["at"] % len(student["options"]) + 1
            position = student["at"]
            seq += 1
            option = rng.choice(student["options"][position][:2])  # often the same answer again
            client, url = student["client"], f"/attempts/{student['attempt']}/q/{position}/answer/"
            timed("save", client.post, url, {"option": [option], "seq": seq})
            timed("floor", client.post, "/bench/floor/")
        connection.close_if_unusable_or_obsolete()

    figures = meter.figures()
    figures["ratio_cpu_save_to_floor"] = figures["save"]["cpu_ms"] / figures["floor"]["cpu_ms"]
    for kind, profiler in (profilers or {}).items():
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("tottime").print_stats(50)
        stats.sort_stats("cumulative").print_stats(80)
        (out / f"profile-{kind}.txt").write_text(text.getvalue())
        stats.dump_stats(out / f"profile-{kind}.prof")  # for pstats or snakeviz
    (out / "summary.json").write_text(json.dumps(figures, indent=2))
    meter.log(figures)
    log(f"autosave CPU / floor CPU: {figures['ratio_cpu_save_to_floor']:.2f}; {out}")
    return figures


if __name__ == "__main__":
    main()
