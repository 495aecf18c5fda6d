"""Analytics benchmark: the nightly recompute and the per-attempt task at production scale.

    python -m bench.analytics [--attempts 100000] [--students N] [--samples 50] [--repeat 2]

Starts a throwaway PostgreSQL (and Redis, where the per-attempt task queues the debounced
blueprint statistics, as in production), migrates, loads the seed question bank, and loads
`--attempts` submitted attempts of the DVA-C01 full mock (65 answers each, drawn at the
blueprint's domain weights, with selections consistent with the stored grading) with COPY.
Then it times, each against a floor of one raw SQL aggregate over the same rows:

- analytics.services.recompute_everything() (the nightly rebuild) against
  SELECT attempt_id, domain_id, sum(..), count(*) FROM exams_attemptitem GROUP BY 1, 2;
- analytics.tasks.attempt_analytics for one attempt, run in-process (median of --samples
  attempts) against the same aggregate restricted to that attempt.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from bench.report import fmt, machine, percentile, table
from bench.stack import Stack, create_students, log, new_out_dir, prepare_database

TARGETS = {"recompute_s": 60.0, "task_ms": 200.0}
LOADED_TABLES = ("exams_attempt", "exams_attemptitem", "exams_itemselection")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--attempts", type=int, default=100_000, help="submitted attempts to load")
    p.add_argument("--students", type=int, help="students sharing them (default attempts/10)")
    p.add_argument("--samples", type=int, default=50, help="attempts timed for the task")
    p.add_argument("--repeat", type=int, default=2, help="full recomputes to time")
    p.add_argument(
        "--drift",
        type=int,
        default=0,
        help="attempts whose stored grading is corrupted first (the recompute regrades them)",
    )
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--out", help="output folder (default bench/out/analytics-<timestamp>)")
    return p.parse_args(argv)


# --- The data -------------------------------------------------------------------------------------
class Bank:
    """The DVA-C01 full mock's question pools, read once, as plain tuples for fast generation."""

    def __init__(self, rng: random.Random):
        from exams.models import Blueprint
        from exams.scoring import scaled_score
        from exams.services.assembly import blueprint_domain_counts
        from questions.models import Option, Question

        self.blueprint = Blueprint.objects.get(slug="dva-c01-full-mock")
        counts = blueprint_domain_counts(self.blueprint)
        self.counts = [(d.pk, d.name, n) for d, n in counts.items()]
        self.question_count = sum(n for _, _, n in self.counts)
        domain_ids = [d for d, _, _ in self.counts]
        rows = (
            Question.objects.published()
            .filter(domain_links__domain_id__in=domain_ids, current_version__isnull=False)
            .values_list("pk", "current_version_id", "domain_links__domain_id")
        )
        options: dict[int, list[tuple[int, bool]]] = {}
        for version_id, option_id, correct in Option.objects.values_list(
            "version_id", "pk", "is_correct"
        ):
            options.setdefault(version_id, []).append((option_id, correct))
        self.pools: dict[int, list[tuple]] = {d: [] for d in domain_ids}
        for question_id, version_id, domain_id in rows:
            opts = sorted(options[version_id])
            keyed = [o for o, c in opts if c]
            wrong = [o for o, c in opts if not c]
            ids = [o for o, _ in opts]
            orders = []
            for _ in range(4):
                rng.shuffle(ids)
                orders.append(json.dumps(ids))
            # A wrong answer: as many options as the key, at least one of them not keyed.
            wrong_answers = []
            for _ in range(3):
                k = len(keyed)
                picked = [rng.choice(wrong), *rng.sample(keyed, k - 1)] if k > 1 else []
                wrong_answers.append(picked or [rng.choice(wrong)])
            self.pools[domain_id].append(
                (question_id, version_id, domain_id, orders, keyed, wrong_answers)
            )
        for domain_id, _name, need in self.counts:
            if len(self.pools[domain_id]) < need:
                raise SystemExit(f"bank too small for domain {domain_id}")
        self.scaled = [
            scaled_score(c, self.question_count, cut_fraction=0.72, passing_score=720)
            for c in range(self.question_count + 1)
        ]


