"""Expose the user's roles to templates so navigation fits the role."""

from .roles import Role
from .selectors import user_primary_role, user_roles


def roles(request):
    user = getattr(request, "user", None)
    names = user_roles(user) if user is not None else frozenset()
    return {
        "user_roles": names,
        "primary_role": user_primary_role(user) if user is not None else None,
        "is_student": Role.STUDENT.value in names,
        "is_instructor": Role.INSTRUCTOR.value in names or Role.ADMIN.value in names,
        "is_admin_role": Role.ADMIN.value in names,
    }
