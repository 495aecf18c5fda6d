"""Load benchmark: N students sit one mock exam together against the production stack.

    python -m bench.run [--users 1000] [--login-window 300] [--duration 200] [--nodes 1] ...

Starts a throwaway PostgreSQL with production durability (fsync, synchronous_commit and
full_page_writes on; read back with SHOW and stated in the summary) and Redis, migrates, loads
the seed question bank, creates the students in bulk, serves the app with gunicorn
(bench.settings = config.settings.prod, the Dockerfile's 5 workers x 2 threads; with
`--nodes N` the workers split over N gunicorn instances behind HAProxy, and Django goes
through PgBouncer in transaction pooling mode, as `--pgbouncer` also does with one node) plus a
Celery worker, and drives it open-loop with locust (bench/locustfile.py): log-ins spread over
`--login-window`, starts over `--start-window`, autosaves on a fixed timetable, submits over
`--submit-window` before the deadline, every latency from the request's scheduled moment.

Then it prints per-endpoint latency, the end-to-end save time (retries included), autosave
against the floor endpoint, server CPU per request of each endpoint (the request log's
`cpu_ms`), CPU per process per phase, checks in the database that no acknowledged answer was
lost and every attempt was scored exactly once, times the analytics after the last submit,
judges each line of issue 13's bar (met / MISSED with the figure), and (unless
--analytics-attempts 0) runs bench.analytics and bench.calibration.

Exit status 1 when a request failed, a student did not finish, or an integrity check failed;
latency and CPU targets that are missed are reported, not turned into a failure.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from bench.report import (
    FLOOR,
    CpuSampler,
    fmt,
    machine,
    request_cpu,
    summarise,
    table,
)
from bench.stack import (
    DURABLE,
    PASSWORD,
    REPO,
    Stack,
    create_students,
    log,
    new_out_dir,
    prepare_database,
)

# The bar (issue 13, item 8).
TARGETS = {
    "start_p95_ms": 1500.0,
    "submit_p95_ms": 1500.0,
    "autosave_p95_ms": 100.0,
    "autosave_cpu_floor_ratio": 1.3,
    "analytics_after_submits_s": 120.0,
}
AUTOSAVE = "POST answer (autosave)"
SAVE_E2E = "save end-to-end (with retries)"
LOGIN_E2E = "log-in end-to-end"
LOGIN_REQUESTS = ("GET login", "POST login", "GET exams")
ORDER = [
    "GET login",
    "POST login",
    "GET exams",
    LOGIN_E2E,
    "POST start",
    "GET question",
    AUTOSAVE,
    SAVE_E2E,
    "POST floor",
    "POST flag",
    "GET state",
    "POST submit",
    "GET submitted",
]


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--users", type=int, default=1000, help="students (default 1000)")
    p.add_argument(
        "--login-window",
        type=float,
        default=300.0,
        help="log-ins spread evenly over this many seconds (default 300)",
    )
    p.add_argument(
        "--spawn-rate",
        type=float,
        default=100.0,
        help="locust greenlets created per second before the log-in window (default 100; "
        "each only waits for its scheduled log-in)",
    )
    p.add_argument(
        "--duration",
        type=float,
        default=200.0,
        help="seconds from the gate to the deadline (default 200: the start window, then "
        "180 s of exam)",
    )
    p.add_argument("--start-window", type=float, default=20.0, help="starts spread over (s)")
    p.add_argument("--submit-window", type=float, default=20.0, help="submits spread over (s)")
    p.add_argument("--tick", type=float, default=10.0, help="seconds between autosaves")
    p.add_argument(
        "--floor-every",
        type=int,
        default=3,
        help="a floor request next to every n-th autosave (default 3)",
    )
    p.add_argument("--navigate-probability", type=float, default=0.3)
    p.add_argument("--flag-probability", type=float, default=0.1)
    p.add_argument(
        "--nodes",
        type=int,
        default=1,
        help="gunicorn instances on separate ports; more than 1 puts HAProxy in front and "
        "PgBouncer behind them (default 1)",
    )
    p.add_argument(
        "--pgbouncer",
        action="store_true",
        help="Django through PgBouncer in transaction pooling mode (implied by --nodes > 1)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=5,
        help="gunicorn workers in all, split between the nodes (Dockerfile: 5 = 2 x cores + 1)",
    )
    p.add_argument("--threads", type=int, default=2, help="threads per worker (Dockerfile: 2)")
    p.add_argument("--celery-concurrency", type=int, default=2, help="(docker-compose: 2)")
    p.add_argument(
        "--analytics-attempts",
        type=int,
        default=100_000,
        help="then run bench.analytics with this many attempts (0: skip)",
    )
    p.add_argument("--out", help="output folder (default bench/out/load-<timestamp>)")
    p.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for gunicorn and celery, e.g. CONN_MAX_AGE=0 (repeatable)",
    )
    args = p.parse_args(argv)
    if args.users < 1 or args.nodes < 1 or args.workers < args.nodes:
        p.error("--users and --nodes must be at least 1, --workers at least --nodes")
    if min(args.tick, args.duration, args.login_window, args.spawn_rate) <= 0:
        p.error("--tick, --duration, --login-window and --spawn-rate must be positive")
    if args.start_window + args.submit_window + 2 * args.tick > args.duration:
        p.error("--duration must leave room for the start and submit windows and two ticks")
    args.pgbouncer = args.pgbouncer or args.nodes > 1
    return args


def workers_per_node(args) -> list[int]:
    """--workers split as evenly as possible between the nodes (5 on 2 nodes: 3 + 2)."""
    base, extra = divmod(args.workers, args.nodes)
    return [base + (1 if i < extra else 0) for i in range(args.nodes)]


# --- The run ------------------------------------------------------------------------------------
GATE_DELAY = 5.0  # seconds between the end of the log-in window and the gate


def run_locust(stack: Stack, args, url: str, usernames: list[str], out: Path) -> tuple[dict, int]:
    login_lead = args.users / args.spawn_rate + 3
    config = {
        "users": args.users,
        "usernames": usernames,
        "password": PASSWORD,
        "login_lead": login_lead,
        "login_window": args.login_window,
        "gate_delay": GATE_DELAY,
        "duration": args.duration,
        "start_window": args.start_window,
        "submit_window": args.submit_window,
        "tick": args.tick,
        "navigate_probability": args.navigate_probability,
        "floor_every": max(1, args.floor_every),
        "flag_probability": args.flag_probability,
        "finish_timeout": 120,
        "output": str(out / "locust-results.json"),
    }
    (out / "locust-config.json").write_text(json.dumps(config))
    config["expected_s"] = login_lead + args.login_window + GATE_DELAY + args.duration
    run_time = int(config["expected_s"] + config["finish_timeout"] + 120)
    cmd = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(REPO / "bench" / "locustfile.py"),
        "--headless",
        "-u",
        str(args.users),
        "-r",
        str(args.spawn_rate),
        "-t",
        f"{run_time}s",
        "--host",
        url,
        "--csv",
        str(out / "locust"),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--stop-timeout",
        "30",
    ]
    env = {**stack.django_env(), "BENCH_CONFIG": str(out / "locust-config.json")}
    process = stack.spawn("locust", cmd, env)
    return config, process.pid


def wait_locust(stack: Stack, timeout: float) -> dict:
    process = stack.processes["locust"]
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"locust still running after {timeout:.0f} s") from exc
    path = stack.out / "locust-results.json"
    if not path.exists():
        raise RuntimeError(f"locust wrote no results:\n{(stack.out / 'locust.log').read_text()}")
    return json.loads(path.read_text())


def busy_elsewhere(stack: Stack, seconds: float = 3.0) -> float:
    """Cores busy on this machine while the benchmark's own servers sit idle."""
    import psutil

    before = psutil.cpu_times()
    time.sleep(seconds)
    after = psutil.cpu_times()
    return sum(getattr(after, f) - getattr(before, f) for f in ("user", "system", "nice")) / seconds


