"""Deployment checks (`manage.py check --deploy`) for mistakes that Django's own miss."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError
from django.db.models import Q

# Backends that never deliver: password reset links would silently go nowhere.
UNDELIVERED_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
}
DEMO_EMAIL_DOMAIN = "@demo.dva-mock.local"


@register(Tags.security, deploy=True)
def check_email_backend(app_configs=None, **kwargs):
    """Fail when e-mail is printed or dropped instead of sent."""
    if settings.EMAIL_BACKEND in UNDELIVERED_EMAIL_BACKENDS:
        return [
            Error(
                f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}: password reset e-mails are never "
                "sent.",
                hint="Set EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.org:587.",
                id="dva.E002",
            )
        ]
    return []


def _accounts_to_check():
    """Return the accounts that could still carry the demo password.

    Hashing the demo password against every student's salt would take hours on a large site,
    so look at the accounts that matter: the demo ones and everyone with staff powers.
    """
    from core.demo import DEMO_ACCOUNTS

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
    from core.demo import DEMO_PASSWORD

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
