from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from analytics.services.calibration import calibration_request
from analytics.tasks import calibrate_items, recompute_all_analytics
from demo.data import DEMO_PASSWORD, demo_accounts_ensure, demo_cohort_ensure
from questions.bank import load_seed_bank


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and print the demo log-ins."

    def handle(self, *args, **options):
        # Demo accounts have a published password: a production site must never get them.
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                "seed_demo refuses to run under production settings: it would create accounts "
                "with a published password. Load the questions with `load_question_bank` and "
                "create the first admin with `create_first_admin`."
            )
        accounts = demo_accounts_ensure()
        report = load_seed_bank()
        self.stdout.write(
            f"Question bank: {len(report.created)} new, {len(report.unchanged)} unchanged, "
            f"{len(report.updated)} updated."
        )
        simulated = demo_cohort_ensure()
        if simulated:
            recompute_all_analytics.apply()
            self.stdout.write(f"Simulated cohort: {simulated} attempts by 30 demo students.")
            # The first IRT calibration (eager without Redis; queued to the worker with it):
            # equated scores, chance of passing, θ_cut and pretest figures from the start.
            # (`.delay` would also run eagerly, but logs a kombu "No hostname" warning first.)
            eager = settings.CELERY_TASK_ALWAYS_EAGER
            run, _created = calibration_request(
                user=None,
                dispatch=(lambda pk: calibrate_items.apply((pk,)))
                if eager
                else calibrate_items.delay,
            )
            run.refresh_from_db()
            self.stdout.write(f"Item calibration run {run.pk}: {run.get_status_display()}.")
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in at http://127.0.0.1:8000/"))
        for account in accounts:
            self.stdout.write(
                f"  {account.role.label:<11} username: {account.username:<11} "
                f"password: {DEMO_PASSWORD}"
            )
