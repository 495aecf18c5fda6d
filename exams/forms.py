"""Blueprint editing for instructors and admins."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from questions.models import Domain

from .models import Blueprint


class BlueprintForm(forms.ModelForm):
    class Meta:
        model = Blueprint
        fields = (
            "title",
            "slug",
            "description",
            "guide",
            "mode",
            "feedback",
            "question_count",
            "duration_minutes",
            "unscored_count",
            "passing_score",
            "cut_percent",
            "drill_domain",
            "is_active",
        )
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        labels = {"cut_percent": "Raw cut (percent correct that maps to the passing score)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.domains = list(Domain.objects.select_related("guide"))
        current = {}
        if self.instance.pk:
            current = {w.domain_id: w.weight for w in self.instance.weights.all()}
        for domain in self.domains:
            self.fields[f"weight_{domain.pk}"] = forms.DecimalField(
                label=f"{domain.guide.code} · {domain.name} weight %",
                required=False,
                min_value=0,
                max_value=100,
                decimal_places=2,
                initial=current.get(domain.pk),
                help_text=f"Blank: the guide's {domain.weight:g}%.",
            )
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Save blueprint"))

    def clean(self):
        data = super().clean()
        guide = data.get("guide")
        drill = data.get("drill_domain")
        if guide and drill and drill.guide_id != guide.pk:
            self.add_error("drill_domain", "The drill domain must belong to the chosen guide.")
        if data.get("mode") == Blueprint.Mode.DRILL and not drill:
            self.add_error("drill_domain", "A domain drill needs a domain.")
        return data

    def weights(self) -> dict:
        guide = self.cleaned_data["guide"]
        return {
            d: self.cleaned_data[f"weight_{d.pk}"]
            for d in self.domains
            if d.guide_id == guide.pk and self.cleaned_data.get(f"weight_{d.pk}") is not None
        }
