"""Seed the full mocks, a quick practice and one drill per domain."""

from django.db import migrations

from accounts.roles import sync_role_groups
from exams.reference import sync_blueprints


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0001_initial"),
        ("questions", "0002_exam_guides"),
        ("accounts", "0002_role_groups"),
    ]

    operations = [
        migrations.RunPython(sync_blueprints, migrations.RunPython.noop),
        # Re-sync roles now that the exams and questions permissions' models exist.
        migrations.RunPython(sync_role_groups, migrations.RunPython.noop),
    ]
