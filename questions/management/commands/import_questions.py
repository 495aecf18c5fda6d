from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questions import formats
from questions.models import Question
from questions.services import ImportFailed, bank_import


class Command(BaseCommand):
    help = "Import questions from a JSON, CSV, GIFT, Aiken or Moodle XML file."

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
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        fmt = options["format"] or formats.detect_format(path.name, text)
        if fmt is None:
            raise CommandError("Cannot tell the format; pass --format.")
        result = formats.parse(fmt, text)
        for issue in result.skipped:
            self.stdout.write(self.style.WARNING(f"Skipped: {issue}"))
        for issue in result.warnings:
            self.stdout.write(f"Note: {issue}")
        if result.errors and not options["valid_only"]:
            raise CommandError("Nothing imported:\n" + "\n".join(map(str, result.errors)))
        for issue in result.errors:
            self.stdout.write(self.style.ERROR(f"Error: {issue}"))
        default = {"DVA-C01": options["domain"]} if options["domain"] else None
        try:
            report = bank_import(
                questions=[(q.number, q.data) for q in result.questions],
                status=options["status"],
                atomic=not options["valid_only"],
                default_domains=default,
            )
        except ImportFailed as failed:
            raise CommandError("Nothing imported:\n" + "\n".join(failed.report.errors)) from failed
        for line in report.duplicates + report.errors:
            self.stdout.write(self.style.WARNING(line))
        self.stdout.write(self.style.SUCCESS(f"Imported {len(report.created)} question(s)."))
