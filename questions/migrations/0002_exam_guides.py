"""Ship the DVA-C01 (default) and DVA-C02 exam guides with their weighted domains."""

from django.db import migrations

from questions.reference import sync_exam_guides


class Migration(migrations.Migration):
    dependencies = [("questions", "0001_initial")]

    operations = [migrations.RunPython(sync_exam_guides, migrations.RunPython.noop)]
