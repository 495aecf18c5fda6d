"""The bank list's bulk actions (its filters are `questions.filters`)."""

from __future__ import annotations

from django import forms
from django.http import QueryDict

from core.form_fields import IdListField

from .models import Question

BULK_STATUSES = {
    "publish": Question.Status.PUBLISHED,
    "retire": Question.Status.RETIRED,
    "review": Question.Status.IN_REVIEW,
}
# Actions that download the ticked questions instead of changing them.
BULK_EXPORTS = {"anki": "Export as Anki deck"}


class BulkStatusForm(forms.Form):
    """Bulk publish, retire or send to review for the ticked questions, or export them."""

    action = forms.ChoiceField(choices=[(a, a) for a in (*BULK_STATUSES, *BULK_EXPORTS)])
    selected = IdListField(required=False)
    query = forms.CharField(required=False, max_length=2000)

    def clean_query(self) -> str:
        # Re-encode the list's query string so nothing but parameters reaches the redirect.
        return QueryDict(self.cleaned_data["query"]).urlencode()

    @property
    def status(self) -> str:
        return BULK_STATUSES[self.cleaned_data["action"]]
