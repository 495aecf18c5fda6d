"""Deployment check (`manage.py check --deploy`): no account may keep the demo password."""

from django.contrib.auth import get_user_model
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError
from django.db.models import Q

from .data import DEMO_ACCOUNTS, DEMO_EMAIL_DOMAIN, DEMO_PASSWORD


def _accounts_to_check():
    """Return the accounts that could still carry the demo password.

    Hashing the demo password against every student's salt would take hours on a large site,
    so look at the accounts that matter: the demo ones and everyone with staff powers.
    """
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(username__in=[a.username for a in DEMO_ACCOUNTS])
            | Q(username__regex=r"^demo[0-9]+$")
            | Q(email__iendswith=DEMO_EMAIL_DOMAIN)
            | Q(is_staff=True)
            | Q(is_superuser=True)
            | Q(groups__name__in=["Admin", "Instructor"])
        )
        .distinct()
    )


@register(Tags.security, deploy=True)
def check_no_demo_passwords(app_configs=None, **kwargs):
    """Fail while any active demo or staff account still has the published demo password."""
    try:
        exposed = [u.username for u in _accounts_to_check() if u.check_password(DEMO_PASSWORD)]
    except DatabaseError as exc:
        return [
            Warning(
                f"Could not look for accounts with the demo password: {exc}".strip(),
                hint="Run the deploy check against the migrated production database.",
                id="dva.W001",
            )
        ]
    if exposed:
        return [
            Error(
                "These accounts still have the published demo password: "
                f"{', '.join(sorted(exposed))}.",
                hint="Deactivate or delete them, or set a new password "
                "(`manage.py changepassword USERNAME`).",
                id="dva.E001",
            )
        ]
    return []
