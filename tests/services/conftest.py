"""Servers the tests of several machines share: PgBouncer in front of the suite's PostgreSQL,
and a Redis of a test's own (from tests/faults/conftest.py)."""

from __future__ import annotations

import pytest

from tests.faults.conftest import private_redis  # noqa: F401 - a fixture, used by test_two_nodes


@pytest.fixture
def pgbouncer():
    """PgBouncer (transaction pooling, tests/servers.py) in front of the suite's PostgreSQL."""
    from tests.plugin import STATE, require
    from tests.servers import PACKAGE_HINT, PgBouncerServer, find_sbin

    require("postgresql")
    if find_sbin("pgbouncer") is None:
        require("pgbouncer", PACKAGE_HINT["pgbouncer"])
    if STATE["pg"] is None:
        require("postgresql", "PostgreSQL was not started by tests/plugin.py (DATABASE_URL given)")
    server = PgBouncerServer.in_front_of(STATE["pg"]).start()
    try:
        yield server
    finally:
        server.cleanup()
