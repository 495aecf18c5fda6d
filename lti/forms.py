"""Forms of the LTI pages: registering a platform, picking a blueprint to deep-link."""

from __future__ import annotations

from urllib.parse import urlsplit

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def check_platform_url(value: str, *, label: str) -> str:
    """https, or http on localhost when LTI_ALLOW_LOCAL_HTTP is on (DEBUG, tests)."""
    value = (value or "").strip()
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return value
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        if settings.LTI_ALLOW_LOCAL_HTTP:
            return value
        raise forms.ValidationError(
            f"The {label} must use https (plain http is accepted for localhost only in "
            "development and tests)."
        )
    raise forms.ValidationError(f"The {label} must be an https URL, e.g. https://lms.example.edu/…")


class PlatformForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="Shown to you only, e.g. “Moodle — Spring”.")
    issuer = forms.CharField(
        max_length=255,
        help_text="The platform's issuer (iss), e.g. https://moodle.example.edu",
    )
    client_id = forms.CharField(
        max_length=255, label="Client id", help_text="The client id the platform gave this tool."
    )
    deployment_ids = forms.CharField(
        label="Deployment ids",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text="One or more, one per line (or separated by commas).",
    )
    keyset_url = forms.URLField(
        label="Keyset URL", max_length=200, assume_scheme="https", help_text="The platform's JWKS."
    )
    auth_url = forms.URLField(
        label="Authentication (OIDC) URL",
        max_length=200,
        assume_scheme="https",
        help_text="Where the tool sends the browser to log in (the platform's OIDC auth endpoint).",
    )
    token_url = forms.URLField(
        label="Access token URL",
        max_length=200,
        assume_scheme="https",
        help_text="OAuth 2 client-credentials endpoint (grades and roster).",
    )
    audience = forms.CharField(
        label="Token audience",
        max_length=255,
        required=False,
        help_text="Optional: the token audience if the platform asks for one (else the token URL).",
    )

    def __init__(self, *args, submit_label: str = "Save platform", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", submit_label))

    def clean_issuer(self):
        issuer = self.cleaned_data["issuer"].strip()
        if "\x00" in issuer or not issuer:
            raise forms.ValidationError("Give the platform's issuer.")
        if "://" in issuer:
            check_platform_url(issuer, label="issuer")
        return issuer

    def clean_client_id(self):
        value = self.cleaned_data["client_id"].strip()
        if not value:
            raise forms.ValidationError("Give the client id.")
        return value

    def clean_deployment_ids(self):
        raw = self.cleaned_data["deployment_ids"].replace(",", "\n")
        ids = []
        for line in raw.splitlines():
            value = line.strip()
            if not value:
                continue
            if len(value) > 255:
                raise forms.ValidationError("A deployment id has at most 255 characters.")
            if value not in ids:
                ids.append(value)
        if not ids:
            raise forms.ValidationError("Give at least one deployment id.")
        return ids

    def clean_keyset_url(self):
        return check_platform_url(self.cleaned_data["keyset_url"], label="keyset URL")

    def clean_auth_url(self):
        return check_platform_url(self.cleaned_data["auth_url"], label="authentication URL")

    def clean_token_url(self):
        return check_platform_url(self.cleaned_data["token_url"], label="access token URL")

    def clean_audience(self):
        return self.cleaned_data["audience"].strip()


class DeepLinkForm(forms.Form):
    """The instructor's choice on the deep-link picker."""

    launch_id = forms.CharField(max_length=100, widget=forms.HiddenInput)
    blueprint = forms.TypedChoiceField(coerce=int, label="Exam to place in the course")

    def __init__(self, *args, blueprints=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["blueprint"].choices = [
            (b.pk, f"{b.title} — {b.get_mode_display()}, {b.question_count} questions")
            for b in blueprints
        ]
