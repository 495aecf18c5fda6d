"""Read-only admin view of the question audit events (append-only history)."""

from django.contrib import admin

from .models import QuestionEvent


@admin.register(QuestionEvent)
class QuestionEventAdmin(admin.ModelAdmin):
    list_display = ("question", "kind", "actor", "at")
    list_filter = ("kind",)
    list_select_related = ("question", "actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
