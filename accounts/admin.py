from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError

from .models import Cohort, User
from .roles import Role
from .selectors import is_last_active_admin
from .services import admin_access_change_check


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Accommodation", {"fields": ("accommodation_minutes", "accommodation_note")}),
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        """Give the change form the acting admin so it can keep the last-admin rule."""
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return form
        actor = request.user

        class GuardedUserForm(form):
            def clean(self):
                cleaned = super().clean()
                groups = cleaned.get("groups")
                has_admin_group = groups is not None and any(
                    group.name == Role.ADMIN.value for group in groups
                )
                try:
                    # The admin's change view runs in a transaction: the check's row locks hold.
                    admin_access_change_check(
                        user=self.instance,
                        actor=actor,
                        is_active=cleaned.get("is_active", self.instance.is_active),
                        keeps_admin=has_admin_group or cleaned.get("is_superuser", False),
                    )
                except ValidationError as exc:
                    raise ValidationError(
                        [message for messages in exc.message_dict.values() for message in messages]
                    ) from exc
                return cleaned

        return GuardedUserForm

    def has_delete_permission(self, request, obj=None):
        """Nobody deletes their own account or the last active admin from here."""
        if obj is not None:
            if obj.pk == request.user.pk:
                return False
            if is_last_active_admin(obj):
                return False
        return super().has_delete_permission(request, obj)


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ("name", "starts_on", "ends_on", "is_demo")
    filter_horizontal = ("instructors", "students")
