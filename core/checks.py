"""Deployment checks (`manage.py check --deploy`) for mistakes that Django's own miss.

The demo-password check lives with the demo data (`demo/checks.py`): core imports no app.
"""

from django.conf import settings
from django.core.checks import Error, Tags, register

# Backends that never deliver: password reset links would silently go nowhere.
UNDELIVERED_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
}


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
