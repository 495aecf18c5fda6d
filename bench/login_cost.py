"""What one log-in costs: the password hash, then the whole log-in on the production stack.

    python -m bench.login_cost [--rounds 15] [--seconds 20] [--clients 8] [--skip-http]

1. **Hash and verify** in this process, per hasher (median and p90 of --rounds calls, CPU time
   of the process, which counts every thread, and wall time): PBKDF2-SHA256 with 1,000,000
   iterations (Django 5.2's default, what the site used before), our Argon2id (m = 19 MiB,
   t = 2, p = 1, accounts/hashers.py) and Django's stock Argon2PasswordHasher (100 MiB, 8
   lanes) for comparison; then verifies per second with one process per core for --seconds / 4.
2. **Log-ins over HTTP**: a throwaway PostgreSQL and Redis, gunicorn with the benchmark's
   production settings (5 workers x 2 threads, as `make bench`), and --clients threads here
   that each log a fresh student in (GET the form for its CSRF token, POST it, expect the 302)
   as fast as the server answers, for --seconds per case:
   - `md5`: the floor, a log-in whose hash costs nothing;
   - `pbkdf2`: before, PBKDF2 first and every student on a PBKDF2 hash;
   - `argon2id`: now, production's list and every student on an Argon2id hash;
   - `upgrade`: the first log-in after the switch, production's list and PBKDF2 hashes, so each
     log-in verifies PBKDF2, hashes with Argon2id and writes the new hash.
   Server CPU per log-in = CPU of gunicorn + PostgreSQL + Redis over the case / log-ins; the
   log-ins a 2-core box can take = 2 / that. The load generator runs on the same cores, so the
   measured rate is a little under what a server alone would do; its CPU is shown apart.

Writes summary.md and summary.json to bench/out/login-<time>/ and prints the summary.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import statistics
import threading
import time

from bench.report import fmt, machine, percentile, table
from bench.stack import Stack, log, new_out_dir, prepare_database

PASSWORD = "bench-login-pass-2026"  # noqa: S105 - throwaway accounts on a throwaway database
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PRODUCTION = "production"  # the list config/settings/base.py gives

HASHERS = {
    "pbkdf2": (
        "PBKDF2-SHA256, 1,000,000 iterations (Django's default; before)",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ),
    "argon2id": (
        "Argon2id m=19 MiB, t=2, p=1 (OWASP; now)",
        "accounts.hashers.Argon2idHasher",
    ),
    "argon2-stock": (
        "Argon2id m=100 MiB, t=2, p=8 (Django's stock Argon2PasswordHasher)",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ),
}
# case: (what it shows, hasher list served, hasher of the students' stored hashes)
CASES = {
    "md5": (
        "floor: MD5, no hashing cost",
        ["django.contrib.auth.hashers.MD5PasswordHasher"],
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ),
    "pbkdf2": (
        "before: PBKDF2 first, PBKDF2 hashes",
        [
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
            "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        ],
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ),
    "argon2id": (
        "now: production's list, Argon2id hashes",
        PRODUCTION,
        "accounts.hashers.Argon2idHasher",
    ),
    "upgrade": (
        "first log-in after the switch: PBKDF2 verified, rehashed with Argon2id",
        PRODUCTION,
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ),
}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rounds", type=int, default=15, help="hash/verify calls timed per hasher")
    p.add_argument("--seconds", type=float, default=20.0, help="seconds of log-ins per case")
    p.add_argument("--clients", type=int, default=8, help="concurrent log-in threads")
    p.add_argument("--workers", type=int, default=5, help="gunicorn workers (default 5)")
    p.add_argument("--threads", type=int, default=2, help="gunicorn threads per worker")
    p.add_argument("--cases", default=",".join(CASES), help="HTTP cases to run, comma-separated")
    p.add_argument("--skip-http", action="store_true", help="only the in-process hash timings")
    p.add_argument("--out", help="output folder (default bench/out/login-<time>)")
    return p.parse_args(argv)


# --- 1. Hash and verify in this process ------------------------------------------------------
def _hasher(path: str):
    from django.utils.module_loading import import_string

    return import_string(path)()


def _timed(call) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    call()
    return (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000


def hash_timings(rounds: int) -> dict:
    results = {}
    for key, (label, path) in HASHERS.items():
        hasher = _hasher(path)
        encoded = hasher.encode(PASSWORD, hasher.salt())
        hasher.verify(PASSWORD, encoded)  # warm up (library load, first allocation)
        hashes = [_timed(lambda h=hasher: h.encode(PASSWORD, h.salt())) for _ in range(rounds)]
        verifies = [
            _timed(lambda h=hasher, e=encoded: h.verify(PASSWORD, e)) for _ in range(rounds)
        ]
        results[key] = {
            "label": label,
            "encoded_prefix": encoded.rsplit("$", 2)[0],
            "hash_cpu_ms": statistics.median(c for c, _ in hashes),
            "hash_wall_ms": statistics.median(w for _, w in hashes),
            "verify_cpu_ms": statistics.median(c for c, _ in verifies),
            "verify_cpu_p90_ms": percentile([c for c, _ in verifies], 90),
            "verify_wall_ms": statistics.median(w for _, w in verifies),
        }
        log(f"{key}: verify {results[key]['verify_cpu_ms']:.1f} ms CPU (median of {rounds})")
    return results


def _verify_loop(path: str, encoded: str, seconds: float, queue) -> None:
    import django

    django.setup()
    hasher = _hasher(path)
    count, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        hasher.verify(PASSWORD, encoded)
        count += 1
    queue.put(count)


def verify_throughput(seconds: float) -> dict:
    """Verifies per second with one process per core (the ceiling if a box did nothing else)."""
    cores = os.cpu_count() or 1
    ctx = multiprocessing.get_context("spawn")
    results = {}
    for key, (_, path) in HASHERS.items():
        hasher = _hasher(path)
        encoded = hasher.encode(PASSWORD, hasher.salt())
        queue = ctx.Queue()
        procs = [
            ctx.Process(target=_verify_loop, args=(path, encoded, seconds, queue))
            for _ in range(cores)
        ]
        for proc in procs:
            proc.start()
        total = sum(queue.get(timeout=seconds + 120) for _ in procs)
        for proc in procs:
            proc.join()
        # Each process counted over `seconds` of its own; start-up is excluded.
        results[key] = {"processes": cores, "per_second": total / seconds}
        log(f"{key}: {total / seconds:.1f} verifies/s on {cores} processes")
    return results


# --- 2. Log-ins over HTTP --------------------------------------------------------------------
def _create_students(prefix: str, count: int, hasher_path: str) -> list[str]:
    """`count` students sharing one hash made by `hasher_path` (one hash, computed once)."""
    from django.contrib.auth.models import Group

    from accounts.models import User
    from accounts.roles import Role

    hasher = _hasher(hasher_path)
    encoded = hasher.encode(PASSWORD, hasher.salt())
    names = [f"{prefix}{i:06d}" for i in range(count)]
    users = User.objects.bulk_create(
        [User(username=name, password=encoded) for name in names], batch_size=2000
    )
    group = Group.objects.get(name=Role.STUDENT.value)
    through = User.groups.through
    through.objects.bulk_create(
        [through(user_id=u.pk, group_id=group.pk) for u in users], batch_size=5000
    )
    return names


def _log_in(session, url: str, username: str) -> str | None:
    """Log `username` in; None on success, else what went wrong."""
    page = session.get(f"{url}/accounts/login/", timeout=60)
    token = CSRF_RE.search(page.text or "")
    if page.status_code != 200 or not token:
        return f"login page {page.status_code}"
    # Production marks the CSRF cookie Secure and requests drops Secure cookies on plain HTTP
    # (behind the TLS proxy a browser sends it back), so send it back by hand.
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    response = session.post(
        f"{url}/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        headers={"Cookie": cookie},
        allow_redirects=False,
        timeout=60,
    )
    if response.status_code != 302 or "/login" in response.headers.get("Location", ""):
        return f"log-in refused {response.status_code}"
    return None


def _drive(url: str, usernames: list[str], clients: int, seconds: float) -> dict:
    import requests

    names = iter(usernames)
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + seconds

    def client() -> None:
        while time.monotonic() < deadline:
            with lock:
                username = next(names, None)
            if username is None:
                errors.append("ran out of fresh students")
                return
            session = requests.Session()
            started = time.perf_counter()
            try:
                problem = _log_in(session, url, username)
            except requests.RequestException as exc:
                problem = type(exc).__name__
            finally:
                session.close()
            if problem:
                errors.append(problem)
            else:
                latencies.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "elapsed": time.monotonic() - started,
        "latencies": latencies,
        "errors": errors,
    }


def _cpu_snapshot(pids: dict[str, int]) -> dict[str, float]:
    import psutil

    from bench.report import CpuSampler

    values = {name: CpuSampler._tree_cpu(pid) for name, pid in pids.items()}
    ours = psutil.Process().cpu_times()
    values["load generator"] = ours.user + ours.system
    host = psutil.cpu_times()
    values["host"] = host.user + host.system + host.nice + host.irq + host.softirq
    return values


def http_cases(stack: Stack, args) -> dict:
    from django.conf import settings

    results = {}
    for key in args.cases.split(","):
        label, hashers, stored = CASES[key]
        hashers = list(settings.PASSWORD_HASHERS) if hashers == PRODUCTION else hashers
        # Enough fresh students for the fastest case: every log-in is a student's first.
        usernames = _create_students(f"{key}-", 6000 if key in ("md5",) else 3000, stored)
        env = stack.django_env(
            DJANGO_SETTINGS_MODULE="bench.login_cost_settings",
            LOGIN_COST_HASHERS=",".join(hashers),
        )
        url = stack.start_gunicorn(workers=args.workers, threads=args.threads, env=env)
        gunicorn = stack.processes["gunicorn"]
        pids = {
            "gunicorn": gunicorn.pid,
            "postgres": int((stack.pg.root / "data" / "postmaster.pid").read_text().split()[0]),
            "redis": stack.redis.process.pid,
        }
        _drive(url, usernames[-args.clients * 2 :], args.clients, 2.0)  # warm the workers
        before = _cpu_snapshot(pids)
        run = _drive(url, usernames[: -args.clients * 2], args.clients, args.seconds)
        after = _cpu_snapshot(pids)
        os.killpg(gunicorn.pid, 15)
        gunicorn.wait(30)

        logins = len(run["latencies"])
        used = {name: after[name] - before[name] for name in after}
        server = used["gunicorn"] + used["postgres"] + used["redis"]
        elapsed = run["elapsed"]
        other = max(0.0, used["host"] - server - used["load generator"]) / elapsed
        stored_now = _stored_prefixes(usernames[: -args.clients * 2])
        results[key] = {
            "label": label,
            "hashers": hashers,
            "logins": logins,
            "errors": len(run["errors"]),
            "error_samples": sorted(set(run["errors"]))[:5],
            "per_second": logins / elapsed,
            "p50_ms": percentile(run["latencies"], 50),
            "p95_ms": percentile(run["latencies"], 95),
            "server_cpu_ms": server / logins * 1000 if logins else None,
            "gunicorn_cpu_ms": used["gunicorn"] / logins * 1000 if logins else None,
            "postgres_cpu_ms": used["postgres"] / logins * 1000 if logins else None,
            "generator_cpu_ms": used["load generator"] / logins * 1000 if logins else None,
            "other_cores": other,
            "stored_hashes_after": stored_now,
        }
        r = results[key]
        log(
            f"{key}: {logins} log-ins in {elapsed:.1f} s ({r['per_second']:.1f}/s), "
            f"{r['errors']} errors, server CPU {fmt(r['server_cpu_ms'], 1)} ms per log-in, "
            f"other processes {other:.2f} cores"
        )
    return results


def _stored_prefixes(usernames: list[str]) -> dict[str, int]:
    """How many of these students' stored hashes are of each kind (proves the upgrade)."""
    from collections import Counter

    from accounts.models import User

    rows = User.objects.filter(username__in=usernames).values_list("password", flat=True)
    return dict(Counter(p.rsplit("$", 2)[0] for p in rows.iterator()))


