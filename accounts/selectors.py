"""Reads about users, roles and cohorts."""

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import Cohort, User
from .roles import Role


def active_admins() -> QuerySet[User]:
    """Return the active users who hold the Admin role (superusers count as admins)."""
    return User.objects.filter(is_active=True).filter(
        Q(groups__name=Role.ADMIN.value) | Q(is_superuser=True)
    )


def is_last_active_admin(user: User) -> bool:
    """Tell whether removing `user` would leave the site without an active admin."""
    admins = active_admins()
    return admins.filter(pk=user.pk).exists() and not admins.exclude(pk=user.pk).exists()


def user_roles(user) -> frozenset[str]:
    """Return the user's role names, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached |= {Role.ADMIN.value}
        user._role_names = cached
    return cached


def user_has_role(user, role: Role) -> bool:
    return role.value in user_roles(user)


def user_primary_role(user) -> str | None:
    """Return the most capable role the user holds (Admin > Instructor > Student)."""
    roles = user_roles(user)
    for role in (Role.ADMIN, Role.INSTRUCTOR, Role.STUDENT):
        if role.value in roles:
            return role.value
    return None


def user_list_for_staff(*, search: str = "", role: str = "") -> QuerySet[User]:
    users = User.objects.order_by("username").prefetch_related(
        "groups", Prefetch("cohorts", queryset=Cohort.objects.only("id", "name"))
    )
    if search:
        users = users.filter(
            Q(username__icontains=search)
            | Q(email__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
        )
    if role:
        users = users.filter(groups__name=role)
    return users


def cohort_list_for_user(*, user) -> QuerySet[Cohort]:
    """Return the cohorts this user may see: all for admins, their own for instructors."""
    cohorts = Cohort.objects.annotate(
        student_count=Count("students", distinct=True),
        instructor_count=Count("instructors", distinct=True),
    ).prefetch_related("instructors")
    if user.has_perm("accounts.view_all_cohorts"):
        return cohorts
    if user.has_perm("accounts.view_own_cohorts"):
        return cohorts.filter(instructors=user)
    return cohorts.none()


def cohort_get_for_user(*, user, cohort_id: int, with_students: bool = True) -> Cohort:
    """Return one visible cohort or raise Cohort.DoesNotExist (404 for others' cohorts)."""
    cohorts = cohort_list_for_user(user=user)
    if with_students:
        cohorts = cohorts.prefetch_related("students")
    return cohorts.get(pk=cohort_id)
