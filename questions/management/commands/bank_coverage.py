from django.core.management.base import BaseCommand

from questions.selectors import TASK_STATEMENT_MIN_PUBLISHED, bank_coverage


class Command(BaseCommand):
    help = "Show published questions per guide and domain against one full form's needs."

    def handle(self, *args, **options):
        for guide in bank_coverage():
            self.stdout.write(
                self.style.MIGRATE_HEADING(
                    f"{guide.guide.code}: {guide.forms} non-overlapping full form(s) of "
                    f"{guide.guide.question_count}"
                )
            )
            for d in guide.domains:
                self.stdout.write(
                    f"  {d.domain.name:<36} published {d.published:>4}  "
                    f"per form {d.per_form:>3}  forms {d.forms}"
                )
            if guide.task_statements:
                self.stdout.write(
                    f"  per task statement (at least {TASK_STATEMENT_MIN_PUBLISHED} published):"
                )
            for t in guide.task_statements:
                flag = "" if t.enough else f"  BELOW {TASK_STATEMENT_MIN_PUBLISHED}"
                self.stdout.write(
                    f"    {t.statement.code:<4} {t.statement.title:<58} published "
                    f"{t.published:>4}{flag}"
                )
