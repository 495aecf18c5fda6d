"""Forms of the exam app: blueprint editing, the exam page's posts, the review, results and
audit log filters. Every value a view reads from a request passes through one of them."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from accounts.models import TEXT_SIZE_MAX
from core.form_fields import DB_BIGINT_MAX, IdField, IdListField
from questions.models import Domain, TaskStatement

from .models import MAX_DURATION_MINUTES, Blueprint, Confidence
from .services.custom import QuizChoices, Source


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
            "drill_task_statement",
            "ask_confidence",
            "is_active",
        )
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        labels = {
            "cut_percent": "Raw cut (percent correct that maps to the passing score)",
            "ask_confidence": "Ask how sure the student is",
        }
        help_texts = {
            "ask_confidence": "Shows \u201cHow sure are you?\u201d (Sure / Unsure / Guess) beside "
            "the options and a calibration table on the results. Recommended for practice and "
            "drills; left off for the exam-day simulation.",
        }

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
        if not self.instance.pk and not self.is_bound:
            # A new blueprint asks in practice and drills, not in the exam-day simulation.
            mode = self.initial.get("mode", self.fields["mode"].initial or Blueprint.Mode.EXAM)
            self.initial.setdefault("ask_confidence", mode != Blueprint.Mode.EXAM)
        # Custom quizzes are the students' own (the quiz builder), not an instructor's mode.
        self.fields["mode"].choices = [
            c for c in self.fields["mode"].choices if c[0] != Blueprint.Mode.CUSTOM
        ]
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Save blueprint"))

    def clean(self):
        data = super().clean()
        guide = data.get("guide")
        drill = data.get("drill_domain")
        if guide and drill and drill.guide_id != guide.pk:
            self.add_error("drill_domain", "The drill domain must belong to the chosen guide.")
        statement = data.get("drill_task_statement")
        if statement is not None:
            if data.get("mode") != Blueprint.Mode.DRILL:
                self.add_error("drill_task_statement", "Only a drill draws from a task statement.")
            elif guide and statement.guide_id != guide.pk:
                self.add_error(
                    "drill_task_statement", "The task statement must belong to the chosen guide."
                )
            elif drill and drill.pk != statement.domain_id:
                self.add_error(
                    "drill_task_statement",
                    f"Task statement {statement.code} belongs to {statement.domain.name}, not "
                    f"to the drill domain {drill.name}.",
                )
            elif not drill:
                # The task statement says which domain the drill is in.
                data["drill_domain"] = drill = statement.domain
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


MALFORMED = "Malformed answer."


def _strict_int(value: str) -> int:
    """Parse ASCII digits only: str.isdigit() accepts "²", which int() then refuses."""
    value = str(value).strip()
    # Length first: int() of thousands of digits is slow, and refused past 4,300 of them.
    if len(value) > 19 or not (value.isascii() and value.isdigit()) or int(value) > DB_BIGINT_MAX:
        raise forms.ValidationError(MALFORMED, code="malformed")
    return int(value)


class AnswerForm(forms.Form):
    """One answer-endpoint POST: chosen option ids, the client's save number, the button."""

    NAV = ("", "prev", "next", "review", "submit", "check")

    option = IdListField(required=False, max_count=50)
    seq = forms.CharField(required=False)
    go = forms.CharField(required=False, strip=True)
    nav_only = forms.BooleanField(required=False)
    # How sure the student is (Sure / Unsure / Guess; "" clears it). Not sent: left as stored.
    confidence = forms.ChoiceField(
        required=False,
        choices=[("", "Not given"), *Confidence.choices],
        error_messages={"invalid_choice": "Say how sure you are with Sure, Unsure or Guess."},
    )

    def clean_confidence(self) -> str | None:
        return self.cleaned_data["confidence"] if "confidence" in self.data else None

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
        """One plain sentence for the JSON reply: ids and save numbers are never typed by a
        person, so a bad one is simply a malformed answer; otherwise the first problem found."""
        if "option" in self.errors or "seq" in self.errors:
            return MALFORMED
        return next(iter(self.errors.values()))[0]


class FlagForm(forms.Form):
    """A flag toggle: the state the student wants for the item (no value means unflagged)."""

    flagged = forms.ChoiceField(
        required=False,
        choices=(("true", "Flagged"), ("false", "Not flagged")),
        error_messages={"invalid_choice": "Say whether to flag the question."},
    )

    def error_message(self) -> str:
        return self.errors["flagged"][0]


class EliminateForm(forms.Form):
    option = IdField()
    eliminated = forms.TypedChoiceField(
        choices=[("true", "true"), ("false", "false")], coerce=lambda v: v == "true"
    )

    def error_message(self) -> str:
        return "Choose an option of this question to strike out."


