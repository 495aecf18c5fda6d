"""The bank list's and export's query-string filters (`django-filter`).

The FilterSets check every value before it reaches a query (a bad one is a 400 naming it);
the query itself stays in `selectors.question_list`, which `export_questions` also uses.
"""

from __future__ import annotations

import django_filters
from django import forms

from core.filters import IdFilter, errors_as_text

from . import selectors
from .formats import FORMATS
from .models import Question

REVIEW_CHOICES = [("yes", "Needs review"), ("no", "Meets the rules")]


class QuestionFilter(django_filters.FilterSet):
    guide = django_filters.CharFilter(max_length=20)
    domain = IdFilter()
    task_statement = IdFilter()
    kind = django_filters.ChoiceFilter(choices=Question.Kind.choices, empty_label="Any")
    status = django_filters.ChoiceFilter(choices=Question.Status.choices, empty_label="Any")
    tag = django_filters.CharFilter(max_length=60)
    q = django_filters.CharFilter(max_length=200)
    # Questions that break a content rule (imported drafts keep the reasons): yes or no.
    needs_review = django_filters.ChoiceFilter(choices=REVIEW_CHOICES, empty_label="Any")

    class Meta:
        model = Question
        fields: list[str] = []

    def selector_kwargs(self) -> dict:
        """Return the keyword arguments of selectors.question_list (strings, as the page shows)."""
        data = self.form.cleaned_data
        return {
            "guide": data["guide"],
            "domain": str(data["domain"]) if data["domain"] else "",
            "kind": data["kind"],
            "status": data["status"],
            "tag": data["tag"],
            "search": data["q"],
            "task_statement": str(data["task_statement"]) if data["task_statement"] else "",
            "needs_review": data["needs_review"],
        }

    def filter_queryset(self, queryset):
        # One query for the list, the export and `manage.py export_questions`: the selector's.
        return selectors.question_list(**self.selector_kwargs())

    def error_text(self) -> str:
        """Return the errors as one sentence naming each parameter."""
        return errors_as_text(self.errors) or "The filters are not valid."


class _ExportForm(forms.Form):
    format = forms.ChoiceField(
        required=False, choices=[(name, spec.label) for name, spec in FORMATS.items()]
    )

    def clean_format(self) -> str:
        return self.cleaned_data["format"] or "json"


class ExportFilter(QuestionFilter):
    """The list's filters plus the file format (JSON unless chosen)."""

    class Meta(QuestionFilter.Meta):
        form = _ExportForm
