"""Make the attempt audit log append-only in PostgreSQL: UPDATE and DELETE raise."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION exams_attemptevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'exams_attemptevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS exams_attemptevent_append_only ON exams_attemptevent;
CREATE TRIGGER exams_attemptevent_append_only
    BEFORE UPDATE OR DELETE ON exams_attemptevent
    FOR EACH ROW EXECUTE FUNCTION exams_attemptevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS exams_attemptevent_append_only ON exams_attemptevent;
DROP FUNCTION IF EXISTS exams_attemptevent_append_only();
"""


def _run(schema_editor, sql):
    # A plain cursor without parameters, so the "%" in RAISE is not read as a placeholder.
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def forwards(apps, schema_editor):
    _run(schema_editor, CREATE)


def backwards(apps, schema_editor):
    _run(schema_editor, DROP)


class Migration(migrations.Migration):
    dependencies = [("exams", "0003_retry_missed_blueprint")]

    operations = [migrations.RunPython(forwards, backwards)]
