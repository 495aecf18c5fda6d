"""Per-attempt domain results and student standings, as set-based SQL (no Python loops)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from django.db import connection, transaction

from exams.models import Attempt
from exams.scoring import GRADED_ITEMS_SQL
from exams.services import attempt_regrade

from .planner import planner_statistics_refresh

# Derived rows cover finished attempts only (passed as a query parameter, never spelled here).
_OPEN = Attempt.State.IN_PROGRESS.value


def regrade_from_raw_answers() -> set[int]:
    """Set AttemptItem.is_correct from the selections where it differs; return those attempts."""
    true, false = ("TRUE", "FALSE") if connection.vendor == "postgresql" else ("1", "0")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE exams_attemptitem
            SET is_correct = CASE WHEN graded.ok = 1 THEN {true} ELSE {false} END
            FROM ({GRADED_ITEMS_SQL} WHERE a.state <> %s) AS graded
            WHERE graded.item_id = exams_attemptitem.id
              AND (exams_attemptitem.is_correct IS NULL
                   OR exams_attemptitem.is_correct <> (graded.ok = 1))
            RETURNING exams_attemptitem.attempt_id
        """,  # noqa: S608  # nosec B608 - no user input in this SQL
            [_OPEN],
        )
        return {row[0] for row in cursor.fetchall()}


_DOMAIN_ROWS = """
    INSERT INTO analytics_attemptdomainresult (attempt_id, domain_id, correct, total)
    SELECT i.attempt_id, i.domain_id,
           SUM(CASE WHEN i.is_correct THEN 1 ELSE 0 END), COUNT(*)
    FROM exams_attemptitem i
    JOIN exams_attempt a ON a.id = i.attempt_id
    WHERE i.scored AND a.state <> %s {filter}
    GROUP BY i.attempt_id, i.domain_id
    ON CONFLICT (attempt_id, domain_id)
    DO UPDATE SET correct = excluded.correct, total = excluded.total
"""

_STANDINGS = """
    INSERT INTO analytics_studentdomainstanding
        (user_id, domain_id, attempts, items, correct, last_attempt_at)
    SELECT a.user_id, r.domain_id, COUNT(*), SUM(r.total), SUM(r.correct), MAX(a.finished_at)
    FROM analytics_attemptdomainresult r
    JOIN exams_attempt a ON a.id = r.attempt_id
    WHERE a.state <> %s {filter}
    GROUP BY a.user_id, r.domain_id
    ON CONFLICT (user_id, domain_id)
    DO UPDATE SET attempts = excluded.attempts, items = excluded.items,
                  correct = excluded.correct, last_attempt_at = excluded.last_attempt_at
"""


@transaction.atomic
def attempt_results_compute(*, attempt_id: int) -> int:
    """Store one attempt's per-domain rows (idempotent: the same rows every time)."""
    with connection.cursor() as cursor:
        cursor.execute(_DOMAIN_ROWS.format(filter="AND a.id = %s"), [_OPEN, attempt_id])
        return cursor.rowcount


# The nightly rebuild as one statement per table: aggregate the raw rows afresh, compare them
# with the stored rows (a hash full join), and write only the difference (delete rows that no
# longer exist, upsert new or changed ones). On a night with nothing to repair that writes
# nothing, so the rebuild costs about its aggregate; from an empty table it inserts every row.
# The aggregates are `_DOMAIN_AGGREGATE` / `_STANDINGS_AGGREGATE`, the same as the per-attempt
# and per-student statements above.
_DOMAIN_AGGREGATE = """
    SELECT i.attempt_id, i.domain_id,
           SUM(CASE WHEN i.is_correct THEN 1 ELSE 0 END) AS correct, COUNT(*) AS total
    FROM exams_attemptitem i
    JOIN exams_attempt a ON a.id = i.attempt_id
    WHERE i.scored AND a.state <> %s
    GROUP BY i.attempt_id, i.domain_id
"""

_DOMAIN_SYNC = f"""
    WITH fresh AS MATERIALIZED ({_DOMAIN_AGGREGATE}),
    diff AS (
        SELECT f.attempt_id, f.domain_id, f.correct, f.total, r.id AS stored_id
        FROM fresh f
        FULL JOIN analytics_attemptdomainresult r
          ON r.attempt_id = f.attempt_id AND r.domain_id = f.domain_id
        WHERE f.attempt_id IS NULL OR r.id IS NULL
           OR r.correct <> f.correct OR r.total <> f.total
    ),
    gone AS (
        DELETE FROM analytics_attemptdomainresult r USING diff d
        WHERE d.attempt_id IS NULL AND r.id = d.stored_id
        RETURNING 1
    ),
    written AS (
        INSERT INTO analytics_attemptdomainresult (attempt_id, domain_id, correct, total)
        SELECT attempt_id, domain_id, correct, total FROM diff WHERE attempt_id IS NOT NULL
        ON CONFLICT (attempt_id, domain_id)
        DO UPDATE SET correct = excluded.correct, total = excluded.total
        RETURNING 1
    )
    SELECT (SELECT COUNT(*) FROM fresh), (SELECT COUNT(*) FROM gone),
           (SELECT COUNT(*) FROM written)
"""  # noqa: S608  # nosec B608 - constants only

