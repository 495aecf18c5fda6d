"""Forms that validate the query strings of the analytics pages."""

from django import forms

from core.form_fields import IdField
from questions.models import ExamGuide


class DashboardForm(forms.Form):
    """Which exam guide the student dashboard shows (empty: the latest attempt's guide)."""

    guide = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        codes = ExamGuide.objects.order_by("position", "code").values_list("code", flat=True)
        self.fields["guide"].choices = [(code, code) for code in codes]
        self.fields["guide"].error_messages["invalid_choice"] = (
            "There is no exam guide “%(value)s”; showing your latest one instead."
        )

    @property
    def guide_codes(self) -> list[str]:
        return [code for code, _ in self.fields["guide"].choices]


class CohortReportForm(forms.Form):
    """Which exam and period a cohort report covers; a value that does not parse is ignored."""

    blueprint = IdField(required=False)
    start = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    end = forms.DateField(required=False, input_formats=["%Y-%m-%d"])

    def value(self, name: str):
        """Return the field's cleaned value, or None when it is empty or invalid."""
        self.is_valid()
        return self.cleaned_data.get(name) if name not in self.errors else None
