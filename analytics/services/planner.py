"""Keep PostgreSQL's planner statistics current before the big analytics reads."""

from __future__ import annotations

from django.db import connection

# The tables the analytics read in bulk. After a bulk load (a demo cohort, an import, a class
# submitting at once) their statistics can describe a nearly empty table, and the planner then
# picks nested loops that take minutes instead of hash joins that take milliseconds.
_SOURCE_TABLES = (
    "exams_attempt",
    "exams_attemptitem",
    "exams_itemselection",
    "questions_option",
    "questions_questionversion",
)


def planner_statistics_refresh() -> None:
    """ANALYZE the analytics' source tables (sampled, so cheap); a no-op off PostgreSQL."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(_SOURCE_TABLES)}")  # noqa: S608  # nosec B608 - constants
