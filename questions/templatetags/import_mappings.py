"""The remembered import mappings, for the import pages (one query, no view context needed)."""

from django import template

from questions.formats.mapping import TARGETS
from questions.forms import TARGET_LABELS
from questions.mapping_services import mapping_list

register = template.Library()


@register.inclusion_tag("questions/partials/import_mappings.html")
def remembered_import_mappings():
    rows = [
        {
            "mapping": m,
            "pairs": [
                # In the mapping step's order: the stem first, the key last.
                (TARGET_LABELS.get(target, (target,))[0], ", ".join(m.fields[target]))
                for target in TARGETS
                if m.fields.get(target)
            ],
        }
        for m in mapping_list()
    ]
    return {"rows": rows}
