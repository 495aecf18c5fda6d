from django.core.management.base import BaseCommand

from questions.selectors import bank_coverage


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
