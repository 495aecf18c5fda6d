from django.apps import AppConfig

from exams.signals import (
    attempt_finished,
    attempt_regraded,
    blueprint_panels,
    key_correction_finished,
    results_panels,
)

from .signals import dashboard_panels


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self):
        # Late import: the receivers import the tasks, which import models, and models can be
        # imported only once the app registry is ready.
        from .receivers import (
            blueprint_panel,
            queue_attempt_analytics,
            queue_correction_statistics,
            queue_regraded_analytics,
            regrade_panel,
            results_panel,
        )
        from .report_views import your_reports_panel

        attempt_finished.connect(
            queue_attempt_analytics, dispatch_uid="analytics.queue_attempt_analytics"
        )
        results_panels.connect(results_panel, dispatch_uid="analytics.results_panel")
        blueprint_panels.connect(blueprint_panel, dispatch_uid="analytics.blueprint_panel")
        dashboard_panels.connect(your_reports_panel, dispatch_uid="analytics.your_reports_panel")
        attempt_regraded.connect(
            queue_regraded_analytics, dispatch_uid="analytics.queue_regraded_analytics"
        )
        key_correction_finished.connect(
            queue_correction_statistics, dispatch_uid="analytics.queue_correction_statistics"
        )
        dashboard_panels.connect(regrade_panel, dispatch_uid="analytics.regrade_panel")
