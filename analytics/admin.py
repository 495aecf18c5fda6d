"""Read-only admin views of the calibration history (runs, item parameters, equatings)."""

from django.contrib import admin

from core.admin_read_only import ReadOnlyAdmin

from .models import AttemptEquating, CalibrationRun, ItemCalibration


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
