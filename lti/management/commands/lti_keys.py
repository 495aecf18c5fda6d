"""Create the tool's LTI key pair once (`manage.py lti_keys`); prints its key id and public key.

Safe on every deploy: an existing active key is kept (django-lti's `rotate_keys` rotates).
"""

from django.core.management.base import BaseCommand

from lti.services import keys_ensure


class Command(BaseCommand):
    help = "Create the LTI tool's RSA key pair unless it exists; print its key id and public key."

    def add_arguments(self, parser):
        parser.add_argument("--show", action="store_true", help="Print the public key (PEM).")

    def handle(self, *args, **options):
        key, created = keys_ensure()
        verb = "Created" if created else "Kept the existing"
        self.stdout.write(self.style.SUCCESS(f"{verb} tool key pair, key id {key}."))
        if options["show"]:
            self.stdout.write(key.public_key)
