from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from questions.formats import anki
from questions.models import Question
from questions.selectors import question_list


class Command(BaseCommand):
    help = (
        "Write questions (filtered by status/guide) as an Anki package (.apkg), "
        f"at most {anki.MAX_ANKI_QUESTIONS:,}."
    )

    def add_arguments(self, parser):
        parser.add_argument("--status", default="", choices=["", *Question.Status.values])
        parser.add_argument("--guide", default="", help="an exam guide code, e.g. DVA-C02")
        parser.add_argument("--deck", default=anki.DEFAULT_DECK_NAME, help="the deck's name")
        parser.add_argument("--out", "-o", required=True, help="the .apkg file to write")

    def handle(self, *args, **options):
        questions = question_list(status=options["status"], guide=options["guide"])
        try:
            body = anki.anki_package_for_queryset(questions=questions, deck_name=options["deck"])
        except ApplicationError as exc:
            raise CommandError(exc.message_text) from exc
        try:
            with open(options["out"], "wb") as handle:
                handle.write(body)
        except OSError as exc:
            raise CommandError(f"Cannot write {options['out']}: {exc.strerror}") from exc
        self.stdout.write(f"Wrote {options['out']} ({len(body):,} bytes).")
