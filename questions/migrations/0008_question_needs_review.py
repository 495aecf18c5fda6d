from django.conf import settings
from django.db import migrations, models


def mark_questions_that_need_review(apps, schema_editor):
    """Store the rule problems of the questions already in the bank (drafts made before this
    migration may lack an explanation, a domain, ...), as the services do from now on."""
    from questions.content_rules import rule_problems

    Question = apps.get_model("questions", "Question")
    questions = Question.objects.filter(current_version__isnull=False).prefetch_related(
        "current_version__options",
        "domain_links__guide",
        "domain_links__domain",
        "domain_links__task_statement",
    )
    for question in questions.iterator(chunk_size=500):
        version = question.current_version
        links = list(question.domain_links.all())
        data = {
            "key": question.key,
            "kind": version.kind,
            "stem": version.stem,
            "options": [
                {"text": o.text, "correct": o.is_correct, "rationale": o.rationale}
                for o in sorted(version.options.all(), key=lambda o: o.position)
            ],
            "explanation": version.explanation,
            "references": list(version.references or []),
            "domains": {link.guide.code: link.domain.name for link in links},
            "task_statements": {
                link.guide.code: link.task_statement.code
                for link in links
                if link.task_statement_id
            },
        }
        notes = rule_problems(data)
        if notes:
            Question.objects.filter(pk=question.pk).update(needs_review=True, review_notes=notes)


class Migration(migrations.Migration):
    dependencies = [
        ("questions", "0007_question_reports"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="question",
            name="needs_review",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="question",
            name="review_notes",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddIndex(
            model_name="question",
            index=models.Index(
                condition=models.Q(("needs_review", True)),
                fields=["needs_review"],
                name="question_needs_review",
            ),
        ),
        migrations.RunPython(mark_questions_that_need_review, migrations.RunPython.noop),
    ]