# --- Report --------------------------------------------------------------------------------
def summary_md(data: dict) -> str:
    m = data["machine"]
    parts = [
        f"Machine: {m['nproc']} cores, {m['cpu_model']}, Python {m['python']}; "
        f"load average before the run {data['loadavg_before']}.",
        "",
        f"Hash and verify in one process (CPU time of the process; median of {data['rounds']}):",
        "",
        table(
            [
                "hasher",
                "hash CPU ms",
                "verify CPU ms",
                "verify p90",
                "verify wall ms",
                "verifies/s",
            ],
            [
                [
                    v["label"],
                    fmt(v["hash_cpu_ms"], 1),
                    fmt(v["verify_cpu_ms"], 1),
                    fmt(v["verify_cpu_p90_ms"], 1),
                    fmt(v["verify_wall_ms"], 1),
                    fmt(data["throughput"].get(k, {}).get("per_second"), 1),
                ]
                for k, v in data["hashes"].items()
            ],
            "lrrrrr",
        ),
        "",
        f"verifies/s: one process per core ({m['nproc']}), nothing else served.",
    ]
    if data.get("http"):
        parts += [
            "",
            f"Log-ins over HTTP (gunicorn {data['workers']}x{data['threads']}, "
            f"{data['clients']} clients, {data['seconds']:.0f} s per case; a log-in = GET the "
            "form + POST it):",
            "",
            table(
                [
                    "case",
                    "log-ins",
                    "errors",
                    "log-ins/s",
                    "p50 ms",
                    "p95 ms",
                    "server CPU ms",
                    "2 cores take /s",
                    "3.3/s needs",
                    "other cores",
                ],
                [
                    [
                        v["label"],
                        v["logins"],
                        v["errors"],
                        fmt(v["per_second"], 1),
                        fmt(v["p50_ms"]),
                        fmt(v["p95_ms"]),
                        fmt(v["server_cpu_ms"], 1),
                        fmt(2000 / v["server_cpu_ms"], 0) if v["server_cpu_ms"] else "-",
                        f"{1000 / 300 * v['server_cpu_ms'] / 10:.1f} % of a core"
                        if v["server_cpu_ms"]
                        else "-",
                        fmt(v["other_cores"], 2),
                    ]
                    for v in data["http"].values()
                ],
                "lrrrrrrrrr",
            ),
            "",
            "Stored hashes after each case: "
            + "; ".join(f"{k}: {v['stored_hashes_after']}" for k, v in data["http"].items()),
        ]
    return "\n".join(parts)


def main(argv=None) -> int:
    args = parse_args(argv)
    out = new_out_dir("login", args.out)
    log(f"output in {out}")
    data = {
        "machine": machine(),
        "loadavg_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "rounds": args.rounds,
        "seconds": args.seconds,
        "clients": args.clients,
        "workers": args.workers,
        "threads": args.threads,
    }
    with Stack(out) as stack:
        if args.skip_http:
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
            import django

            django.setup()
        else:
            stack.start_postgres()
            stack.start_redis()
            stack.setup_django()
            prepare_database(collectstatic=True)
        data["hashes"] = hash_timings(args.rounds)
        data["throughput"] = verify_throughput(max(2.0, args.seconds / 4))
        if not args.skip_http:
            data["http"] = http_cases(stack, args)
    md = summary_md(data)
    (out / "summary.md").write_text(md + "\n")
    (out / "summary.json").write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
