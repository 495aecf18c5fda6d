"""Forms for the bank list's query string, its export and its bulk actions."""

from __future__ import annotations

from django import forms
from django.http import QueryDict

from core.form_fields import IdField, IdListField

from .formats import FORMATS
from .models import Question

BULK_STATUSES = {
    "publish": Question.Status.PUBLISHED,
    "retire": Question.Status.RETIRED,
    "review": Question.Status.IN_REVIEW,
}


class QuestionFilterForm(forms.Form):
    """The list filters; every value is checked before it reaches a query."""

    guide = forms.CharField(required=False, max_length=20)
    domain = IdField(required=False)
    kind = forms.ChoiceField(required=False, choices=[("", "Any"), *Question.Kind.choices])
    status = forms.ChoiceField(required=False, choices=[("", "Any"), *Question.Status.choices])
    tag = forms.CharField(required=False, max_length=60)
    q = forms.CharField(required=False, max_length=200)

    def filters(self) -> dict:
        """Return the keyword arguments of selectors.question_list (strings, as the page shows)."""
        data = self.cleaned_data
        return {
            "guide": data["guide"],
            "domain": str(data["domain"]) if data["domain"] else "",
            "kind": data["kind"],
            "status": data["status"],
            "tag": data["tag"],
            "search": data["q"],
        }

    def error_text(self) -> str:
        """Return the errors as one sentence naming each parameter."""
        return (
            "; ".join(f"{name}: {' '.join(errors)}" for name, errors in self.errors.items())
            or "The filters are not valid."
        )


class ExportForm(QuestionFilterForm):
    format = forms.ChoiceField(
        required=False, choices=[(name, spec.label) for name, spec in FORMATS.items()]
    )

    def clean_format(self) -> str:
        return self.cleaned_data["format"] or "json"


class BulkStatusForm(forms.Form):
    """Bulk publish, retire or send to review for the ticked questions."""

    action = forms.ChoiceField(choices=[(a, a) for a in BULK_STATUSES])
    selected = IdListField(required=False)
    query = forms.CharField(required=False, max_length=2000)

    def clean_query(self) -> str:
        # Re-encode the list's query string so nothing but parameters reaches the redirect.
        return QueryDict(self.cleaned_data["query"]).urlencode()

    @property
    def status(self) -> str:
        return BULK_STATUSES[self.cleaned_data["action"]]
