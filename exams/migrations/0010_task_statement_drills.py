"""Seed one drill per DVA-C02 task statement, beside the per-domain drills."""

from django.db import migrations

from exams.reference import sync_task_statement_drills


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0009_blueprint_drill_task_statement"),
        ("questions", "0005_dva_c02_task_statements"),
    ]

    operations = [migrations.RunPython(sync_task_statement_drills, migrations.RunPython.noop)]
