"""Server CPU per start and per first question page, in one process, in a minute or two.

    .venv/bin/python -m bench.start_cpu --students 200

A throwaway PostgreSQL with production durability (fsync, synchronous_commit and full page
writes on) and Redis, as `make bench` starts them; Django with the benchmark's settings
(`bench.settings`, production's) and persistent database connections; the seed bank; then
`--students` students who each press Start on the same exam blueprint through the whole
Django stack (Django's test client: URL routing, every middleware, the session, the view and
`attempt_start`) and open the first question page the start redirects to, as a browser does.
Each kind of request is counted separately: CPU of this process (Django) and of its
PostgreSQL backend (from /proc), and the queries it issued. The first start of the run is
reported on its own too (with a per-blueprint pool it is the one that fills the pool).
Redis and the HTTP server are left out, so the figures are the application's and database's
share, not a whole request's.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
from pathlib import Path

from bench.cpu import CpuMeter, run_on_stack
from bench.stack import create_students, log


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--students", type=int, default=200)
    p.add_argument("--blueprint", help="slug (default: the first active exam blueprint)")
    p.add_argument(
        "--profile",
        choices=("start", "page"),
        help="cProfile the starts or the first pages (profile.txt)",
    )
    p.add_argument("--out", help="output folder (default bench/out/start-cpu-<timestamp>)")
    args = p.parse_args(argv)
    return run_on_stack("start-cpu", args.out, lambda out: _measure(args, out), collectstatic=True)


def _measure(args, out: Path) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from exams.models import Attempt, Blueprint

    create_students(args.students)
    blueprints = Blueprint.objects.filter(is_active=True, mode=Blueprint.Mode.EXAM)
    blueprint = blueprints.get(slug=args.blueprint) if args.blueprint else blueprints.first()
    clients = []
    for user in User.objects.filter(username__startswith="bench").order_by("pk"):
        client = Client(SERVER_NAME="127.0.0.1")
        if clients:
            # One handler for all, as one server process has: each test client otherwise loads
            # the middleware on its first request (whitenoise scans every static file).
            client.handler = clients[0].handler
        client.force_login(user)
        clients.append(client)
    clients[0].get("/healthz")  # load the middleware once, outside the measurement
    cache.clear()  # nothing left from loading the bank: the first start is a cold one
    meter = CpuMeter(("first_start", "start", "first_page"), count_queries=True)
    profiler = cProfile.Profile() if args.profile else None

    def timed(kind: str, call, *call_args, expect: int):
        with meter.timing(kind):
            profiling = profiler and (kind == "first_page") == (args.profile == "page")
            if profiling:
                profiler.enable()
            response = call(*call_args)
            if profiling:
                profiler.disable()
        if response.status_code != expect:
            raise SystemExit(f"{kind}: HTTP {response.status_code} {response.content[:300]!r}")
        return response

    url = f"/exams/{blueprint.slug}/start/"
    for index, client in enumerate(clients):
        response = timed("first_start" if index == 0 else "start", client.post, url, expect=302)
        timed("first_page", client.get, response["Location"], expect=200)
        connection.close_if_unusable_or_obsolete()
    started = Attempt.objects.filter(blueprint=blueprint, user__username__startswith="bench")
    if started.count() != len(clients):
        raise SystemExit(f"{started.count()} attempts for {len(clients)} students")

    figures = {"blueprint": blueprint.slug, "items": blueprint.question_count, **meter.figures()}
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(60)
        (out / "profile.txt").write_text(text.getvalue())
    (out / "summary.json").write_text(json.dumps(figures, indent=2))
    meter.log(figures)
    log(f"{out}")
    return figures


if __name__ == "__main__":
    main()
