"""Start throwaway PostgreSQL and Redis servers from the installed binaries.

The suite never depends on services someone set up by hand: each run gets fresh
servers in a temporary folder on free ports, and they are stopped at exit.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_HINT = {
    "postgresql": "PostgreSQL binaries (initdb, pg_ctl) not found: apt-get install postgresql",
    "redis": "redis-server not found: apt-get install redis-server",
    "chromium": "Chromium not found at /usr/bin/chromium: apt-get install chromium",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_pg_bin() -> Path | None:
    """Return the folder holding initdb and pg_ctl, from PATH or Debian's versioned folders."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(os.path.realpath(initdb)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _demote_cmd(cmd: list[str]) -> list[str]:
    # initdb and pg_ctl refuse to run as root; run them as the postgres user then.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@dataclass
class PostgresServer:
    bin_dir: Path
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dva-pg-")))
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> PostgresServer:
        data = self.root / "data"
        if os.geteuid() == 0:
            os.chmod(self.root, 0o755)  # noqa: S103 - the postgres user must reach it
            shutil.chown(self.root, "postgres", "postgres")
        subprocess.run(
            _demote_cmd(
                [
                    str(self.bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        opts = (
            f"-p {self.port} -k {self.root} -h 127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            _demote_cmd(
                [
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    opts,
                    "-l",
                    str(self.root / "log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return self

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            _demote_cmd(
                [
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self.root / "data"),
                    "-m",
                    mode,
                    "-w",
                    "stop",
                ]
            ),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def restart(self) -> None:
        subprocess.run(
            _demote_cmd(
                [
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self.root / "data"),
                    "-m",
                    "fast",
                    "-w",
                    "restart",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class RedisServer:
    binary: str
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dva-redis-")))
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start within 20 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


PACKAGE_HINT.update(
    {
        "pgbouncer": "pgbouncer not found: apt-get install pgbouncer",
        "haproxy": "haproxy not found: apt-get install haproxy",
    }
)


def _hand_to_postgres(path: Path) -> None:
    """Let the postgres user (see _demote_cmd) read and write `path` when we run as root."""
    if os.geteuid() == 0:
        os.chmod(path, 0o755)  # noqa: S103 - the postgres user must reach it
        shutil.chown(path, "postgres", "postgres")


def _stop_process(process: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    if process and process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@dataclass
class PgBouncerServer:
    """PgBouncer in transaction pooling mode in front of a `PostgresServer`.

    Clients connect to 127.0.0.1:`port` as `postgres` to any database name; the `*` entry
    forwards each to the same database on the upstream server, so pytest-django's test
    database works through it too. Authentication mirrors the upstream cluster (initdb -A
    trust, user postgres without a password): auth_type trust, with the user listed in the
    auth file as PgBouncer requires.

    default_pool_size (20): server connections per (database, user) pair. Two cores do useful
    work on about 2 x cores + a few connections at once; the rest of a pool covers transactions
    waiting on a commit's WAL flush or on an attempt's row lock, where the CPU is idle. 20
    keeps both cores busy under the benchmark's load while staying far below the cluster's
    max_connections (200), leaving room for direct connections (migrate, the test process,
    reports). Clients beyond the pool queue in PgBouncer (query_wait_timeout) instead of each
    holding a PostgreSQL backend of its own.
    """

    binary: str
    upstream_host: str = "127.0.0.1"
    upstream_port: int = 5432
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dva-pgbouncer-")))
    port: int = field(default_factory=free_port)
    default_pool_size: int = 20
    max_client_conn: int = 2000
    # Seconds a query may wait for a server connection before PgBouncer drops the client (its
    # default is 120). While PostgreSQL is down every query waits this long, so it must stay
    # well below gunicorn's --timeout (30 s), or workers are killed instead of answering 500;
    # a burst that queues longer than this has failed its students anyway.
    # deploy/pgbouncer/pgbouncer.ini uses the same value.
    query_wait_timeout: int = 10
    process: subprocess.Popen | None = None

    @classmethod
    def in_front_of(cls, pg: PostgresServer, **kwargs) -> PgBouncerServer:
        return cls(shutil.which("pgbouncer") or "pgbouncer", "127.0.0.1", pg.port, **kwargs)

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def config(self) -> str:
        return f"""\
[databases]
* = host={self.upstream_host} port={self.upstream_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.root / "userlist.txt"}
admin_users = postgres
stats_users = postgres
pool_mode = transaction
max_client_conn = {self.max_client_conn}
default_pool_size = {self.default_pool_size}
min_pool_size = 0
reserve_pool_size = 5
reserve_pool_timeout = 2
max_db_connections = 0
; Transaction pooling: PgBouncer does not run server_reset_query between clients (only in
; session mode, or with server_reset_query_always = 1), since a client must not leave
; session state behind; DISCARD ALL is the reset for session pools.
server_reset_query = DISCARD ALL
server_reset_query_always = 0
; psycopg/Django send these as startup parameters; PgBouncer cannot pool them otherwise.
ignore_startup_parameters = extra_float_digits,options
; Retry a failed server login after 1 s (default 15 s), so a restarted PostgreSQL is found soon.
server_login_retry = 1
server_connect_timeout = 5
query_wait_timeout = {self.query_wait_timeout}
server_idle_timeout = 60
server_lifetime = 3600
logfile = {self.root / "pgbouncer.log"}
pidfile = {self.root / "pgbouncer.pid"}
stats_period = 1
log_connections = 0
log_disconnections = 0
"""

    def start(self) -> PgBouncerServer:
        _hand_to_postgres(self.root)
        (self.root / "userlist.txt").write_text('"postgres" ""\n')
        (self.root / "pgbouncer.ini").write_text(self.config())
        for name in ("userlist.txt", "pgbouncer.ini"):
            if os.geteuid() == 0:
                shutil.chown(self.root / name, "postgres", "postgres")
        # PgBouncer refuses to run as root; in the foreground, so stop() can signal it.
        self.process = subprocess.Popen(
            _demote_cmd([self.binary, str(self.root / "pgbouncer.ini")]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 20) -> None:
        """Return once a query goes through PgBouncer to PostgreSQL and back."""
        import psycopg2

        deadline = time.monotonic() + timeout
        error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited:\n{self.log()}")
            try:
                conn = psycopg2.connect(self.url, connect_timeout=2)
                try:
                    with conn.cursor() as cursor:
                        cursor.execute("SELECT 1")
                        cursor.fetchone()
                    return
                finally:
                    conn.close()
            except psycopg2.Error as exc:
                error = exc
                time.sleep(0.1)
        raise RuntimeError(f"pgbouncer not ready in {timeout} s ({error}):\n{self.log()}")

    def admin(self, command: str) -> list[dict]:
        """Rows of an admin console command (SHOW POOLS, SHOW STATS, ...) as dicts."""
        import psycopg2

        conn = psycopg2.connect(self.url_for("pgbouncer"), connect_timeout=5)
        conn.autocommit = True  # the admin console takes no transactions
        try:
            with conn.cursor() as cursor:
                cursor.execute(command)
                names = [column.name for column in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            conn.close()

    def transactions_served(self, database: str) -> int:
        """Transactions PgBouncer has pooled for `database` (SHOW STATS, refreshed each second)."""
        time.sleep(1.2)  # stats_period = 1
        rows = [r for r in self.admin("SHOW STATS") if r["database"] == database]
        return int(rows[0]["total_xact_count"]) if rows else 0

    def server_pids(self) -> list[int]:
        """PID of the pgbouncer process (runuser's child when demoted)."""
        pidfile = self.root / "pgbouncer.pid"
        return [int(pidfile.read_text().strip())] if pidfile.exists() else []

    def log(self) -> str:
        path = self.root / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        # SIGTERM: immediate shutdown (PgBouncer 1.18); runuser passes the signal on.
        _stop_process(self.process)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class HAProxyServer:
    """HAProxy balancing HTTP round-robin over `backends` ((host, port) pairs).

    Each backend is health-checked with GET /healthz (Host: `check_host`, which must be in
    the app's ALLOWED_HOSTS) and taken out of rotation after 2 failures; `option forwardfor`
    adds X-Forwarded-For, so the app behind it needs TRUSTED_PROXY_COUNT=1. A stats socket in
    the temp dir lets tests ask which backends are up.
    """

    binary: str
    backends: list[tuple[str, int]]
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dva-haproxy-")))
    port: int = field(default_factory=free_port)
    check_host: str = "127.0.0.1"
    check_interval_ms: int = 1000
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> str:
        servers = "\n".join(
            f"    server node{index} {host}:{port} check"
            for index, (host, port) in enumerate(self.backends, start=1)
        )
        return f"""\
global
    maxconn 4096
    stats socket {self.root / "admin.sock"} mode 600 level admin

defaults
    mode http
    option httplog
    option forwardfor
    option redispatch
    retries 2
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout queue 30s
    timeout check 5s

frontend web
    bind 127.0.0.1:{self.port}
    default_backend app

backend app
    balance roundrobin
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host {self.check_host}
    http-check expect status 200
    default-server inter {self.check_interval_ms} fall 2 rise 1
{servers}
"""

    def start(self, *, wait_backends_up: bool = True, timeout: float = 30) -> HAProxyServer:
        cfg = self.root / "haproxy.cfg"
        cfg.write_text(self.config())
        check = subprocess.run(
            [self.binary, "-c", "-q", "-f", str(cfg)], capture_output=True, text=True
        )
        if check.returncode != 0:
            raise RuntimeError(f"haproxy rejected its config:\n{check.stdout}{check.stderr}")
        self.log_path = self.root / "haproxy.out"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [self.binary, "-db", "-f", str(cfg)], stdout=self._log, stderr=subprocess.STDOUT
        )
        self.wait_ready(wait_backends_up=wait_backends_up, timeout=timeout)
        return self

    def wait_ready(self, *, wait_backends_up: bool = True, timeout: float = 30) -> None:
        """Return once HAProxy listens and, when asked, every backend passed its check."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"haproxy exited:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
                rows = self.backend_rows()
            except OSError:
                time.sleep(0.1)
                continue
            # A server counts as UP before its first check (check_status INI): wait for L7OK.
            if not wait_backends_up or (
                rows
                and all(r["status"] == "UP" and r["check_status"] == "L7OK" for r in rows.values())
            ):
                return
            time.sleep(0.2)
        raise RuntimeError(f"haproxy not ready in {timeout} s:\n{self.output()}")

    def admin(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.root / "admin.sock"))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def backend_rows(self) -> dict[str, dict[str, str]]:
        """{server name: its row of `show stat`} for the app backend's servers."""
        lines = self.admin("show stat").splitlines()
        if not lines or not lines[0].startswith("# "):
            return {}
        header = lines[0][2:].split(",")
        rows = {}
        for line in lines[1:]:
            row = dict(zip(header, line.split(","), strict=False))
            if row.get("pxname") == "app" and row.get("svname", "").startswith("node"):
                rows[row["svname"]] = row
        return rows

    def backend_status(self) -> dict[str, str]:
        """{server name: status} of the app backend, e.g. {"node1": "UP", "node2": "DOWN"}."""
        return {name: row.get("status", "") for name, row in self.backend_rows().items()}

    def output(self) -> str:
        path = getattr(self, "log_path", None)
        return path.read_text(errors="replace") if path and path.exists() else ""

    def stop(self) -> None:
        _stop_process(self.process)  # SIGTERM: hard stop, open connections are cut
        if getattr(self, "_log", None):
            self._log.close()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
