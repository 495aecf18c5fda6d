"""Forms for the exam page's own small endpoints (eliminate an option, text size)."""

from django import forms

from accounts.models import TEXT_SIZE_MAX


class EliminateForm(forms.Form):
    # Bounded to the database's 64-bit integer range, so a huge id is a form error, not a 500.
    option = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    eliminated = forms.TypedChoiceField(
        choices=[("true", "true"), ("false", "false")], coerce=lambda v: v == "true"
    )


class TextSizeForm(forms.Form):
    size = forms.IntegerField(min_value=0, max_value=TEXT_SIZE_MAX)
