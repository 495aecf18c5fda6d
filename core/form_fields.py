"""Form fields for ids in query strings and posts, bounded to what the database can hold.

A view that passes "²" (which str.isdigit accepts but int refuses) or 99999999999999999999 (a
bigint overflow in PostgreSQL) to a query fails with a 500; these fields turn both into a form
error instead.
"""

from __future__ import annotations

from django import forms

DB_INT_MAX = 2**31 - 1  # PostgreSQL integer
DB_BIGINT_MAX = 2**63 - 1  # PostgreSQL bigint, the type of every primary key here


class IdField(forms.IntegerField):
    """A primary key: a whole number from 1 to the bigint maximum."""

    def __init__(self, *, max_value: int = DB_BIGINT_MAX, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("error_messages", {"invalid": "Enter an id (a whole number)."})
        super().__init__(max_value=max_value, **kwargs)

    def to_python(self, value):
        # Twenty digits already exceed a bigint; longer input is not worth converting.
        if isinstance(value, str) and len(value.strip()) > 20:
            raise forms.ValidationError(f"Enter an id of at most {DB_BIGINT_MAX}.", code="max")
        return super().to_python(value)


class IdListField(forms.Field):
    """Several ids (a repeated query or post parameter), each checked as IdField checks one."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, max_count: int = 1000, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_count = max_count

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        if len(value) > self.max_count:
            raise forms.ValidationError(f"Choose at most {self.max_count} at a time.")
        item = IdField()
        ids = []
        for raw in value:
            try:
                ids.append(item.clean(raw))
            except forms.ValidationError as exc:
                raise forms.ValidationError(f"{str(raw)[:30]!r} is not an id.") from exc
        return list(dict.fromkeys(ids))
