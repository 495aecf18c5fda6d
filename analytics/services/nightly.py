"""The nightly rebuild of every derived number, step by step (the Celery task calls this)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from exams.models import Blueprint

from .items import blueprint_statistics_compute
from .results import _untimed, recompute_everything


def nightly_recompute(*, step: Callable[[str], AbstractContextManager] = _untimed) -> dict:
    """Rebuild the domain rows and standings, then every blueprint's item statistics.

    The planner statistics are refreshed once, at the start, not once per blueprint.
    `step(name)` wraps each step (the benchmark times them).
    """
    summary = recompute_everything(step=step)
    blueprints = 0
    for blueprint_id in Blueprint.objects.order_by("pk").values_list("pk", flat=True):
        with step("item statistics (every blueprint)"):
            blueprint_statistics_compute(blueprint_id=blueprint_id, refresh_planner=False)
        blueprints += 1
    return {**summary, "blueprints": blueprints}
