"""The system under test, started from scratch on this machine and stopped afterwards.

PostgreSQL and Redis come from tests/servers.py (throwaway servers on free ports, as the
postgres user when run as root), PostgreSQL switched back to production durability (the test
servers run without fsync); gunicorn and a Celery worker are started the way the Dockerfile
and docker-compose.yml run them in production; optionally PgBouncer (transaction pooling) in
front of PostgreSQL and HAProxy in front of several gunicorn nodes (tests/servers.py too).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from config.celery import QUEUES, worker_argv
from tests.servers import PostgresServer, RedisServer, find_pg_bin, free_port

REPO = Path(__file__).resolve().parent.parent
OUT_ROOT = REPO / "bench" / "out"
SETTINGS = "bench.settings"  # config.settings.prod with STATIC_ROOT under bench/out
PASSWORD = "bench-student-pass-2026"  # noqa: S105 - throwaway accounts on a throwaway database
# What production runs with; the throwaway test servers turn these off for speed.
DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
# Read back with SHOW after the start, and stated in every summary.
SHOWN_SETTINGS = (
    "server_version",
    "fsync",
    "synchronous_commit",
    "full_page_writes",
    "wal_level",
    "shared_buffers",
    "max_connections",
    "checkpoint_timeout",
    "max_wal_size",
)


def new_out_dir(kind: str, out: str | None = None) -> Path:
    path = Path(out) if out else OUT_ROOT / f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Stack(contextlib.ExitStack):
    """Servers started for one benchmark run; leaving the `with` block stops all of them."""

    def __init__(self, out: Path):
        super().__init__()
        self.out = out
        self.pg: PostgresServer | None = None
        self.redis: RedisServer | None = None
        self.pgbouncer = None  # tests.servers.PgBouncerServer when --pgbouncer
        self.haproxy = None  # tests.servers.HAProxyServer when --nodes > 1
        self.processes: dict[str, subprocess.Popen] = {}
        self.secret_key = secrets.token_urlsafe(50)

    # --- PostgreSQL and Redis ---------------------------------------------------------------
    def start_postgres(self, settings: dict[str, str] | None = None) -> PostgresServer:
        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise SystemExit("PostgreSQL binaries not found: apt-get install postgresql")
        self.pg = PostgresServer(bin_dir).start()
        self.callback(self.pg.cleanup)
        if settings:
            self.restart_postgres(settings)
        return self.pg

    def restart_postgres(self, settings: dict[str, str] = DURABLE) -> None:
        """Restart with `settings` on the command line instead of the test servers' options.

        tests/servers.py starts PostgreSQL with `-c fsync=off -c synchronous_commit=off
        -c full_page_writes=off`; command-line options beat ALTER SYSTEM, so the settings are
        given the same way. pg_ctl records them in postmaster.opts, so a later restart keeps
        them. The restart also empties PostgreSQL's shared buffers (a cold cache); close this
        process's Django connection first if it has one.
        """
        from tests.servers import _demote_cmd

        pg = self.pg
        bin_dir = pg.bin_dir
        opts = " ".join(
            [
                f"-p {pg.port} -k {pg.root} -h 127.0.0.1 -c max_connections=200",
                *(f"-c {name}={value}" for name, value in settings.items()),
            ]
        )
        subprocess.run(
            _demote_cmd(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(pg.root / "data"),
                    "-o",
                    opts,
                    "-l",
                    str(pg.root / "log"),
                    "-m",
                    "fast",
                    "-w",
                    "-t",
                    "300",  # the shutdown checkpoint after a bulk load can take a while
                    "restart",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def postgres_settings(self) -> dict[str, str]:
        """The settings the running PostgreSQL reports (SHOW), for the summary."""
        import psycopg2

        with contextlib.closing(psycopg2.connect(self.pg.url)) as conn, conn.cursor() as cur:
            shown = {}
            for name in SHOWN_SETTINGS:
                cur.execute(f"SHOW {name}")
                shown[name] = cur.fetchone()[0]
        return shown

    def start_pgbouncer(self):
        """PgBouncer in transaction pooling mode in front of the PostgreSQL (after it started)."""
        from tests import servers

        if not hasattr(servers, "PgBouncerServer"):
            raise SystemExit("tests/servers.py has no PgBouncerServer (branch h-pgbouncer)")
        if shutil.which("pgbouncer") is None:
            raise SystemExit("pgbouncer not found: apt-get install pgbouncer")
        self.pgbouncer = servers.PgBouncerServer.in_front_of(self.pg).start()
        self.callback(self.pgbouncer.cleanup)
        return self.pgbouncer

    def start_haproxy(self, backends: list[str]):
        """HAProxy balancing round-robin over the gunicorn nodes (their http://host:port)."""
        from tests import servers

        if not hasattr(servers, "HAProxyServer"):
            raise SystemExit("tests/servers.py has no HAProxyServer (branch h-pgbouncer)")
        binary = shutil.which("haproxy") or (
            "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
        )
        if binary is None:
            raise SystemExit("haproxy not found: apt-get install haproxy")
        pairs = [(u.split("//")[1].split(":")[0], int(u.rsplit(":", 1)[1])) for u in backends]
        self.haproxy = servers.HAProxyServer(binary, pairs).start()
        self.callback(self.haproxy.cleanup)
        return self.haproxy

    def start_redis(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server not found: apt-get install redis-server")
        self.redis = RedisServer(binary).start()
        self.callback(self.redis.cleanup)
        return self.redis

    # --- Django ---------------------------------------------------------------------------------
    def django_env(self, **extra: str) -> dict[str, str]:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "BENCH_STATIC_ROOT": str(self.out / "staticfiles"),
            "SECRET_KEY": self.secret_key,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "BENCH_ENDPOINTS": "true",
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": self.database_url(),
            "REDIS_URL": self.redis.url if self.redis else "",
        }
        env.update(extra)
        return env

    def database_url(self) -> str:
        """Through PgBouncer when it runs (then no server-side cursors), else PostgreSQL's."""
        if self.pgbouncer is not None:
            return self.pgbouncer.url_for(self.pg.url.rsplit("/", 1)[1])
        return self.pg.url if self.pg else ""

    def setup_django(self, **extra: str) -> None:
        """Configure Django in this process with the same settings as the servers."""
        os.environ.update(self.django_env(**extra))
        import django

        django.setup()

    # --- Processes ---------------------------------------------------------------------------
    def spawn(self, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
        log_file = open(self.out / f"{name}.log", "wb")  # noqa: SIM115 - closed on stop
        process = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stopping reaches its children
        )
        self.processes[name] = process

        def stop() -> None:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait(10)
            log_file.close()

        self.callback(stop)
        return process

    def start_gunicorn(
        self, *, workers: int, threads: int, env: dict[str, str], name: str = "gunicorn"
    ) -> str:
        """gunicorn on a free port; its log (`<name>.log`) holds the JSON request lines."""
        port = free_port()
        cmd = [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "30",
            "--log-level",
            "warning",
        ]
        if threads > 1:
            cmd += ["--threads", str(threads)]
        process = self.spawn(name, cmd, env)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{(self.out / f'{name}.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        return url
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def start_celery(self, *, concurrency: int, env: dict[str, str]) -> subprocess.Popen:
        # One worker for both queues (-Q exams,analytics), as in the tests.
        cmd = worker_argv(f"--concurrency={concurrency}", queues=QUEUES)
        process = self.spawn("celery", cmd, env)
        log_path = self.out / "celery.log"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if b"ready." in log_path.read_bytes():
                return process
            if process.poll() is not None:
                raise RuntimeError(f"celery worker exited:\n{log_path.read_text()}")
            time.sleep(0.3)
        raise RuntimeError("celery worker not ready within 60 s")


def prepare_database(*, collectstatic: bool) -> None:
    """Migrate and load the seed question bank (Django must be set up)."""
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    if collectstatic:
        call_command("collectstatic", "--noinput", verbosity=0)
    call_command("load_question_bank", verbosity=0)


def create_students(count: int, *, prefix: str = "bench") -> list[str]:
    """Create `count` students in bulk: one password hash, computed once, shared by all."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from accounts.models import User
    from accounts.roles import Role

    password_hash = make_password(PASSWORD)
    usernames = [f"{prefix}{i:06d}" for i in range(count)]
    users = User.objects.bulk_create(
        [User(username=name, password=password_hash) for name in usernames], batch_size=2000
    )
    group = Group.objects.get(name=Role.STUDENT.value)
    through = User.groups.through
    through.objects.bulk_create(
        [through(user_id=user.pk, group_id=group.pk) for user in users], batch_size=5000
    )
    return usernames
