"""What the one-process CPU benchmarks share (`bench.start_cpu`, `bench.submit_cpu`,
`bench.autosave_cpu`): the stack they run on and how they count CPU per kind of request.

The stack: a throwaway PostgreSQL with production durability (fsync, synchronous_commit and
full page writes on) and Redis, as `make bench` starts them; Django in this process with the
benchmark's settings (`bench.settings`, production's) and persistent database connections.

The count: CPU of this process (Django, `time.process_time`) and of its PostgreSQL backend
(utime + stime from /proc), wall time and, when asked, the statements issued, summed per kind
of request. Redis and the HTTP server are left out, so the figures are the application's and
database's share, not a whole request's.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from bench.stack import DURABLE, Stack, create_students, log, new_out_dir, prepare_database

TICK = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    """CPU seconds (user + system) the PostgreSQL backend `pid` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def run_on_stack(
    name: str,
    out: str | None,
    measure: Callable[[Path], dict],
    *,
    collectstatic: bool,
    **django_settings: str,
) -> dict:
    """Start the stack, set Django up, load the seed bank, then `measure(out_dir)`; stop all."""
    out_dir = new_out_dir(name, out)
    with Stack(out_dir) as stack:
        stack.start_postgres(DURABLE)
        stack.start_redis()
        stack.setup_django(CONN_MAX_AGE="600", **django_settings)
        prepare_database(collectstatic=collectstatic)
        return measure(out_dir)


class CpuMeter:
    """CPU, wall time and (with `count_queries`) statements, summed per kind of request.

    Made after Django is set up: it asks PostgreSQL for the backend of this process's
    connection, which the persistent connection keeps for the whole run.
    """

    def __init__(self, kinds: Iterable[str], *, count_queries: bool = False):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.backend = cursor.fetchone()[0]
        self.count_queries = count_queries
        self.spent = {
            kind: {"django": 0.0, "postgres": 0.0, "n": 0, "wall": 0.0, "queries": 0}
            for kind in kinds
        }

    @contextlib.contextmanager
    def timing(self, kind: str) -> Iterator[None]:
        """Count what the block costs as one request of `kind`."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        spent = self.spent[kind]
        capture = (
            CaptureQueriesContext(connection) if self.count_queries else contextlib.nullcontext(())
        )
        django0, pg0, wall0 = time.process_time(), backend_cpu(self.backend), time.perf_counter()
        with capture as queries:
            yield
        spent["wall"] += time.perf_counter() - wall0
        spent["django"] += time.process_time() - django0
        spent["postgres"] += backend_cpu(self.backend) - pg0
        spent["n"] += 1
        spent["queries"] += len(queries)

    def figures(self) -> dict[str, dict]:
        """Per kind: requests, then per request CPU (Django, PostgreSQL, both), wall, queries."""
        figures = {}
        for kind, s in self.spent.items():
            n = s["n"] or 1
            figures[kind] = {
                "requests": s["n"],
                "django_cpu_ms": 1000 * s["django"] / n,
                "postgres_cpu_ms": 1000 * s["postgres"] / n,
                "cpu_ms": 1000 * (s["django"] + s["postgres"]) / n,
                "wall_ms": 1000 * s["wall"] / n,
            }
            if self.count_queries:
                figures[kind]["queries"] = s["queries"] / n
        return figures

    def log(self, figures: dict[str, dict]) -> None:
        """One line per kind of request."""
        width = max(len(kind) for kind in self.spent)
        for kind in self.spent:
            f = figures[kind]
            queries = f", {f['queries']:.1f} queries" if self.count_queries else ""
            log(
                f"{kind:{width}}: {f['requests']} requests{queries}, CPU {f['cpu_ms']:.2f} ms each "
                f"(Django {f['django_cpu_ms']:.2f}, PostgreSQL {f['postgres_cpu_ms']:.2f}), "
                f"wall {f['wall_ms']:.2f} ms"
            )


def students_in_progress(count: int, **client_defaults: str) -> tuple[object, list[tuple]]:
    """`count` bench students, each with the first active exam blueprint started and a test
    client logged in (`client_defaults` as Client's); returns the blueprint and the
    (client, attempt) pairs in student order."""
    from django.test import Client

    from accounts.models import User
    from exams.models import Blueprint
    from exams.services import attempt_start

    create_students(count)
    blueprint = Blueprint.objects.filter(is_active=True, mode=Blueprint.Mode.EXAM).first()
    students = []
    for user in User.objects.filter(username__startswith="bench").order_by("pk"):
        attempt = attempt_start(user=user, blueprint=blueprint, rng=random.Random(user.pk))
        client = Client(SERVER_NAME="127.0.0.1", **client_defaults)
        client.force_login(user)
        students.append((client, attempt))
    return blueprint, students
