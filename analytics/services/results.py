"""Per-attempt domain results and student standings, as set-based SQL (no Python loops)."""

from __future__ import annotations

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


@transaction.atomic
def standings_compute(*, user_id: int | None = None) -> None:
    """Rebuild the per-domain standings of one student (or of everyone)."""
    with connection.cursor() as cursor:
        if user_id is None:
            cursor.execute("DELETE FROM analytics_studentdomainstanding")
            cursor.execute(_STANDINGS.format(filter=""), [_OPEN])
        else:
            cursor.execute(
                "DELETE FROM analytics_studentdomainstanding WHERE user_id = %s", [user_id]
            )
            cursor.execute(_STANDINGS.format(filter="AND a.user_id = %s"), [_OPEN, user_id])


@transaction.atomic
def recompute_everything() -> dict:
    """Rebuild every derived row from the raw answers, in one transaction."""
    planner_statistics_refresh()
    regraded = regrade_from_raw_answers()
    for attempt_id in sorted(regraded):
        # Scores shown to students must agree with the analytics: rescore, with an audit entry.
        attempt_regrade(attempt_id=attempt_id, reason="Nightly recompute found a drift")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM analytics_attemptdomainresult")
        cursor.execute(_DOMAIN_ROWS.format(filter=""), [_OPEN])
        rows = cursor.rowcount
    standings_compute()
    return {"regraded_attempts": len(regraded), "domain_rows": rows}
