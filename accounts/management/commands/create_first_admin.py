"""Create the first admin of a deployment from DJANGO_SUPERUSER_* variables (idempotent)."""

import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import first_admin_ensure

VARIABLES = ("DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_EMAIL", "DJANGO_SUPERUSER_PASSWORD")


class Command(BaseCommand):
    help = (
        "Create the first admin (superuser with the Admin role) from DJANGO_SUPERUSER_USERNAME, "
        "DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD. Does nothing when the account "
        "exists (its password is never reset) or when the variables are not set."
    )

    def handle(self, *args, **options):
        values = {name: os.environ.get(name, "").strip() for name in VARIABLES}
        missing = [name for name, value in values.items() if not value]
        if len(missing) == len(VARIABLES):
            # Deploys run this every time; once the admin exists the variables can be removed.
            self.stdout.write(
                "No DJANGO_SUPERUSER_* variables set: no admin created. Set them and run "
                "`manage.py create_first_admin`, or run `manage.py createsuperuser`."
            )
            return
        if missing:
            raise CommandError(f"Set {', '.join(missing)} as well to create the first admin.")
        try:
            user, created = first_admin_ensure(
                username=values["DJANGO_SUPERUSER_USERNAME"],
                email=values["DJANGO_SUPERUSER_EMAIL"],
                password=values["DJANGO_SUPERUSER_PASSWORD"],
            )
        except ValidationError as exc:
            raise CommandError(f"First admin not created: {'; '.join(exc.messages)}") from exc
        if created:
            self.stdout.write(self.style.SUCCESS(f"Created the admin {user.username}."))
        else:
            self.stdout.write(f"{user.username} already exists; left unchanged.")
