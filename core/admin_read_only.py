"""A Django admin base for history tables: viewable by staff, never edited from the admin."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """History: viewable by staff, never added, changed or deleted from the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
