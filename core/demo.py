"""Demo data for `make run`: one user per role and a demo cohort, clearly marked as demo."""

from dataclasses import dataclass

from django.db import transaction

from accounts.models import Cohort, User
from accounts.roles import Role
from accounts.services import user_set_role

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed on purpose for local demos


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    first_name: str


DEMO_ACCOUNTS = (
    DemoAccount("student", Role.STUDENT, "Sam"),
    DemoAccount("instructor", Role.INSTRUCTOR, "Ines"),
    DemoAccount("admin", Role.ADMIN, "Ada"),
)


@transaction.atomic
def demo_accounts_ensure() -> list[DemoAccount]:
    """Create (or reset) the demo accounts; running it twice changes nothing."""
    users = {}
    for account in DEMO_ACCOUNTS:
        user, _ = User.objects.get_or_create(
            username=account.username,
            defaults={
                "email": f"{account.username}@demo.dva-mock.local",
                "first_name": account.first_name,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.is_staff = account.role == Role.ADMIN
        user.is_superuser = account.role == Role.ADMIN
        user.save()
        user_set_role(user=user, role=account.role)
        users[account.role] = user
    cohort, _ = Cohort.objects.get_or_create(name="Demo cohort", defaults={"is_demo": True})
    cohort.instructors.add(users[Role.INSTRUCTOR])
    cohort.students.add(users[Role.STUDENT])
    return list(DEMO_ACCOUNTS)
