"""The bank generation: a one-row table whose token every write to the bank replaces.

`exams.pool` keys the per-blueprint candidate pools by this token (see its docstring). A
statement-level trigger on each table a pool is made of replaces the token in the writing
statement's transaction, whatever made the write: the ORM, QuerySet.update(), bulk_create(),
raw SQL, TRUNCATE (test flushes), any process. PostgreSQL only: SQLite (`make run`) has no row,
so its pools are built on every draw and never cached.

The table has no model on purpose: Django's flush (transactional tests) leaves it alone, and the
TRUNCATE trigger replaces the token instead.
"""

from django.db import migrations

TABLES = [
    "questions_question",
    "questions_questiondomain",
    "questions_question_enemies",
    "questions_questionversion",
    "questions_option",
    "questions_domain",
    "questions_taskstatement",
    "questions_examguide",
    "exams_blueprint",
    "exams_blueprintdomainweight",
]

# A random token, not a counter: a rolled-back write or a restored backup must never bring back
# a token whose cached pool describes other data.
FUNCTION = """
CREATE TABLE IF NOT EXISTS exams_bankgeneration (
    id smallint PRIMARY KEY CHECK (id = 1),
    token text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO exams_bankgeneration (id, token) VALUES (1, md5(random()::text || clock_timestamp()::text))
    ON CONFLICT (id) DO NOTHING;
CREATE OR REPLACE FUNCTION exams_bank_changed() RETURNS trigger AS $$
BEGIN
    INSERT INTO exams_bankgeneration (id, token, changed_at)
        VALUES (1, md5(random()::text || clock_timestamp()::text), now())
        ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token, changed_at = EXCLUDED.changed_at;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

TRIGGER = """
DROP TRIGGER IF EXISTS {table}_bank_changed ON {table};
CREATE TRIGGER {table}_bank_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION exams_bank_changed();
"""

DROP_TRIGGER = "DROP TRIGGER IF EXISTS {table}_bank_changed ON {table};"

DROP = """
DROP FUNCTION IF EXISTS exams_bank_changed();
DROP TABLE IF EXISTS exams_bankgeneration;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FUNCTION + "".join(TRIGGER.format(table=t) for t in TABLES))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("".join(DROP_TRIGGER.format(table=t) for t in TABLES) + DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0010_task_statement_drills"),
        ("questions", "0006_pretest_and_events"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