def generate(bank: Bank, *, first_attempt: int, count: int, user_ids, rng, ids: dict):
    """Return COPY text for `count` attempts: (attempts, items, selections)."""
    attempts, items, selections = io.StringIO(), io.StringIO(), io.StringIO()
    base = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    total = bank.question_count
    for n in range(first_attempt, first_attempt + count):
        ability = rng.uniform(0.35, 0.95)
        drawn = []
        for domain_id, _name, need in bank.counts:
            drawn.extend(rng.sample(bank.pools[domain_id], need))
        rng.shuffle(drawn)
        started = base + timedelta(minutes=7 * n)
        finished = started + timedelta(minutes=rng.randint(40, 130))
        answered = finished.isoformat()
        correct_total = 0
        per_domain: dict[int, list[int]] = {}
        for position, (question_id, version_id, domain_id, orders, keyed, wrongs) in enumerate(
            drawn, start=1
        ):
            item_id = ids["item"]
            ids["item"] += 1
            roll = rng.random()
            if roll < ability:
                chosen, ok = keyed, True
            elif roll < 0.97:
                chosen, ok = rng.choice(wrongs), False
            else:
                chosen, ok = [], False  # left unanswered
            correct_total += ok
            bucket = per_domain.setdefault(domain_id, [0, 0])
            bucket[0] += ok
            bucket[1] += 1
            items.write(
                f"{item_id}\t{n}\t{position}\t{question_id}\t{version_id}\t{domain_id}\t"
                f"{rng.choice(orders)}\tt\tf\t{1 if chosen else 0}\t"
                f"{answered if chosen else chr(92) + 'N'}\tf\t{'t' if ok else 'f'}\t[]\n"
            )
            for option_id in chosen:
                selections.write(f"{ids['selection']}\t{item_id}\t{option_id}\n")
                ids["selection"] += 1
        names = {d: name for d, name, _ in bank.counts}
        domain_json = json.dumps(
            [
                {
                    "domain": names[d],
                    "correct": c,
                    "total": t,
                    "percent": round(100 * c / t, 1),
                    "meets": c / t >= 0.72,
                }
                for d, (c, t) in per_domain.items()
            ]
        )
        scaled = bank.scaled[correct_total]
        attempts.write(
            f"{n}\t{user_ids[n % len(user_ids)]}\t{bank.blueprint.pk}\tsubmitted\t"
            f"{started.isoformat()}\t{(started + timedelta(minutes=130)).isoformat()}\t"
            f"{finished.isoformat()}\t0\t{total}\texam\tafter_submit\t720\t72.00\t"
            f"{correct_total}\t{total}\t{100 * correct_total / total:.2f}\t{scaled}\t"
            f"{'t' if scaled >= 720 else 'f'}\t{domain_json}\tf\n"
        )
    return attempts, items, selections


COLUMNS = {
    "exams_attempt": "id, user_id, blueprint_id, state, started_at, deadline, finished_at, "
    "accommodation_minutes, current_position, mode, feedback, passing_score, cut_percent, "
    "correct_count, scored_count, percent, scaled_score, passed, domain_results, is_demo",
    "exams_attemptitem": "id, attempt_id, position, question_id, version_id, domain_id, "
    "option_order, scored, flagged, answer_seq, answered_at, checked, is_correct, eliminated",
    "exams_itemselection": "id, item_id, option_id",
}


def drop_indexes(cur) -> list[str]:
    """Drop the loaded tables' secondary indexes and constraints; return the SQL to restore."""
    restore = []
    for name in LOADED_TABLES:
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f', 'c')",
            [name],
        )
        constraints = cur.fetchall()
        cur.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
            "AND i.indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = %s::regclass)",
            [name, name],
        )
        for index_name, definition in cur.fetchall():
            cur.execute(f'DROP INDEX "{index_name}"')
            restore.append(definition)
        for con_name, definition, _kind in constraints:
            cur.execute(f'ALTER TABLE {name} DROP CONSTRAINT "{con_name}"')
            restore.append(f'ALTER TABLE {name} ADD CONSTRAINT "{con_name}" {definition}')
    # Unique constraints and indexes first; foreign keys (validated against them) last.
    restore.sort(key=lambda sql: "FOREIGN KEY" in sql)
    return restore


def load(bank: Bank, args, user_ids: list[int], rng: random.Random) -> dict:
    from django.db import connection

    started = time.monotonic()
    ids = {"item": 1, "selection": 1}
    chunk = 2000
    timings = {"generate": 0.0, "copy": 0.0}
    with connection.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '1GB'")
        restore = drop_indexes(cur)
        for first in range(1, args.attempts + 1, chunk):
            count = min(chunk, args.attempts + 1 - first)
            t = time.monotonic()
            buffers = generate(
                bank, first_attempt=first, count=count, user_ids=user_ids, rng=rng, ids=ids
            )
            timings["generate"] += time.monotonic() - t
            t = time.monotonic()
            for name, buffer in zip(LOADED_TABLES, buffers, strict=True):
                buffer.seek(0)
                cur.copy_expert(f"COPY {name} ({COLUMNS[name]}) FROM STDIN", buffer)
            timings["copy"] += time.monotonic() - t
            if first == 1 or (first - 1) % (chunk * 10) == 0:
                log(f"  loaded {first + count - 1:,} of {args.attempts:,} attempts")
        t = time.monotonic()
        for sql in restore:
            cur.execute(sql)
        timings["indexes"] = time.monotonic() - t
        for name in LOADED_TABLES:
            cur.execute(f"SELECT max(id) FROM {name}")  # noqa: S608 - our own table names
            top = cur.fetchone()[0]
            cur.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [name, top])
        cur.execute("RESET maintenance_work_mem")
    t = time.monotonic()
    with connection.cursor() as cur:
        # What autovacuum would have done by the night: statistics and the visibility map.
        cur.execute("VACUUM (ANALYZE) exams_attempt, exams_attemptitem, exams_itemselection")
        cur.execute("ANALYZE")
    timings["vacuum_analyze"] = time.monotonic() - t
    timings["total"] = time.monotonic() - started
    timings["items"] = ids["item"] - 1
    timings["selections"] = ids["selection"] - 1
    return timings


