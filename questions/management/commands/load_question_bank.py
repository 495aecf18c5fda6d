from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questions.bank import BANK_DIR, load_seed_bank
from questions.services import ImportFailed


class Command(BaseCommand):
    help = "Load the original seed question bank (idempotent: loading twice duplicates nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(BANK_DIR), help="Folder of bank JSON files.")

    def handle(self, *args, **options):
        try:
            report = load_seed_bank(directory=Path(options["dir"]))
        except ImportFailed as failed:
            raise CommandError("Nothing loaded:\n" + "\n".join(failed.report.errors)) from failed
        self.stdout.write(
            self.style.SUCCESS(
                f"Question bank: {len(report.created)} created, {len(report.updated)} updated, "
                f"{len(report.unchanged)} unchanged, {len(report.duplicates)} duplicates skipped."
            )
        )
        for line in report.duplicates:
            self.stdout.write(f"  {line}")
