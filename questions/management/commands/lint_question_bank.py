from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questions.bank import BANK_DIR, seed_bank_questions
from questions.content_rules import lint_bank


class Command(BaseCommand):
    help = "Check bank files: option counts, (Select N.) wording, duplicates, explanations."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(BANK_DIR))

    def handle(self, *args, **options):
        questions = seed_bank_questions(Path(options["dir"]))
        problems = lint_bank(questions)
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in {len(questions)} questions.")
        self.stdout.write(self.style.SUCCESS(f"{len(questions)} questions, no problems."))