# --- Timings -------------------------------------------------------------------------------------
FLOOR_ALL = """
    SELECT count(*), sum(c) FROM (
        SELECT attempt_id, domain_id, sum(CASE WHEN is_correct THEN 1 ELSE 0 END) AS c, count(*)
        FROM exams_attemptitem WHERE scored GROUP BY 1, 2
    ) t
"""
FLOOR_ONE = """
    SELECT domain_id, sum(CASE WHEN is_correct THEN 1 ELSE 0 END), count(*)
    FROM exams_attemptitem WHERE scored AND attempt_id = %s GROUP BY 1
"""


def timed(fn, *args):
    t = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t, result


def floor_all() -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(FLOOR_ALL)
        return cur.fetchone()


def floor_one(attempt_id: int) -> list:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(FLOOR_ONE, [attempt_id])
        return cur.fetchall()


def corrupt(count: int, rng: random.Random) -> list[int]:
    """Flip the stored grading of one item in `count` attempts (what the recompute repairs)."""
    from django.db import connection

    if count <= 0:
        return []
    with connection.cursor() as cur:
        cur.execute("SELECT max(id) FROM exams_attempt")
        top = cur.fetchone()[0]
        chosen = rng.sample(range(1, top + 1), min(count, top))
        cur.execute(
            "UPDATE exams_attemptitem SET is_correct = NOT is_correct "
            "WHERE attempt_id = ANY(%s) AND position = 1",
            [chosen],
        )
    return chosen


def analyze_derived() -> None:
    """What autovacuum does within a minute or so of the recompute: fresh planner statistics."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE analytics_attemptdomainresult, analytics_studentdomainstanding")


def time_tasks(sample: list[int]) -> tuple[list[float], list[float]]:
    from analytics.tasks import attempt_analytics

    task_ms, floor_ms = [], []
    for attempt_id in sample:
        floor_ms.append(timed(floor_one, attempt_id)[0] * 1000)
        task_ms.append(timed(attempt_analytics, attempt_id)[0] * 1000)
    return task_ms, floor_ms


def recompute_breakdown() -> dict:
    """The recompute's three steps timed one by one (same SQL, same single transaction)."""
    from django.db import connection, transaction

    from analytics.services import results as sql

    steps = {}
    with transaction.atomic():
        steps["regrade from raw answers"], regraded = timed(sql.regrade_from_raw_answers)
        with connection.cursor() as cur:
            t = time.perf_counter()
            cur.execute("DELETE FROM analytics_attemptdomainresult")
            cur.execute(sql._DOMAIN_ROWS.format(filter=""), [sql._OPEN])
            steps["per-attempt domain rows"] = time.perf_counter() - t
        steps["student standings"], _ = timed(sql.standings_compute)
    steps["regraded"] = len(regraded)
    return steps


def measure(args, rng: random.Random) -> dict:
    from django.db import connection

    from analytics.services import recompute_everything
    from analytics.tasks import attempt_analytics

    results: dict = {"recompute": [], "floor": []}
    floor_all()  # warm the cache the same way for both
    for run in range(args.repeat):
        if run:
            analyze_derived()  # the statistics autovacuum left after the previous night
        corrupted = corrupt(args.drift, rng)
        floor_s, _ = timed(floor_all)
        results["floor"].append(floor_s)
        seconds, summary = timed(recompute_everything)
        results["recompute"].append(seconds)
        log(f"  recompute {run + 1}: {seconds:.2f} s ({summary}); floor {floor_s:.2f} s")
        results["summary"] = summary
        results["corrupted"] = len(corrupted)
        groups, correct = floor_all()  # after the repair: what the stored rows must match
        with connection.cursor() as cur:
            cur.execute("SELECT count(*), sum(correct) FROM analytics_attemptdomainresult")
            rows, stored_correct = cur.fetchone()
        results["consistent"] = rows == groups and stored_correct == correct
    with connection.cursor() as cur:
        cur.execute("SELECT max(id) FROM exams_attempt")
        top = cur.fetchone()[0]
    sample = rng.sample(range(1, top + 1), min(2 * args.samples, top))
    first, second = sample[: args.samples], sample[args.samples :] or sample
    attempt_analytics(top)  # the first call pays imports and connects to Redis
    # Right after the nightly recompute (before autovacuum has analysed the rebuilt rows) ...
    results["task_ms_after_recompute"], results["floor_one_ms_after_recompute"] = time_tasks(first)
    analyze_derived()
    # ... and once the statistics are current, as they are for the rest of the day.
    results["task_ms"], results["floor_one_ms"] = time_tasks(second)
    results["breakdown"] = recompute_breakdown()
    log(f"  recompute steps: {results['breakdown']}")
    return results


