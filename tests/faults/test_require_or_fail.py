"""The require-or-fail rule: a missing service skips locally and fails under CI=true."""

import pytest

from tests import plugin


@pytest.mark.parametrize("ci", ["true", ""])
def test_a_missing_redis_fails_under_ci_and_skips_otherwise(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    monkeypatch.delenv("TEST_REDIS_URL", raising=False)
    expected = pytest.fail.Exception if ci else pytest.skip.Exception
    with pytest.raises(expected, match="redis-server"):
        plugin.require("redis")


@pytest.mark.parametrize("ci", ["true", ""])
def test_a_reason_given_by_a_fixture_follows_the_same_rule(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if ci else pytest.skip.Exception
    with pytest.raises(expected, match="not started by the plugin"):
        plugin.require("postgresql", "PostgreSQL not started by the plugin")


def test_a_present_service_neither_skips_nor_fails(monkeypatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("TEST_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(plugin.STATE, "missing", {})
    plugin.require("redis")


def test_the_redis_url_fixture_fails_under_ci_without_redis(monkeypatch, request):
    """It used to call pytest.skip itself, which CI=true let pass as a skip."""
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("TEST_REDIS_URL", raising=False)
    with pytest.raises((pytest.fail.Exception, pytest.skip.Exception)) as outcome:
        request.getfixturevalue("redis_url")
    assert outcome.type is pytest.fail.Exception, "a skip under CI=true hides a missing Redis"
    assert "redis-server" in str(outcome.value)
