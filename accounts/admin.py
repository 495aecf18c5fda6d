from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Cohort, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Accommodation", {"fields": ("accommodation_minutes", "accommodation_note")}),
    )


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ("name", "starts_on", "ends_on", "is_demo")
    filter_horizontal = ("instructors", "students")
