"""The query-string filters of the exam admin pages (`django-filter`)."""

from __future__ import annotations

import django_filters

from core.filters import IdFilter, errors_as_text

from .models import AttemptEvent


class AuditLogFilter(django_filters.FilterSet):
    """The audit log's filters; a bad value ("²", an id past bigint) is an error, not a query."""

    user = django_filters.CharFilter(field_name="attempt__user__username", max_length=150)
    kind = django_filters.ChoiceFilter(choices=AttemptEvent.Kind.choices, empty_label="Any")
    attempt = IdFilter(field_name="attempt_id")

    class Meta:
        model = AttemptEvent
        fields: list[str] = []

    def error_text(self) -> str:
        """Return the errors as one sentence naming each filter."""
        return errors_as_text(self.errors)
