"""Forms for sign-up, the admins' people page and cohorts."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.forms import UserCreationForm

from .models import Cohort, User
from .roles import Role


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=True, help_text="Used for password resets.")

    class Meta:
        model = User
        fields = ("username", "email", "first_name", "last_name")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Create account"))

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this e-mail address already exists.")
        return email

    def validate_password_for_user(self, user, **kwargs):
        """Show "too short", "too common" and the like under the password, not its confirmation."""
        super().validate_password_for_user(user, password_field_name="password1")  # noqa: S106


class PeopleFilterForm(forms.Form):
    """The people page's search; CharField refuses NUL, which PostgreSQL cannot compare."""

    q = forms.CharField(required=False, max_length=150)
    role = forms.ChoiceField(required=False, choices=[("", "All roles"), *Role.choices])

    def error_text(self) -> str:
        return " ".join(e for errors in self.errors.values() for e in errors)


class UserAdminForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    cohorts = forms.ModelMultipleChoiceField(
        queryset=Cohort.objects.all(),
        required=False,
        help_text="Cohorts this person studies in.",
    )
    accommodation_minutes = forms.IntegerField(
        min_value=0, max_value=600, initial=0, label="Extra exam minutes"
    )
    accommodation_note = forms.CharField(
        max_length=100, required=False, label="Accommodation note (e.g. ESL +30)"
    )
    is_active = forms.BooleanField(required=False, label="Account active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Save changes"))


class CohortForm(forms.ModelForm):
    instructors = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(groups__name__in=[Role.INSTRUCTOR, Role.ADMIN])
        .distinct()
        .order_by("username"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    students = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(groups__name=Role.STUDENT).order_by("username"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
    )

    class Meta:
        model = Cohort
        fields = ("name", "starts_on", "ends_on", "instructors", "students")
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Save cohort"))
