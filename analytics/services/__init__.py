"""Writes of precomputed analytics; see results.py (set-based SQL) and items.py (statistics)."""

from .items import blueprint_statistics_compute
from .nightly import nightly_recompute
from .results import (
    attempt_results_compute,
    recompute_everything,
    regrade_from_raw_answers,
    standings_compute,
)

__all__ = [
    "attempt_results_compute",
    "blueprint_statistics_compute",
    "nightly_recompute",
    "recompute_everything",
    "regrade_from_raw_answers",
    "standings_compute",
]
