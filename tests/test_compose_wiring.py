"""docker-compose.yml's wiring for several machines, and the config files it mounts.

Docker does not run here; the YAML is parsed and checked, HAProxy checks its own config
(`haproxy -c`), and PgBouncer runs the deploy config in front of the suite's PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest
import yaml

from tests.servers import PACKAGE_HINT, PgBouncerServer, find_sbin

REPO = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APPS = ["migrate", "web", "worker", "analytics-worker", "beat"]
POOLED = ["web", "worker", "beat"]  # through PgBouncer
DIRECT = ["migrate", "analytics-worker"]  # straight to db, server-side cursors on


def _binary(name: str) -> str:
    from tests.plugin import require

    binary = find_sbin(name)
    if binary is None:
        require(name, PACKAGE_HINT[name])
    return binary


def _mounts(service: str) -> dict[str, str]:
    """{container path: host path} of a service's bind mounts."""
    mounts = {}
    for volume in SERVICES[service].get("volumes", []):
        host, container = volume.split(":")[:2]
        if host.startswith("./"):
            mounts[container] = host
    return mounts


def test_only_the_load_balancer_publishes_a_port_so_web_and_workers_scale():
    published = {name: s["ports"] for name, s in SERVICES.items() if s.get("ports")}
    assert published == {"lb": ["8000:8000"]}
    for name in ["web", "worker", "analytics-worker"]:
        assert "container_name" not in SERVICES[name], name  # a fixed name cannot scale
    assert SERVICES["web"]["expose"] == ["8000"]


def test_the_load_balancer_is_haproxy_in_front_of_web():
    lb = SERVICES["lb"]
    assert lb["image"].startswith("haproxy:")
    assert "web" in lb["depends_on"]
    config = _mounts("lb")["/usr/local/etc/haproxy/haproxy.cfg"]
    text = (REPO / config).read_text()
    assert "balance roundrobin" in text
    assert "option forwardfor" in text
    assert "server-template web 1-10 web:8000 check" in text
    assert "uri /healthz" in text
    # Behind lb, the app reads the client's address from X-Forwarded-For.
    assert SERVICES["web"]["environment"]["TRUSTED_PROXY_COUNT"] == "${TRUSTED_PROXY_COUNT:-1}"


def test_haproxy_accepts_the_deploy_config():
    binary = _binary("haproxy")
    result = subprocess.run(
        [binary, "-c", "-f", str(REPO / "deploy/haproxy/haproxy.cfg")],
        capture_output=True,
        text=True,
    )
    # Warnings only that `web` does not resolve outside compose (init-addr none keeps it).
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Configuration file is valid" in result.stdout + result.stderr


@pytest.mark.parametrize("service", APPS)
def test_apps_reach_postgresql_through_pgbouncer_except_migrate_and_analytics(service):
    env = SERVICES[service]["environment"]
    url = urlsplit(env["DATABASE_URL"])
    if service in POOLED:
        assert (url.hostname, url.port) == ("pgbouncer", 6432)
        assert env["DISABLE_SERVER_SIDE_CURSORS"] == "true"
        assert SERVICES[service]["depends_on"]["pgbouncer"] == {"condition": "service_healthy"}
    else:
        assert service in DIRECT
        assert (url.hostname, url.port) == ("db", 5432)
        assert env["DISABLE_SERVER_SIDE_CURSORS"] == "false"
    assert url.path == "/dva"


def test_pgbouncer_service_pools_transactions_in_front_of_db():
    pgbouncer = SERVICES["pgbouncer"]
    assert "db" in pgbouncer["depends_on"]
    mounts = _mounts("pgbouncer")
    ini = (REPO / mounts["/etc/pgbouncer/pgbouncer.ini"]).read_text()
    assert (REPO / mounts["/etc/pgbouncer/userlist.txt"]).exists()
    lines = {
        key.strip(): value.strip()
        for key, _, value in (
            line.partition("=") for line in ini.splitlines() if line and line[0] not in ";["
        )
    }
    assert lines["dva"] == "host=db port=5432 dbname=dva"
    assert lines["listen_port"] == "6432"
    assert lines["pool_mode"] == "transaction"
    assert lines["max_client_conn"] == "2000"
    assert lines["ignore_startup_parameters"] == "extra_float_digits,options"
    assert lines["server_reset_query_always"] == "0"


def test_disable_server_side_cursors_comes_from_the_environment():
    code = (
        "from django.conf import settings; "
        "print(settings.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS'])"
    )
    seen = {}
    for value in ("true", "false", None):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
        env["DATABASE_URL"] = "postgres://dva:dva@pgbouncer:6432/dva"
        env.pop("DISABLE_SERVER_SIDE_CURSORS", None)
        if value is not None:
            env["DISABLE_SERVER_SIDE_CURSORS"] = value
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        seen[value] = result.stdout.strip().splitlines()[-1]
    assert seen == {"true": "True", "false": "False", None: "False"}


class _DeployPgBouncer(PgBouncerServer):
    """deploy/pgbouncer/pgbouncer.ini as PgBouncer runs it, pointed at this machine."""

    database: str = "postgres"

    @property
    def url(self) -> str:
        return f"postgres://dva:dva@127.0.0.1:{self.port}/dva"

    def config(self) -> str:
        text = (REPO / "deploy/pgbouncer/pgbouncer.ini").read_text()
        userlist = self.root / "deploy-userlist.txt"
        shutil.copy(REPO / "deploy/pgbouncer/userlist.txt", userlist)
        os.chmod(userlist, 0o644)
        for old, new in [
            (
                "dva = host=db port=5432 dbname=dva",
                f"dva = host=127.0.0.1 port={self.upstream_port} dbname={self.database}",
            ),  # noqa: E501
            ("listen_addr = 0.0.0.0", "listen_addr = 127.0.0.1"),
            ("listen_port = 6432", f"listen_port = {self.port}"),
            ("auth_file = /etc/pgbouncer/userlist.txt", f"auth_file = {userlist}"),
        ]:
            assert old in text, old
            text = text.replace(old, new)
        return text + f"logfile = {self.root / 'pgbouncer.log'}\n"


@pytest.mark.django_db(transaction=True)
@pytest.mark.services("postgresql")
def test_pgbouncer_runs_the_deploy_config_with_password_auth():
    from django.db import connection

    from tests.plugin import STATE, require

    binary = _binary("pgbouncer")
    if STATE["pg"] is None:
        require("postgresql", "PostgreSQL was not started by tests/plugin.py (DATABASE_URL given)")
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE dva LOGIN PASSWORD 'dva'")
    bouncer = _DeployPgBouncer(binary, "127.0.0.1", STATE["pg"].port)
    bouncer.database = connection.settings_dict["NAME"]
    try:
        bouncer.start()
        conn = psycopg2.connect(bouncer.url)
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT current_user, current_database()")
                assert cursor.fetchone() == ("dva", bouncer.database)
        finally:
            conn.close()
        wrong = bouncer.url.replace("dva:dva@", "dva:wrong@")
        with pytest.raises(psycopg2.OperationalError, match="authentication failed"):
            psycopg2.connect(wrong)
    finally:
        bouncer.cleanup()
        with connection.cursor() as cursor:
            cursor.execute("DROP ROLE IF EXISTS dva")
