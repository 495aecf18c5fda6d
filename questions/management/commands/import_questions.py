import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questions import formats, mapping_services
from questions.content_rules import DEFAULT_GUIDE, DOMAINS, domain_by_name_or_number
from questions.formats import mapping as mapped
from questions.formats.qti_safe import is_zip
from questions.importing import file_import
from questions.models import Question


class Command(BaseCommand):
    help = (
        "Import questions from a JSON, CSV, GIFT, Aiken, Moodle XML or QTI (.zip/.xml) file. A "
        "question that breaks a content rule (three options, no domain, no explanation, ...) is "
        "imported as a draft that needs review, with the reasons; a parse error refuses the "
        "whole file."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--format", choices=sorted(formats.FORMATS), default=None)
        parser.add_argument(
            "--status",
            choices=Question.Status.values,
            default="draft",
            help="Status of the questions that meet every rule (the others stay drafts).",
        )
        parser.add_argument(
            "--domain",
            default="",
            help="Domain for questions that name none in --guide: its name (any case) or its "
            'number in the guide ("2" or "Domain 2").',
        )
        parser.add_argument(
            "--guide",
            choices=sorted(DOMAINS),
            default=DEFAULT_GUIDE,
            help=f"Exam guide of --domain (default {DEFAULT_GUIDE}).",
        )
        parser.add_argument(
            "--valid-only",
            action="store_true",
            help="Import the valid questions and skip the rest (default: all or nothing).",
        )
        parser.add_argument(
            "--mapping", help="A field mapping (JSON) for a file in another tool's JSON/CSV layout"
        )
        parser.add_argument("--source", help="Use the mapping remembered under this source name")
        parser.add_argument(
            "--save-mapping", metavar="NAME", help="Remember the mapping under NAME once imported"
        )

    def handle(self, *args, **options):
        try:
            domain = domain_by_name_or_number(options["guide"], options["domain"])
        except ValueError as exc:
            raise CommandError(f"--domain: {exc}") from exc
        path = Path(options["path"])
        try:
            raw = path.read_bytes()
            # A zip (a QTI package) is imported from its bytes; every other format is text.
            text = "" if is_zip(raw) else raw.decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        shape = mapping = None
        if options["save_mapping"] is not None and not 0 < len(options["save_mapping"]) <= 100:
            raise CommandError("--save-mapping takes a name of 1 to 100 characters.")
        if options["mapping"] or options["source"]:
            try:
                shape, mapping, source = mapping_services.mapping_for_command(
                    filename=path.name,
                    text=text,
                    mapping_path=options["mapping"],
                    source=options["source"],
                )
            except mapped.MappingError as exc:
                raise CommandError(f"Nothing imported: {exc}") from exc
        elif shape := mapped.foreign_shape(path.name, text, options["format"]):
            proposal = mapped.propose(mapped.read_source(text, shape)).to_json(shape=shape)
            raise CommandError(
                "The file is not in the bank's own layout; map its fields with --mapping FILE "
                "(or --source NAME for a remembered mapping). Proposed mapping:\n"
                + json.dumps(proposal, indent=2)
            )
        outcome = file_import(
            name=path.name,
            text=text,
            raw=raw if is_zip(raw) else None,
            fmt=shape or options["format"],
            mapping=mapping,
            source_name=options["source"]
            or options["save_mapping"]
            or mapping_services.source_name_for(path.name),
            status=options["status"],
            atomic=not options["valid_only"],
            default_domain=domain,
            default_guide=options["guide"],
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
        for entry in report.needs_review:
            self.stdout.write(self.style.WARNING(f"Needs review: {entry}"))
        summary = f"Imported {len(report.created)} question(s)"
        if report.needs_review:
            summary += (
                f": {report.ready} ready as {options['status'].replace('_', ' ')}, "
                f"{len(report.needs_review)} draft(s) that need review"
            )
        if report.updated or report.unchanged:
            summary += f"; updated {len(report.updated)}, unchanged {len(report.unchanged)}"
        self.stdout.write(self.style.SUCCESS(summary + "."))
        if result.skipped:
            self.stdout.write(f"Skipped {len(result.skipped)} question(s) of unsupported types.")
        if mapping is not None and options["save_mapping"]:
            mapping_services.import_mapping_save(
                name=options["save_mapping"],
                shape=shape,
                mapping=mapping,
                source_fields=source.fields,
            )
            self.stdout.write(f"Mapping remembered as {options['save_mapping']!r}.")
