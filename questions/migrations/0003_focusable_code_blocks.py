"""Give code blocks already rendered and stored the tabindex that new renders get.

render_markdown now writes <pre tabindex="0"> so that keyboard users can focus and scroll a code
block (axe: scrollable-region-focusable). Stored HTML is nh3-cleaned, so "<pre>" in it is
always a tag (typed text shows as &lt;pre&gt;), and a plain replacement is exact.
"""

from django.db import migrations

OLD, NEW = "<pre>", '<pre tabindex="0">'
FIELDS = {
    "QuestionVersion": ("stem_html", "explanation_html"),
    "Option": ("text_html", "rationale_html"),
}


def focusable_code_blocks(apps, schema_editor):
    from django.db.models import Q

    for model_name, fields in FIELDS.items():
        model = apps.get_model("questions", model_name)
        has_pre = Q()
        for name in fields:
            has_pre |= Q(**{f"{name}__contains": OLD})
        rows = list(model.objects.filter(has_pre).only("pk", *fields))
        for row in rows:
            for name in fields:
                setattr(row, name, getattr(row, name).replace(OLD, NEW))
        model.objects.bulk_update(rows, fields, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("questions", "0002_exam_guides")]

    operations = [migrations.RunPython(focusable_code_blocks, migrations.RunPython.noop)]
