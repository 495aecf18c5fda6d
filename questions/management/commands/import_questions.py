from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questions import formats
from questions.formats.qti_safe import is_zip
from questions.importing import file_import
from questions.models import Question


class Command(BaseCommand):
    help = "Import questions from a JSON, CSV, GIFT, Aiken, Moodle XML or QTI (.zip/.xml) file."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--format", choices=sorted(formats.FORMATS), default=None)
        parser.add_argument("--status", choices=Question.Status.values, default="draft")
        parser.add_argument("--domain", default="", help="DVA-C01 domain when the file has none")
        parser.add_argument(
            "--valid-only",
            action="store_true",
            help="Import the valid questions and skip the rest (default: all or nothing).",
        )

    def handle(self, *args, **options):
        path = Path(options["path"])
        try:
            raw = path.read_bytes()
            # A zip (a QTI package) is imported from its bytes; every other format is text.
            text = "" if is_zip(raw) else raw.decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        outcome = file_import(
            name=path.name,
            text=text,
            raw=raw if is_zip(raw) else None,
            fmt=options["format"],
            status=options["status"],
            atomic=not options["valid_only"],
            default_domain=options["domain"],
        )
        if outcome.format is None:
            raise CommandError("Cannot tell the format; pass --format.")
        result, report = outcome.parsed, outcome.report
        for issue in result.skipped:
            self.stdout.write(self.style.WARNING(f"Skipped: {issue}"))
        for issue in result.warnings:
            self.stdout.write(f"Note: {issue}")
        if outcome.refused_on_parse:
            raise CommandError("Nothing imported:\n" + "\n".join(map(str, result.errors)))
        for issue in result.errors:
            self.stdout.write(self.style.ERROR(f"Error: {issue}"))
        if outcome.refused_on_save:
            raise CommandError("Nothing imported:\n" + "\n".join(report.errors))
        for line in report.duplicates + report.errors:
            self.stdout.write(self.style.WARNING(line))
        self.stdout.write(self.style.SUCCESS(f"Imported {len(report.created)} question(s)."))