_STANDINGS_AGGREGATE = """
    SELECT a.user_id, r.domain_id, COUNT(*) AS attempts, SUM(r.total) AS items,
           SUM(r.correct) AS correct, MAX(a.finished_at) AS last_attempt_at
    FROM analytics_attemptdomainresult r
    JOIN exams_attempt a ON a.id = r.attempt_id
    WHERE a.state <> %s
    GROUP BY a.user_id, r.domain_id
"""

_STANDINGS_SYNC = f"""
    WITH fresh AS MATERIALIZED ({_STANDINGS_AGGREGATE}),
    diff AS (
        SELECT f.*, s.id AS stored_id
        FROM fresh f
        FULL JOIN analytics_studentdomainstanding s
          ON s.user_id = f.user_id AND s.domain_id = f.domain_id
        WHERE f.user_id IS NULL OR s.id IS NULL
           OR s.attempts <> f.attempts OR s.items <> f.items OR s.correct <> f.correct
           OR s.last_attempt_at IS DISTINCT FROM f.last_attempt_at
    ),
    gone AS (
        DELETE FROM analytics_studentdomainstanding s USING diff d
        WHERE d.user_id IS NULL AND s.id = d.stored_id
        RETURNING 1
    ),
    written AS (
        INSERT INTO analytics_studentdomainstanding
            (user_id, domain_id, attempts, items, correct, last_attempt_at)
        SELECT user_id, domain_id, attempts, items, correct, last_attempt_at
        FROM diff WHERE user_id IS NOT NULL
        ON CONFLICT (user_id, domain_id)
        DO UPDATE SET attempts = excluded.attempts, items = excluded.items,
                      correct = excluded.correct, last_attempt_at = excluded.last_attempt_at
        RETURNING 1
    )
    SELECT (SELECT COUNT(*) FROM fresh), (SELECT COUNT(*) FROM gone),
           (SELECT COUNT(*) FROM written)
"""  # noqa: S608  # nosec B608 - constants only


def _sync(sql: str, *, table: str, rebuild: str) -> tuple[int, int, int]:
    """Bring a derived table in line with its aggregate; return (rows, deleted, written)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(sql, [_OPEN])
            return cursor.fetchone()
        # SQLite (the suite without PostgreSQL): no data-modifying CTEs; rebuild the table.
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608  # nosec B608 - constants
        cursor.execute(rebuild, [_OPEN])
        return cursor.rowcount, 0, cursor.rowcount


def domain_rows_sync() -> tuple[int, int, int]:
    """Every finished attempt's per-domain rows, writing only what differs from the stored."""
    return _sync(
        _DOMAIN_SYNC,
        table="analytics_attemptdomainresult",
        rebuild=_DOMAIN_ROWS.format(filter=""),
    )


def standings_sync() -> tuple[int, int, int]:
    """Every student's standings, writing only what differs from the stored."""
    return _sync(
        _STANDINGS_SYNC,
        table="analytics_studentdomainstanding",
        rebuild=_STANDINGS.format(filter=""),
    )


@transaction.atomic
def standings_compute(*, user_id: int | None = None) -> None:
    """Rebuild the per-domain standings of one student (or of everyone)."""
    if user_id is None:
        standings_sync()
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM analytics_studentdomainstanding WHERE user_id = %s", [user_id])
        cursor.execute(_STANDINGS.format(filter="AND a.user_id = %s"), [_OPEN, user_id])


def regrade_drifted(attempt_ids: set[int]) -> None:
    """Rescore the attempts whose stored grading drifted (scores shown must match analytics)."""
    for attempt_id in sorted(attempt_ids):
        attempt_regrade(attempt_id=attempt_id, reason="Nightly recompute found a drift")


def _untimed(name: str):
    return nullcontext()


@transaction.atomic
def recompute_everything(*, step: Callable[[str], AbstractContextManager] = _untimed) -> dict:
    """Rebuild every derived row from the raw answers, in one transaction.

    `step(name)` wraps each step (the benchmark times them; by default it does nothing).
    """
    with step("planner statistics (ANALYZE)"):
        planner_statistics_refresh()
    with step("regrade from raw answers"):
        regraded = regrade_from_raw_answers()
    with step("rescore drifted attempts"):
        regrade_drifted(regraded)
    with step("per-attempt domain rows"):
        rows, deleted, written = domain_rows_sync()
    with step("student standings"):
        standings_sync()
    return {
        "regraded_attempts": len(regraded),
        "domain_rows": rows,
        "domain_rows_written": written,
        "domain_rows_deleted": deleted,
    }