def main(argv=None) -> int:
    args = parse_args(argv)
    out = new_out_dir("analytics", args.out)
    rng = random.Random(args.seed)
    students = args.students or max(1, args.attempts // 10)
    log(f"analytics: {args.attempts:,} attempts by {students:,} students; output in {out}")
    with Stack(out) as stack:
        stack.start_postgres()
        stack.start_redis()
        stack.setup_django()
        prepare_database(collectstatic=False)
        create_students(students, prefix="an")
        from accounts.models import User

        user_ids = list(User.objects.filter(username__startswith="an").values_list("pk", flat=True))
        bank = Bank(rng)
        log("loading with COPY (secondary indexes rebuilt afterwards)")
        loaded = load(bank, args, user_ids, rng)
        log(
            f"loaded {args.attempts:,} attempts, {loaded['items']:,} answers, "
            f"{loaded['selections']:,} selections in {loaded['total']:.1f} s "
            f"(generate {loaded['generate']:.1f}, COPY {loaded['copy']:.1f}, "
            f"indexes {loaded['indexes']:.1f}, vacuum {loaded['vacuum_analyze']:.1f})"
        )
        results = measure(args, rng)

    recompute = max(results["recompute"])
    floor = statistics.median(results["floor"])
    task_fresh = statistics.median(results["task_ms"])
    floor_fresh = statistics.median(results["floor_one_ms"])
    task_stale = statistics.median(results["task_ms_after_recompute"])
    floor_stale = statistics.median(results["floor_one_ms_after_recompute"])
    worst_task = max(task_fresh, task_stale)
    n = len(results["task_ms"])
    rows = [
        [
            f"full recompute over {loaded['items']:,} answers (worst of {args.repeat})",
            f"{recompute:.2f} s",
            f"{floor:.2f} s",
            f"{recompute / floor:.1f}x",
            "< 60 s",
            "met" if recompute < TARGETS["recompute_s"] else "MISSED",
        ],
        [
            f"attempt_analytics, one attempt (median of {n}, statistics current)",
            f"{task_fresh:.1f} ms",
            f"{floor_fresh:.2f} ms",
            f"{task_fresh / floor_fresh:.1f}x",
            "< 200 ms",
            "met" if task_fresh < TARGETS["task_ms"] else "MISSED",
        ],
        [
            f"attempt_analytics, one attempt (median of {n}, right after the recompute)",
            f"{task_stale:.1f} ms",
            f"{floor_stale:.2f} ms",
            f"{task_stale / floor_stale:.1f}x",
            "< 200 ms",
            "met" if task_stale < TARGETS["task_ms"] else "MISSED",
        ],
    ]
    text = table(["operation", "time", "floor", "ratio", "target", "met"], rows, "lrrrlr")
    details = (
        f"recompute runs: {', '.join(f'{s:.2f} s' for s in results['recompute'])}; "
        f"floor runs: {', '.join(f'{s:.2f} s' for s in results['floor'])}; "
        f"task p95 {fmt(percentile(results['task_ms'], 95), 1)} ms (statistics current), "
        f"{fmt(percentile(results['task_ms_after_recompute'], 95), 1)} ms (right after); "
        f"last recompute {results['summary']}; stored rows agree with the floor: "
        f"{results['consistent']}; recompute steps (s): "
        + ", ".join(f"{k} {v:.2f}" for k, v in results["breakdown"].items() if k != "regraded")
    )
    summary = {
        "command": " ".join(["python -m bench.analytics", *sys.argv[1:]]),
        "args": vars(args),
        "machine": machine(),
        "load": loaded,
        "results": results,
        "table": rows,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    (out / "summary.md").write_text(text + "\n\n" + details + "\n")
    print()
    print(text)
    print()
    print(details)
    ok = (
        results["consistent"]
        and results["summary"]["regraded_attempts"] == results["corrupted"]
        and worst_task > 0
    )
    if not ok:
        print("ANALYTICS: stored rows disagree with the raw aggregate or the regrade count")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
