"""Forms of the study pages."""

from decimal import Decimal

from django import forms

from .models import RETENTION_MAX, RETENTION_MIN


class RetentionForm(forms.Form):
    """The desired retention, as a proportion (0.90 means nine in ten cards remembered)."""

    desired_retention = forms.DecimalField(
        label="Desired retention",
        max_digits=3,
        decimal_places=2,
        min_value=RETENTION_MIN,
        max_value=RETENTION_MAX,
        step_size=Decimal("0.01"),
        help_text=(
            f"The chance you still remember a card when it comes due, {RETENTION_MIN} to "
            f"{RETENTION_MAX}. Higher means more reviews, sooner; 0.90 suits most people."
        ),
        error_messages={
            "required": "Enter a retention such as 0.90.",
            "invalid": "Enter a number such as 0.90.",
            "min_value": f"Choose at least {RETENTION_MIN}: lower, most reviews come too late.",
            "max_value": f"Choose at most {RETENTION_MAX}: higher, reviews pile up for little.",
            "max_decimal_places": "Use at most two decimals, e.g. 0.85.",
            "max_digits": "Enter a proportion between 0.70 and 0.97, e.g. 0.85.",
            "max_whole_digits": "Enter a proportion between 0.70 and 0.97 (0.85, not 85).",
            "step_size": "Use steps of 0.01, e.g. 0.85.",
        },
    )
