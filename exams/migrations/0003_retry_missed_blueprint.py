"""Add the (unlisted) blueprint used to practise missed questions."""

from django.db import migrations

from exams.reference import sync_blueprints


class Migration(migrations.Migration):
    dependencies = [("exams", "0002_seed_blueprints")]

    operations = [migrations.RunPython(sync_blueprints, migrations.RunPython.noop)]
