"""Read-only admin view of the question audit events (append-only history)."""

from django.contrib import admin

from core.admin_read_only import ReadOnlyAdmin

from .models import QuestionEvent


@admin.register(QuestionEvent)
class QuestionEventAdmin(ReadOnlyAdmin):
    list_display = ("question", "kind", "actor", "at")
    list_filter = ("kind",)
    list_select_related = ("question", "actor")