# --- Checks against the database ------------------------------------------------------------------
def wait_for_analytics(attempt_ids: list[int], timeout: float = 300) -> float | None:
    """The moment (time.time()) by which every attempt had its analytics rows, or None.

    Polled once a second, so the moment is at most a second late.
    """
    from django.db import connection

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(DISTINCT attempt_id) FROM analytics_attemptdomainresult "
                "WHERE attempt_id = ANY(%s)",
                [attempt_ids],
            )
            if cur.fetchone()[0] >= len(attempt_ids):
                return time.time()
        time.sleep(1)
    return None


def check_integrity(results: dict, usernames: list[str]) -> dict:
    # Late imports: Django is set up by prepare_database(), after this module is loaded.
    from django.db import connection

    from exams.models import Attempt, AttemptEvent

    logged_in_names = usernames  # every student who started is among these
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT u.username, a.id, a.state, a.scaled_score,
                   (SELECT count(*) FROM exams_attempt a2 WHERE a2.user_id = u.id),
                   (SELECT count(*) FROM exams_attemptevent e
                     WHERE e.attempt_id = a.id AND e.kind IN (%s, %s)),
                   (SELECT count(*) FROM exams_attemptitem i
                     WHERE i.attempt_id = a.id AND i.is_correct IS NULL),
                   (SELECT count(*) FROM exams_attemptitem i WHERE i.attempt_id = a.id)
            FROM accounts_user u JOIN exams_attempt a ON a.user_id = u.id
            WHERE u.username = ANY(%s)
            """,
            [AttemptEvent.Kind.SUBMIT, AttemptEvent.Kind.AUTO_SUBMIT, logged_in_names],
        )
        rows = cur.fetchall()
        attempt_ids = [r[1] for r in rows]
        cur.execute(
            """
            SELECT i.attempt_id, i.position, i.answer_seq,
                   COALESCE(array_agg(s.option_id ORDER BY s.option_id)
                            FILTER (WHERE s.option_id IS NOT NULL), '{}')
            FROM exams_attemptitem i LEFT JOIN exams_itemselection s ON s.item_id = i.id
            WHERE i.attempt_id = ANY(%s)
            GROUP BY 1, 2, 3
            """,
            [attempt_ids],
        )
        stored = {f"{a}:{p}": (seq, list(opts)) for a, p, seq, opts in cur.fetchall()}

    by_user = {r[0]: r for r in rows}
    client_attempts = results["attempts"]
    problems = []
    not_scored = [r[1] for r in rows if r[2] == Attempt.State.IN_PROGRESS or r[3] is None]
    scored_twice = [r[1] for r in rows if r[5] != 1]
    several_attempts = [r[0] for r in rows if r[4] != 1]
    unscored_items = [r[1] for r in rows if r[6]]
    wrong_id = [u for u, a in client_attempts.items() if by_user.get(u, (None, None))[1] != a]
    missing = [u for u in client_attempts if u not in by_user]
    if not_scored:
        problems.append(f"{len(not_scored)} attempts not scored, e.g. {not_scored[:5]}")
    if scored_twice:
        problems.append(f"{len(scored_twice)} attempts without exactly one submit event")
    if several_attempts:
        problems.append(f"{len(several_attempts)} students with more than one attempt")
    if unscored_items:
        problems.append(f"{len(unscored_items)} attempts with items left ungraded")
    if wrong_id or missing:
        problems.append(f"{len(wrong_id) + len(missing)} attempts the client saw differ")

    lost, applied_unacked, confirmed = [], 0, 0
    sent = results["sent"]
    for key, (seq, options) in results["acked"].items():
        db_seq, db_options = stored.get(key, (None, None))
        if db_seq == seq and db_options == options:
            confirmed += 1
        elif (
            db_seq is not None
            and db_seq > seq
            and any(s == db_seq and o == db_options for s, o, _status in sent.get(key, []))
        ):
            applied_unacked += 1  # a newer save whose response never arrived; nothing lost
        else:
            lost.append((key, seq, options, db_seq, db_options))
    if lost:
        problems.append(f"{len(lost)} acknowledged answers not in the database, e.g. {lost[:3]}")
    return {
        "students_with_attempt": len(rows),
        "attempts_started_client": len(client_attempts),
        "attempts_scored": len(rows) - len(not_scored),
        "attempts_scored_exactly_once": len(rows) - len(scored_twice),
        "acked_answers": len(results["acked"]),
        "acked_answers_confirmed": confirmed,
        "applied_without_ack": applied_unacked,
        "lost_answers": len(lost),
        "attempt_ids": attempt_ids,
        "problems": problems,
    }


# --- Figures ------------------------------------------------------------------------------------
def phases(results: dict, args) -> dict[str, tuple[float, float]]:
    """The phases, by scheduled time of the request.

    Steady: from one tick after the last Start was answered (everyone is sitting the exam)
    until the submit window opens; the rush: the submit window and whatever it left queued.
    """
    t0, end = results["t0"], results["exam_end"]
    starts = [r[0] + r[2] / 1000 for r in results["records"] if r[1] == "POST start"]
    started = max([t0 + args.start_window, *starts])
    steady_from = min(started + args.tick, end - args.submit_window)
    return {
        "log-ins": (results["login_t0"], t0),
        "start burst": (t0, steady_from),
        "steady": (steady_from, end - args.submit_window),
        "deadline rush": (end - args.submit_window, end + 120),
        "whole exam": (t0, end + 120),
    }


def analyse(results: dict, args) -> dict:
    records = results["records"]
    t0 = results["t0"]
    by_name: dict[str, list] = defaultdict(list)
    for rec in records:
        by_name[rec[1]].append(rec)

    endpoints = {}
    for name in sorted(by_name, key=lambda n: ORDER.index(n) if n in ORDER else 99):
        recs = by_name[name]
        first = min(r[0] for r in recs)
        last = max(r[0] + r[2] / 1000 for r in recs)
        stats = summarise([r[2] for r in recs])
        stats.update(
            errors=sum(1 for r in recs if not r[4]),
            rps=len(recs) / max(last - first, 1e-9),
            statuses=sorted({r[3] for r in recs if not r[4]}),
            service_p95=summarise([r[5] for r in recs])["p95"],
        )
        endpoints[name] = stats

    spans = phases(results, args)
    compare = {}
    for phase, (a, b) in spans.items():
        row = {}
        for name in (AUTOSAVE, FLOOR, SAVE_E2E):
            row[name] = summarise([r[2] for r in by_name.get(name, []) if a <= r[0] < b])
        auto, floor = row[AUTOSAVE]["p95"], row[FLOOR]["p95"]
        row["ratio_p95"] = (auto / floor) if auto and floor else None
        row["errors"] = sum(
            1 for r in records if a <= r[0] < b and not r[4] and r[1] not in (SAVE_E2E,)
        )
        compare[phase] = row

    def burst(name: str) -> dict:
        recs = by_name.get(name, [])
        if not recs:
            return {"count": 0, "ok": 0}
        first_sent = min(r[0] for r in recs)
        ok = [r for r in recs if r[4]]
        return {
            "count": len(recs),
            "ok": len(ok),
            "scheduled_over_s": max(r[0] for r in recs) - first_sent,
            "first_scheduled_to_last_answered_s": max(r[0] + r[2] / 1000 for r in recs)
            - first_sent,
            "last_ok_at": max((r[0] + r[2] / 1000 for r in ok), default=None),
            **summarise([r[2] for r in recs]),
        }

    login_errors = sum(endpoints.get(n, {}).get("errors", 0) for n in LOGIN_REQUESTS)
    return {
        "phases_s_after_gate": {k: (a - t0, b - t0) for k, (a, b) in spans.items()},
        "endpoints": endpoints,
        "autosave_vs_floor": compare,
        "login": {**burst(LOGIN_E2E), "errors": login_errors},
        "start": burst("POST start"),
        "submit": burst("POST submit"),
        "errors": sum(e["errors"] for e in endpoints.values()),
        "client_counters": results.get("counters", {}),
    }


def judge(figures: dict, integrity: dict, args, logged_in: int) -> list[dict]:
    users = args.users
    steady = figures["autosave_vs_floor"]["steady"]
    auto_p95 = steady[AUTOSAVE]["p95"]
    cpu_ratio = figures["request_cpu"].get(AUTOSAVE, {}).get("ratio_to_floor")
    login, start, submit = figures["login"], figures["start"], figures["submit"]
    lag = integrity.get("analytics_after_last_submit_s")

    def row(phase, target, measured, met):
        return {"phase": phase, "target": target, "measured": measured, "met": bool(met)}

    rows = [
        row(
            "log-ins",
            f"{users} log-ins over {args.login_window:.0f} s: 0 errors",
            f"{logged_in}/{users} logged in, {login['errors']} errors "
            f"(end-to-end p95 {fmt(login.get('p95'))} ms)",
            logged_in == users and login["errors"] == 0,
        ),
        row(
            "starts",
            f"{users} starts over {args.start_window:.0f} s: p95 < 1.5 s",
            f"p95 {fmt(start.get('p95'))} ms",
            (start.get("p95") or 1e9) < TARGETS["start_p95_ms"],
        ),
        row(
            "starts",
            "all started",
            f"{start['ok']}/{users} started",
            start["ok"] == users,
        ),
        row(
            "steady",
            f"autosave every {args.tick:.0f} s: p95 < 100 ms",
            f"p95 {fmt(auto_p95)} ms ({steady[AUTOSAVE]['count']} autosaves)",
            auto_p95 is not None and auto_p95 < TARGETS["autosave_p95_ms"],
        ),
        row(
            "steady",
            "server CPU per autosave <= 1.3x the floor's",
            f"{fmt(cpu_ratio, 2)}x (web process CPU, request log)",
            cpu_ratio is not None and cpu_ratio <= TARGETS["autosave_cpu_floor_ratio"],
        ),
        row("steady", "0 errors", str(steady["errors"]), steady["errors"] == 0),
        row(
            "deadline",
            f"{users} submits over {args.submit_window:.0f} s: p95 < 1.5 s",
            f"p95 {fmt(submit.get('p95'))} ms",
            (submit.get("p95") or 1e9) < TARGETS["submit_p95_ms"],
        ),
        row(
            "deadline",
            "every attempt scored exactly once",
            f"{integrity['attempts_scored_exactly_once']}/{users}",
            integrity["attempts_scored_exactly_once"] == users
            and integrity["students_with_attempt"] == users,
        ),
        row(
            "deadline",
            "0 acknowledged answers lost",
            f"{integrity['lost_answers']} lost of {integrity['acked_answers']}",
            integrity["lost_answers"] == 0 and integrity["acked_answers"] > 0,
        ),
        row(
            "deadline",
            "analytics complete within 2 minutes after the last submit",
            "never" if lag is None else f"{lag:.1f} s",
            lag is not None and lag <= TARGETS["analytics_after_submits_s"],
        ),
    ]
    return rows


def render(
    figures: dict, verdicts: list[dict], integrity: dict, cpu: dict, header: list[str]
) -> str:
    ep_rows = [
        [
            name,
            s["count"],
            fmt(s["rps"], 1),
            fmt(s["p50"]),
            fmt(s["p95"]),
            fmt(s["p99"]),
            fmt(s["max"]),
            fmt(s["service_p95"]),
            f"{s['errors']}" + (f" {s['statuses']}" if s["errors"] else ""),
        ]
        for name, s in figures["endpoints"].items()
    ]
    parts = [
        *header,
        "",
        "Per endpoint (ms from the scheduled moment to the answer; 'sent p95': from the moment "
        "it went out; req/s over the span the endpoint was in use):",
        table(
            ["endpoint", "requests", "req/s", "p50", "p95", "p99", "max", "sent p95", "errors"],
            ep_rows,
        ),
        "",
        "Autosave against the floor (same students, same moments), and the end-to-end save "
        "(scheduled -> acknowledged, retries included):",
    ]
    cmp_rows = []
    for phase, row in figures["autosave_vs_floor"].items():
        a, f, e = row[AUTOSAVE], row[FLOOR], row[SAVE_E2E]
        cmp_rows.append(
            [
                phase,
                a["count"],
                fmt(a["p50"]),
                fmt(a["p95"]),
                fmt(a["p99"]),
                f["count"],
                fmt(f["p50"]),
                fmt(f["p95"]),
                fmt(row["ratio_p95"], 2),
                e["count"],
                fmt(e["p95"]),
                fmt(e["max"]),
                row["errors"],
            ]
        )
    parts.append(
        table(
            [
                "phase",
                "autosaves",
                "p50",
                "p95",
                "p99",
                "floors",
                "p50",
                "p95",
                "p95 ratio",
                "saves e2e",
                "e2e p95",
                "e2e max",
                "errors",
            ],
            cmp_rows,
        )
    )
    rc = figures["request_cpu"]
    if rc:
        names = sorted(rc, key=lambda n: ORDER.index(n) if n in ORDER else 99)
        parts += [
            "",
            "Server CPU per request (web process: the serving thread's CPU time from the request "
            "log's cpu_ms; PostgreSQL's share is not in it):",
            table(
                ["endpoint", "requests", "median ms", "mean ms", "p95 ms", "mean / floor"],
                [
                    [
                        n,
                        rc[n]["requests"],
                        fmt(rc[n]["median_cpu_ms"], 2),
                        fmt(rc[n]["mean_cpu_ms"], 2),
                        fmt(rc[n]["p95_cpu_ms"], 2),
                        fmt(rc[n]["ratio_to_floor"], 2),
                    ]
                    for n in names
                ],
            ),
        ]
    if cpu:
        parts += ["", "CPU (average cores busy, of " + str(machine()["nproc"]) + "):"]
        names = sorted({n for phase in cpu.values() for n in phase})
        parts.append(
            table(
                ["phase", *names],
                [[phase, *(fmt(v.get(n), 2) for n in names)] for phase, v in cpu.items()],
            )
        )
    counters = figures.get("client_counters") or {}
    parts += [
        "",
        "Client: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counters.items()),
        "",
        "Integrity: "
        f"{integrity['acked_answers_confirmed']} of {integrity['acked_answers']} acknowledged "
        f"answers found as acknowledged ({integrity['applied_without_ack']} superseded by a "
        f"newer save whose reply was lost, {integrity['lost_answers']} lost); "
        f"{integrity['attempts_scored']} attempts scored, "
        f"{integrity['attempts_scored_exactly_once']} exactly once.",
        "",
        "The bar (issue 13):",
        table(
            ["phase", "target", "measured", "met"],
            [
                [v["phase"], v["target"], v["measured"], "met" if v["met"] else "MISSED"]
                for v in verdicts
            ],
            "lllr",
        ),
    ]
    return "\n".join(parts)


def start_web(stack: Stack, args, env: dict[str, str]) -> tuple[str, dict[str, int]]:
    """gunicorn node(s), and HAProxy in front of them when there are several; (url, pids)."""
    pids = {}
    urls = []
    for i, workers in enumerate(workers_per_node(args)):
        name = "gunicorn" if args.nodes == 1 else f"gunicorn-{i + 1}"
        urls.append(stack.start_gunicorn(workers=workers, threads=args.threads, env=env, name=name))
        pids[name] = stack.processes[name].pid
    if args.nodes == 1:
        return urls[0], pids
    haproxy = stack.start_haproxy(urls)
    pids["haproxy"] = haproxy.process.pid
    return haproxy.url, pids


def main(argv=None) -> int:
    args = parse_args(argv)
    out = new_out_dir("load", args.out)
    extra_env = dict(item.split("=", 1) for item in args.env)
    if args.pgbouncer:
        # Transaction pooling: a server-side cursor cannot outlive the transaction's backend.
        extra_env.setdefault("DISABLE_SERVER_SIDE_CURSORS", "true")
    if args.nodes > 1:
        extra_env.setdefault("TRUSTED_PROXY_COUNT", "1")  # HAProxy adds X-Forwarded-For
    log(f"output in {out}")
    with Stack(out) as stack:
        # Production durability: fsync, synchronous_commit and full_page_writes on.
        stack.start_postgres(DURABLE)
        pg_settings = stack.postgres_settings()
        if args.pgbouncer:
            stack.start_pgbouncer()
        stack.start_redis()
        stack.setup_django(**extra_env)
        t = time.monotonic()
        prepare_database(collectstatic=True)
        usernames = create_students(args.users)
        log(f"migrated, bank loaded, {args.users} students created in {time.monotonic() - t:.1f} s")
        env = stack.django_env(**extra_env)
        url, web_pids = start_web(stack, args, env)
        stack.start_celery(concurrency=args.celery_concurrency, env=env)
        layout = (
            f"{args.nodes} gunicorn node(s) of {'+'.join(map(str, workers_per_node(args)))} "
            f"workers x {args.threads} threads"
            + (" behind HAProxy" if args.nodes > 1 else "")
            + (", Django through PgBouncer (transaction pooling)" if args.pgbouncer else "")
            + f", Celery --concurrency={args.celery_concurrency}"
        )
        log(f"{layout}; serving on {url}")
        pg_text = ", ".join(f"{k}={v}" for k, v in pg_settings.items())
        log(f"PostgreSQL: {pg_text}")

        background = busy_elsewhere(stack)
        if background > 0.25:
            log(
                f"WARNING: {background:.2f} cores busy outside the benchmark before it starts; "
                "the figures will be worse than on a quiet machine"
            )
        config, locust_pid = run_locust(stack, args, url, usernames, out)
        pids = {
            **web_pids,
            "postgres": int((stack.pg.root / "data" / "postmaster.pid").read_text().split()[0]),
            "redis": stack.redis.process.pid,
            "celery": stack.processes["celery"].pid,
            "locust": locust_pid,
        }
        if stack.pgbouncer is not None:
            pids["pgbouncer"] = stack.pgbouncer.process.pid
        sampler = CpuSampler(pids)
        sampler.start()
        log(
            f"locust: {args.users} students log in over {args.login_window:.0f} s, start over "
            f"{args.start_window:.0f} s, sit {args.duration:.0f} s, submit over "
            f"{args.submit_window:.0f} s (about {config['expected_s'] / 60:.1f} min)"
        )
        try:
            results = wait_locust(stack, config["expected_s"] + 600)
        finally:
            sampler.stop()
        log(
            f"locust done: {results['logged_in']} logged in, "
            f"{results['completed']} sat the exam through submit"
        )

        integrity = check_integrity(results, usernames)
        done_at = wait_for_analytics(integrity["attempt_ids"])
        figures = analyse(results, args)
        last_submit = figures["submit"].get("last_ok_at")
        lag = None if done_at is None or last_submit is None else max(0.0, done_at - last_submit)
        integrity["analytics_after_last_submit_s"] = lag
        if done_at is None:
            integrity["problems"].append("analytics rows missing for some attempts after 300 s")
        web_logs = [out / f"{name}.log" for name in web_pids if name.startswith("gunicorn")]
        figures["request_cpu"] = request_cpu(web_logs)
        spans = phases(results, args)
        windows = {k: v for k, v in spans.items() if k != "whole exam"}
        windows["deadline rush"] = (spans["deadline rush"][0], results["exam_end"] + 2)
        cpu = {}
        for phase, (a, b) in windows.items():
            used = sampler.cores_used(a, b)
            if "host (all)" in used:
                # Whatever else runs on this machine (another test suite...) competes for CPU.
                ours = sum(v for k, v in used.items() if k != "host (all)")
                used["other processes"] = max(0.0, used["host (all)"] - ours)
            cpu[phase] = used
        a, b = windows["steady"]
        served = sum(1 for r in results["records"] if a <= r[0] < b and r[1] != SAVE_E2E)
        server_names = [n for n in (*web_pids, "postgres", "redis", "pgbouncer") if n in pids]
        server = sum(cpu["steady"].get(k, 0.0) for k in server_names)
        figures["steady_requests_per_s"] = served / max(b - a, 1e-9)
        figures["steady_server_cpu_ms_per_request"] = (
            server * (b - a) * 1000 / served if served else None
        )
        verdicts = judge(figures, integrity, args, results["logged_in"])
        header = [
            f"Load benchmark: {args.users} students; {layout}.",
            f"PostgreSQL (SHOW): {pg_text}.",
            f"Log-ins over {args.login_window:.0f} s, starts over {args.start_window:.0f} s, "
            f"autosave every {args.tick:.0f} s, deadline {args.duration:.0f} s after the gate, "
            f"submits over {args.submit_window:.0f} s; open loop (latency from the scheduled "
            "moment).",
        ]
        text = render(figures, verdicts, integrity, cpu, header)
        text += (
            f"\n\nSteady state: {figures['steady_requests_per_s']:.1f} requests/s served, "
            f"{fmt(figures['steady_server_cpu_ms_per_request'], 1)} ms of server CPU "
            f"({' + '.join(server_names)}) per request."
        )
        summary = {
            "command": " ".join(["python -m bench.run", *sys.argv[1:]]),
            "args": vars(args),
            "layout": layout,
            "workers_per_node": workers_per_node(args),
            "postgres_settings": pg_settings,
            "machine": machine(),
            "figures": figures,
            "cpu_cores": cpu,
            "background_cores_before_start": background,
            "integrity": {k: v for k, v in integrity.items() if k != "attempt_ids"},
            "targets": verdicts,
            "client_problems": results["problems"],
            "logged_in": results["logged_in"],
            "completed": results["completed"],
            "login_failed": results["login_failed"],
        }
        noise = max(cpu.get(p, {}).get("other processes", 0.0) for p in cpu)
        if noise > 0.2 or background > 0.25:
            summary["contaminated"] = (
                f"WARNING: other processes used up to {noise:.2f} cores during a phase "
                f"({background:.2f} before the start); these figures understate what this "
                "machine can do. Rerun on a quiet machine."
            )
            text += "\n\n" + summary["contaminated"]
        else:
            text += f"\n\nQuiet machine: other processes used at most {noise:.2f} cores."
        (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
        (out / "summary.md").write_text(text + "\n")
        print()
        print(text)
        print()
        for p in results["problems"][:20]:
            print("client:", p)
        for p in integrity["problems"]:
            print("INTEGRITY:", p)
        log(f"summary in {out / 'summary.json'}")

    failed = bool(
        figures["errors"]
        or integrity["problems"]
        or results["problems"]
        or results["logged_in"] < args.users
        or results["completed"] < args.users
    )
    if args.analytics_attempts > 0:
        code = subprocess.call(
            [
                sys.executable,
                "-m",
                "bench.analytics",
                "--attempts",
                str(args.analytics_attempts),
                "--out",
                str(out / "analytics"),
            ],
            cwd=REPO,
        )
        failed = failed or code != 0
        # The IRT calibration over as many attempts (issue 12: within 5 minutes).
        code = subprocess.call(
            [
                sys.executable,
                "-m",
                "bench.calibration",
                "--attempts",
                str(args.analytics_attempts),
                "--out",
                str(out / "calibration"),
            ],
            cwd=REPO,
        )
        failed = failed or code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
