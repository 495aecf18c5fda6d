"""The forms of question reports: the student's report and the instructor's decision."""

from __future__ import annotations

from django import forms

from .models import QuestionReport


class ReportForm(forms.Form):
    """What is wrong with a question (category) and, optionally, what the student saw."""

    category = forms.ChoiceField(
        choices=QuestionReport.Category.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what is wrong with the question.",
            "invalid_choice": "Choose what is wrong with the question.",
        },
    )
    text = forms.CharField(
        required=False,
        max_length=QuestionReport.TEXT_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        data = super().clean()
        if data.get("category") == QuestionReport.Category.OTHER and not data.get("text"):
            self.add_error("text", "Say what the problem is (needed for “Other”).")
        return data

    def error_message(self) -> str:
        return " ".join(str(e) for errors in self.errors.values() for e in errors)


class ResolveForm(forms.Form):
    """Accept (optional reply) or reject (reply required) one open report."""

    DECISIONS = {"accept": QuestionReport.Status.ACCEPTED, "reject": QuestionReport.Status.REJECTED}

    decision = forms.ChoiceField(
        choices=[("accept", "Accept"), ("reject", "Reject")],
        error_messages={
            "required": "Choose Accept or Reject.",
            "invalid_choice": "Choose Accept or Reject.",
        },
    )
    reply = forms.CharField(
        required=False,
        max_length=QuestionReport.TEXT_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not data.get("reply"):
            self.add_error("reply", "A rejection needs a reply the student will read.")
        return data

    @property
    def status(self) -> str:
        return self.DECISIONS[self.cleaned_data["decision"]]

    def error_message(self) -> str:
        return " ".join(str(e) for errors in self.errors.values() for e in errors)
