"""Add the (unlisted) blueprint the spaced-review sessions start with."""

from django.db import migrations

from study.reference import sync_review_blueprint


class Migration(migrations.Migration):
    dependencies = [
        ("study", "0001_cards_reviews_preferences"),
        ("exams", "0013_confidence"),
    ]

    operations = [migrations.RunPython(sync_review_blueprint, migrations.RunPython.noop)]
