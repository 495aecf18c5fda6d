"""Filters shared by the apps' `django-filter` FilterSets."""

from __future__ import annotations

import django_filters

from .form_fields import IdField


class IdFilter(django_filters.Filter):
    """A database id: a positive whole number within the bigint range, or nothing."""

    field_class = IdField


def errors_as_text(errors) -> str:
    """Return a form's errors as one sentence naming each parameter."""
    return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
