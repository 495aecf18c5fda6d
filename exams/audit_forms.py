"""The audit log's filters, checked before they reach a query."""

from __future__ import annotations

from django import forms

from core.form_fields import IdField

from .models import AttemptEvent


class AuditLogFilterForm(forms.Form):
    user = forms.CharField(required=False, max_length=150)
    kind = forms.ChoiceField(required=False, choices=[("", "Any"), *AttemptEvent.Kind.choices])
    attempt = IdField(required=False)

    def error_text(self) -> str:
        """Return the errors as one sentence naming each filter."""
        return "; ".join(f"{name}: {' '.join(errors)}" for name, errors in self.errors.items())
