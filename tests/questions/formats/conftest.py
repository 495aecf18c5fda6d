"""Fixtures for the format tests (pure Python: no database, no Django)."""

from __future__ import annotations

import pytest

from .helpers import load_seed


@pytest.fixture(scope="session")
def seed_questions() -> list[dict]:
    """Every question of the shipped seed bank, in file order."""
    return load_seed()
