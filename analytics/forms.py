"""Forms that validate the query strings of the analytics pages."""

from django import forms

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
