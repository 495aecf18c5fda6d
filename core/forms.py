"""Form helpers shared by every app."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.forms import BaseForm


def apply_validation_error(
    form: BaseForm, exc: ValidationError, *, collect_other: bool = False
) -> list[str]:
    """Put a service's `ValidationError` on `form`: each message under its field when the form
    has that field, else as a non-field error.

    With `collect_other`, messages for fields the form lacks are returned instead of added, so
    a caller with more to show them on (the question page's option rows) can place them itself.
    """
    other: list[str] = []
    # A ValidationError raised with a plain message has no field names: all non-field.
    by_field = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field, errors in by_field.items():
        if field in form.fields:
            form.add_error(field, errors)
        elif collect_other:
            other += errors
        else:
            form.add_error(None, errors)
    return other
