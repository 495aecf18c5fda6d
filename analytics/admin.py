"""Read-only admin views of the calibration history (runs, item parameters, equatings)."""

from django.contrib import admin

from .models import AttemptEquating, CalibrationRun, ItemCalibration


class ReadOnlyAdmin(admin.ModelAdmin):
    """History: viewable by staff, never added, changed or deleted from the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalibrationRun)
class CalibrationRunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "status", "created_at", "finished_at", "attempts_used", "converged")
    list_filter = ("status",)


@admin.register(ItemCalibration)
class ItemCalibrationAdmin(ReadOnlyAdmin):
    list_display = ("run", "version", "model", "a", "b", "c", "n")
    list_filter = ("model",)
    list_select_related = ("run", "version__question")


@admin.register(AttemptEquating)
class AttemptEquatingAdmin(ReadOnlyAdmin):
    list_display = ("attempt", "run", "equated_score", "low", "high", "theta", "created_at")
    list_select_related = ("attempt__user", "attempt__blueprint", "run")
    raw_id_fields = ("attempt",)
