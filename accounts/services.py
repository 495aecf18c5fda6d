"""Writes about users, roles and cohorts."""

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from core.errors import ApplicationError

from .models import Cohort, User
from .roles import Role
from .selectors import active_admins


@transaction.atomic
def user_sign_up(
    *, username: str, email: str, password: str, first_name: str = "", last_name: str = ""
) -> User:
    """Create a Student account; sign-up never grants any other role."""
    user = User(username=username, email=email.strip(), first_name=first_name, last_name=last_name)
    user.set_password(password)
    user.full_clean()
    user.save()
    user.groups.add(Group.objects.get(name=Role.STUDENT.value))
    return user


@transaction.atomic
def user_set_role(*, user: User, role: Role | str) -> User:
    """Give the user exactly one role (replacing the others)."""
    role = Role(role)
    role_groups = Group.objects.filter(name__in=Role.values)
    user.groups.remove(*role_groups)
    user.groups.add(Group.objects.get(name=role.value))
    user._role_names = None
    if hasattr(user, "_perm_cache"):
        del user._perm_cache
    if hasattr(user, "_group_perm_cache"):
        del user._group_perm_cache
    return user


def admin_access_change_check(
    *, user: User, actor: User | None, is_active: bool, keeps_admin: bool
):
    """Refuse a change that locks `actor` out or leaves the site without an active admin.

    Called inside the writer's transaction by the people page's service and by the Django
    admin's user form, so both places keep the same rule.
    """
    if is_active and keeps_admin:
        return
    if actor is not None and actor.pk == user.pk:
        if not is_active:
            raise ApplicationError({"is_active": "You cannot deactivate your own account."})
        raise ApplicationError({"role": "You cannot remove your own Admin role."})
    # Lock the admins' rows so two admins demoting each other at once cannot both succeed.
    others = active_admins().exclude(pk=user.pk).select_for_update(of=("self",))
    if active_admins().filter(pk=user.pk).exists() and not list(others.values("pk")):
        raise ApplicationError(
            {
                "is_active" if not is_active else "role": (
                    f"{user.username} is the last active admin. Give another person the "
                    "Admin role first."
                )
            }
        )


@transaction.atomic
def user_update_by_admin(
    *,
    user: User,
    role: str,
    cohorts,
    accommodation_minutes: int,
    accommodation_note: str,
    is_active: bool,
    actor: User | None = None,
) -> User:
    """Apply what an admin set on the people page, all or nothing.

    Refuse to let `actor` deactivate or demote themselves, and refuse any change that would
    leave the site without an active admin (nobody could then manage people again).
    """
    admin_access_change_check(
        user=user,
        actor=actor,
        is_active=is_active,
        keeps_admin=Role(role) == Role.ADMIN or user.is_superuser,
    )
    user.accommodation_minutes = accommodation_minutes
    user.accommodation_note = accommodation_note
    user.is_active = is_active
    user.full_clean()
    user.save(update_fields=["accommodation_minutes", "accommodation_note", "is_active"])
    user_set_role(user=user, role=role)
    user.cohorts.set(cohorts)
    return user


@transaction.atomic
def cohort_save(
    *, cohort: Cohort | None = None, name: str, instructors, students, starts_on=None, ends_on=None
) -> Cohort:
    """Create or update a cohort; instructors must hold the Instructor or Admin role."""
    cohort = cohort or Cohort()
    cohort.name = name
    cohort.starts_on = starts_on
    cohort.ends_on = ends_on
    bad = [
        u.username
        for u in instructors
        if not u.groups.filter(name__in=[Role.INSTRUCTOR, Role.ADMIN]).exists()
    ]
    if bad:
        raise ApplicationError({"instructors": f"Not an instructor: {', '.join(bad)}."})
    cohort.full_clean()
    cohort.save()
    cohort.instructors.set(instructors)
    cohort.students.set(students)
    return cohort


@transaction.atomic
def first_admin_ensure(*, username: str, email: str, password: str) -> tuple[User, bool]:
    """Create the first admin (superuser with the Admin role) unless the account exists.

    Return (user, created). An existing account is left exactly as it is: its password is never
    reset, so running this on every deploy is safe.
    """
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing, False
    user = User(username=username, email=email.strip(), is_staff=True, is_superuser=True)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    user_set_role(user=user, role=Role.ADMIN)
    return user, True
