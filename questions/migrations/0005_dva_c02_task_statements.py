"""Ship the 13 DVA-C02 task statements (DVA-C01 has none)."""

from django.db import migrations

from questions.reference import sync_task_statements


class Migration(migrations.Migration):
    dependencies = [("questions", "0004_task_statements_reviews_enemies")]

    operations = [migrations.RunPython(sync_task_statements, migrations.RunPython.noop)]
