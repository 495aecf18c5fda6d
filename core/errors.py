"""The one error type services raise for a refusal the user should read.

`ApplicationError` is a Django `ValidationError`, so a refusal addressed to a field
(`ApplicationError({"role": "..."})`) lands on that field of a form through
`core.forms.apply_validation_error`, and model validation (`full_clean()`) inside a service
needs no wrapping. Everything else is answered in one place, `core.middleware`: JSON clients get
`{"ok": false, "error": ...}` with the error's `status` and extra fields, pages get the message
and a redirect (back to the referring page, or where the view's `on_refusal` says).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


class ApplicationError(ValidationError):
    """A refusal with a message fit for the user, an HTTP status and extra JSON fields."""

    status = 400

    def __init__(self, message="", *, status: int | None = None, extra=None, code=None):
        super().__init__(message, code=code)
        if status is not None:
            self.status = status
        self.extra: dict = dict(extra or {})

    @property
    def message_text(self) -> str:
        return " ".join(self.messages)

    def __str__(self) -> str:
        return self.message_text


def refusal_text(exc: ValidationError) -> str:
    """Return the user-facing text of a refusal: its messages joined."""
    return " ".join(exc.messages)