class TextSizeForm(forms.Form):
    size = forms.IntegerField(min_value=0, max_value=TEXT_SIZE_MAX)


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


class SittingForm(forms.Form):
    """Schedule a sitting: an active blueprint, when it opens and (optionally) closes, in the
    user's time zone."""

    blueprint = forms.ModelChoiceField(
        queryset=Blueprint.objects.active().select_related("guide"), empty_label=None
    )
    opens_at = forms.DateTimeField(
        label="Opens at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    closes_at = forms.DateTimeField(
        label="Closes at",
        required=False,
        help_text="Optional: nobody can start after this time.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, time_zone_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if time_zone_name:
            self.fields["opens_at"].help_text = f"In your time zone ({time_zone_name})."
        self.helper = FormHelper()
        self.helper.attrs = {"aria-label": "Schedule a sitting"}
        self.helper.add_input(Submit("submit", "Schedule sitting"))

    def clean(self):
        data = super().clean()
        opens_at, closes_at = data.get("opens_at"), data.get("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_at", "The closing time must be after the opening time.")
        return data


class CustomQuizForm(forms.Form):
    """Build a quiz: domains or (where the guide has them) task statements, how many questions,
    from which source, timed or not, and when feedback is shown. The guide comes from the page."""

    domains = forms.ModelMultipleChoiceField(
        queryset=Domain.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text="None ticked: all domains, at the guide's weights.",
        error_messages={"invalid_choice": "Choose domains of this guide."},
    )
    task_statements = forms.ModelMultipleChoiceField(
        queryset=TaskStatement.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        label="Or task statements",
        help_text="Instead of domains: only questions on these task statements.",
        error_messages={"invalid_choice": "Choose task statements of this guide."},
    )
    count = forms.IntegerField(
        label="Number of questions",
        min_value=1,
        max_value=65,
        initial=20,
        error_messages={
            "required": "Say how many questions (1 to 65).",
            "invalid": "Give the number of questions as a whole number (1 to 65).",
            "min_value": "Choose at least 1 question.",
            "max_value": "Choose at most 65 questions (a full exam's length).",
        },
    )
    source = forms.ChoiceField(
        choices=Source.CHOICES,
        initial=Source.ALL,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"required": "Choose where the questions come from."},
    )
    timing = forms.ChoiceField(
        choices=(("untimed", "Untimed"), ("timed", "Timed")),
        initial="untimed",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"required": "Choose timed or untimed."},
    )
    minutes = forms.IntegerField(
        label="Minutes (timed only)",
        required=False,
        min_value=1,
        max_value=MAX_DURATION_MINUTES,
        help_text="Your accommodation, if any, is added as for any timed attempt.",
        error_messages={
            "invalid": "Give the time limit in whole minutes.",
            "min_value": "A time limit is at least 1 minute.",
            "max_value": f"A time limit is at most {MAX_DURATION_MINUTES} minutes.",
        },
    )
    feedback = forms.ChoiceField(
        choices=(
            ("after_each", "Practice: the answer and explanation right after each question"),
            ("after_submit", "Exam: answers and explanations after I submit"),
        ),
        initial="after_each",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"required": "Choose when to see the answers."},
    )

    def __init__(self, *args, guide, **kwargs):
        super().__init__(*args, **kwargs)
        self.guide = guide
        self.fields["domains"].queryset = Domain.objects.filter(guide=guide).order_by(
            "position", "name"
        )
        self.fields["domains"].label_from_instance = lambda d: f"{d.name} ({float(d.weight):g}%)"
        statements = TaskStatement.objects.filter(guide=guide).select_related("domain")
        if statements.exists():
            self.fields["task_statements"].queryset = statements
            self.fields["task_statements"].label_from_instance = lambda s: f"{s.code} {s.title}"
        else:
            del self.fields["task_statements"]

    def clean(self):
        data = super().clean()
        if data.get("domains") and data.get("task_statements"):
            self.add_error(
                "task_statements",
                "Choose domains or task statements, not both (clear one of the two).",
            )
        timed = data.get("timing") == "timed"
        if timed and not data.get("minutes") and "minutes" not in self.errors:
            self.add_error("minutes", "A timed quiz needs a time limit in minutes.")
        return data

    def choices(self):
        """The validated choices for `exams.services.custom` (call after is_valid())."""
        data = self.cleaned_data
        timed = data["timing"] == "timed"
        return QuizChoices(
            guide=self.guide,
            count=data["count"],
            source=data["source"],
            domains=tuple(data.get("domains") or ()),
            task_statements=tuple(data.get("task_statements") or ()),
            minutes=data["minutes"] if timed else None,
            feedback=data["feedback"],
        )
