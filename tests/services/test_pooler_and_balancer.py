"""The standard parts for several machines, as tests/servers.py starts them.

PgBouncer pools in transaction mode in front of the suite's PostgreSQL; HAProxy balances
round-robin over HTTP backends, checks /healthz and adds X-Forwarded-For.
"""

from __future__ import annotations

import http.server
import json
import threading
import time

import psycopg2
import requests

from tests.servers import HAProxyServer, find_sbin


def _require_binary(name: str) -> str:
    from tests.plugin import require
    from tests.servers import PACKAGE_HINT

    binary = find_sbin(name)
    if binary is None:
        require(name, PACKAGE_HINT[name])
    return binary


def test_pgbouncer_pools_transactions_onto_few_server_connections(pgbouncer):
    config = {row["key"]: row["value"] for row in pgbouncer.admin("SHOW CONFIG")}
    assert config["pool_mode"] == "transaction"
    assert config["max_client_conn"] == "2000"
    assert config["default_pool_size"] == "20"
    assert "extra_float_digits" in config["ignore_startup_parameters"]

    clients = [psycopg2.connect(pgbouncer.url) for _ in range(30)]
    try:
        backends = set()
        for conn in clients:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backends.add(cursor.fetchone()[0])
        # 30 clients, one statement at a time: they share a server connection or two.
        assert len(backends) <= 3, backends
    finally:
        for conn in clients:
            conn.close()


class _Backend(http.server.ThreadingHTTPServer):
    def __init__(self, name: str, healthy: bool = True):
        self.name, self.healthy, self.seen = name, healthy, []
        super().__init__(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the stdlib's name
        server: _Backend = self.server
        if self.path == "/healthz":  # shaped like core.views.healthz
            code = 200 if server.healthy else 503
            body = json.dumps({"status": "ok", "database": {"ok": server.healthy}}).encode()
        else:
            server.seen.append(self.headers.get("X-Forwarded-For"))
            code = 200
            body = json.dumps({"node": server.name}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_haproxy_balances_round_robin_and_skips_an_unhealthy_node():
    binary = _require_binary("haproxy")
    nodes = [_Backend("a"), _Backend("b")]
    lb = HAProxyServer(binary, [n.server_address[:2] for n in nodes], check_interval_ms=200)
    try:
        lb.start()
        assert lb.backend_status() == {"node1": "UP", "node2": "UP"}
        answered = [requests.get(f"{lb.url}/page", timeout=5).json()["node"] for _ in range(6)]
        assert sorted(answered) == ["a"] * 3 + ["b"] * 3, answered
        assert [xff for n in nodes for xff in n.seen] == ["127.0.0.1"] * 6

        nodes[1].healthy = False  # its /healthz now answers 503: out of rotation
        deadline = time.monotonic() + 10
        while lb.backend_status()["node2"] != "DOWN" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert lb.backend_status()["node2"] == "DOWN"
        answered = {requests.get(f"{lb.url}/page", timeout=5).json()["node"] for _ in range(4)}
        assert answered == {"a"}
    finally:
        lb.cleanup()
        for node in nodes:
            node.shutdown()
            node.server_close()
