"""Forms that validate the filters of the review screen and the results page."""

from django import forms


class ReviewFilterForm(forms.Form):
    """Which questions the review screen lists while the attempt is open."""

    show = forms.ChoiceField(
        choices=(("all", "All"), ("unanswered", "Unanswered"), ("flagged", "Flagged")),
        required=False,
        error_messages={"invalid_choice": "Show all, unanswered or flagged questions."},
    )

    def show_value(self) -> str:
        """Return the chosen filter; "all" when empty or invalid."""
        return (self.cleaned_data.get("show") if self.is_valid() else "") or "all"


class ResultsFilterForm(forms.Form):
    """Which questions the results page lists: all, incorrect or flagged, in one domain."""

    show = forms.ChoiceField(
        label="Show",
        choices=(("all", "All questions"), ("incorrect", "Incorrect"), ("flagged", "Flagged")),
        required=False,
        error_messages={"invalid_choice": "Show all, incorrect or flagged questions."},
    )
    domain = forms.TypedChoiceField(
        label="Domain",
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "That domain is not in this attempt."},
    )

    def __init__(self, *args, domains: list[tuple[int, str, int]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].choices = [("", "All domains")] + [
            (str(pk), name) for pk, name, _ in domains
        ]

    def filters(self) -> dict:
        """Return the valid filters as keyword arguments for the selector (all when invalid)."""
        if not self.is_valid():
            return {"show": "all", "domain_id": None}
        return {
            "show": self.cleaned_data["show"] or "all",
            "domain_id": self.cleaned_data["domain"],
        }
