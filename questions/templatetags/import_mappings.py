"""The remembered import mappings, for the import page (one query, no view context needed)."""

from django import template

from questions.mapping_services import mapping_list

register = template.Library()


@register.inclusion_tag("questions/partials/import_mappings.html")
def remembered_import_mappings():
    return {"remembered": list(mapping_list())}
