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


# The largest value a PostgreSQL bigint (AttemptItem.answer_seq, primary keys) holds.
BIGINT_MAX = 2**63 - 1
MALFORMED = "Malformed answer."


def _strict_int(value: str) -> int:
    """Parse ASCII digits only: str.isdigit() accepts "²", which int() then refuses."""
    value = str(value).strip()
    # Length first: int() of thousands of digits is slow, and refused past 4,300 of them.
    if len(value) > 19 or not (value.isascii() and value.isdigit()) or int(value) > BIGINT_MAX:
        raise forms.ValidationError(MALFORMED, code="malformed")
    return int(value)


class OptionIdsField(forms.Field):
    """Every `option` value of a POST (a list), each a database id."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if not isinstance(value, list | tuple) or len(value) > 50:
            raise forms.ValidationError(MALFORMED, code="malformed")
        return [_strict_int(v) for v in value]


class AnswerForm(forms.Form):
    """One answer-endpoint POST: chosen option ids, the client's save number, the button."""

    NAV = ("", "prev", "next", "review", "submit", "check")

    option = OptionIdsField(required=False)
    seq = forms.CharField(required=False)
    go = forms.CharField(required=False, strip=True)
    nav_only = forms.BooleanField(required=False)

    def clean_seq(self) -> int:
        # No seq at all is the oldest save there is (0): it changes nothing, only navigates.
        if "seq" not in self.data:
            return 0
        return _strict_int(self.cleaned_data["seq"])

    def clean_go(self) -> str:
        go = self.cleaned_data["go"]
        # A number is a navigator jump to that position; the view keeps it within the attempt.
        if go in self.NAV or (go.isascii() and go.isdigit() and len(go) <= 5):
            return go
        raise forms.ValidationError("Unknown button.", code="go")

    def error_message(self) -> str:
        """One plain sentence for the JSON reply (the first problem found)."""
        return next(iter(self.errors.values()))[0]


class FlagForm(forms.Form):
    """A flag toggle: the state the student wants for the item (no value means unflagged)."""

    flagged = forms.ChoiceField(
        required=False,
        choices=(("true", "Flagged"), ("false", "Not flagged")),
        error_messages={"invalid_choice": "Say whether to flag the question."},
    )
