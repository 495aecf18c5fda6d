"""Pytest plugin loaded with -p before pytest-django configures Django.

It starts a throwaway PostgreSQL (and Redis) so the whole suite runs on the real
database the product uses. Without the binaries the suite falls back to SQLite and
every test marked `services` skips with the Debian package to install; under
CI=true such a skip is turned into a failure.
"""

from __future__ import annotations

import atexit
import os
import shutil

import pytest

from tests import servers

STATE: dict[str, object] = {"pg": None, "redis": None, "missing": {}}


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # Runs before pytest-django reads the settings, so DATABASE_URL is in place in time.
    if not os.environ.get("DATABASE_URL"):
        bin_dir = servers.find_pg_bin()
        if bin_dir is None:
            STATE["missing"]["postgresql"] = servers.PACKAGE_HINT["postgresql"]
        else:
            pg = servers.PostgresServer(bin_dir).start()
            atexit.register(pg.cleanup)
            STATE["pg"] = pg
            os.environ["DATABASE_URL"] = pg.url
    if not os.environ.get("TEST_REDIS_URL"):
        binary = shutil.which("redis-server")
        if binary is None:
            STATE["missing"]["redis"] = servers.PACKAGE_HINT["redis"]
        else:
            redis = servers.RedisServer(binary).start()
            atexit.register(redis.cleanup)
            STATE["redis"] = redis
            os.environ["TEST_REDIS_URL"] = redis.url
    if not os.path.exists("/usr/bin/chromium"):
        STATE["missing"]["chromium"] = servers.PACKAGE_HINT["chromium"]
    return (yield)


def pytest_report_header(config):
    db = os.environ.get("DATABASE_URL", "sqlite (PostgreSQL missing)")
    return [f"database: {db.split('@')[-1]}", f"redis: {os.environ.get('TEST_REDIS_URL', '-')}"]


def require(service: str, reason: str | None = None) -> None:
    """Skip (or fail under CI=true) when a service is missing, or with `reason` when given.

    Every test that cannot run for want of a service goes through here, so under CI=true
    nothing is skipped silently.
    """
    if reason is not None:
        _skip_or_fail(reason)
        return
    reason = STATE["missing"].get(service)
    if (
        reason is None
        and service == "postgresql"
        and not os.environ.get("DATABASE_URL", "").startswith("postgres")
    ):
        reason = servers.PACKAGE_HINT["postgresql"]
    if reason is None and service == "redis" and not os.environ.get("TEST_REDIS_URL"):
        reason = servers.PACKAGE_HINT["redis"]
    if reason:
        _skip_or_fail(reason)


def _skip_or_fail(reason: str) -> None:
    if _ci():
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item):
    for marker in item.iter_markers("services"):
        for service in marker.args or ("postgresql", "redis"):
            require(service)
    if item.get_closest_marker("browser"):
        require("chromium")
