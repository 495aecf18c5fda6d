from django.core.management.base import BaseCommand, CommandError

from questions import formats
from questions.selectors import question_list
from questions.services import question_as_data


class Command(BaseCommand):
    help = "Export questions (filtered by status/guide) to stdout or a file."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=sorted(formats.FORMATS), default="json")
        parser.add_argument("--status", default="")
        parser.add_argument("--guide", default="")
        parser.add_argument("--output", "-o", default="-")

    def handle(self, *args, **options):
        questions = question_list(status=options["status"], guide=options["guide"])
        questions = questions.prefetch_related(
            "current_version__options", "domain_links__guide", "domain_links__domain"
        )
        try:
            body = formats.export(options["format"], [question_as_data(q) for q in questions])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if isinstance(body, bytes):  # a zip package (QTI)
            if options["output"] == "-":
                raise CommandError("This format writes a zip file; pass --output FILE.zip.")
            with open(options["output"], "wb") as handle:
                handle.write(body)
        elif options["output"] == "-":
            self.stdout.write(body)
        else:
            with open(options["output"], "w", encoding="utf-8") as handle:
                handle.write(body)
