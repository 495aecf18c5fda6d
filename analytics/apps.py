from django.apps import AppConfig

from exams.signals import attempt_finished


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self):
        # Late import: the receivers import the tasks, which import models, and models can be
        # imported only once the app registry is ready.
        from .receivers import queue_attempt_analytics

        attempt_finished.connect(
            queue_attempt_analytics, dispatch_uid="analytics.queue_attempt_analytics"
        )
