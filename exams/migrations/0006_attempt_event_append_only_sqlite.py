"""Make the attempt audit log append-only in SQLite too (0004 covers PostgreSQL).

SQLite rebuilds a table for most ALTERs, which drops its triggers: a later migration that alters
exams_attemptevent must create these again (tests/embedded/test_sqlite_audit_trigger.py fails
otherwise).
"""

from django.db import migrations

CREATE = [
    """
    CREATE TRIGGER IF NOT EXISTS exams_attemptevent_no_update
    BEFORE UPDATE ON exams_attemptevent
    BEGIN
        SELECT RAISE(ABORT, 'exams_attemptevent is append-only (UPDATE refused)');
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS exams_attemptevent_no_delete
    BEFORE DELETE ON exams_attemptevent
    BEGIN
        SELECT RAISE(ABORT, 'exams_attemptevent is append-only (DELETE refused)');
    END
    """,
]

DROP = [
    "DROP TRIGGER IF EXISTS exams_attemptevent_no_update",
    "DROP TRIGGER IF EXISTS exams_attemptevent_no_delete",
]


def sqlite_only(statements):
    """Return a migration step that runs `statements` on SQLite and does nothing elsewhere."""

    def step(apps, schema_editor):
        # `make run`'s embedded database only; PostgreSQL has its trigger from 0004.
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql)

    return step


class Migration(migrations.Migration):
    dependencies = [("exams", "0005_attemptitem_eliminated")]

    operations = [migrations.RunPython(sqlite_only(CREATE), sqlite_only(DROP))]
