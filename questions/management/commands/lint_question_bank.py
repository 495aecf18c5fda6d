from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questions.bank import BANK_DIR, seed_bank_questions
from questions.content_rules import lint_bank


class Command(BaseCommand):
    help = (
        "Check bank files: content rules, duplicates and the item-writing rules (length cues, "
        "near-duplicate stems, (Select N.) wording, qualifiers, reviewed_on); print the "
        "bank-level rates and fail on any problem."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(BANK_DIR))

    def handle(self, *args, **options):
        questions = seed_bank_questions(Path(options["dir"]))
        lint = lint_bank(questions)
        for problem in lint.problems:
            self.stdout.write(problem)
        self.stdout.write(f"Bank-level rates over {len(questions)} questions:")
        for line in lint.rates.lines():
            self.stdout.write(f"  {line}")
        if lint.problems:
            raise CommandError(f"{len(lint.problems)} problem(s) in {len(questions)} questions.")
        self.stdout.write(self.style.SUCCESS(f"{len(questions)} questions, no problems."))
