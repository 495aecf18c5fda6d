from django.apps import AppConfig

from exams.signals import attempt_finished, blueprint_panels, results_panels

from .signals import dashboard_panels


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self):
        # Late import: the receivers import the tasks, which import models, and models can be
        # imported only once the app registry is ready.
        from .receivers import blueprint_panel, queue_attempt_analytics, results_panel

        attempt_finished.connect(
            queue_attempt_analytics, dispatch_uid="analytics.queue_attempt_analytics"
        )
        results_panels.connect(results_panel, dispatch_uid="analytics.results_panel")
        blueprint_panels.connect(blueprint_panel, dispatch_uid="analytics.blueprint_panel")
        from .report_views import your_reports_panel

        dashboard_panels.connect(your_reports_panel, dispatch_uid="analytics.your_reports_panel")
