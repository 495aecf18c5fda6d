from django.apps import AppConfig


class StudyConfig(AppConfig):
    """What a student does next: spaced review, custom quizzes, the study plan, offline decks."""

    name = "study"
    verbose_name = "Study"

    def ready(self):
        # Late imports: receivers import tasks and models, ready only once the registry is.
        from analytics.signals import dashboard_panels
        from exams.signals import attempt_finished, item_checked

        from .receivers import dashboard_panel, queue_cards, rate_checked_item

        attempt_finished.connect(queue_cards, dispatch_uid="study.queue_cards")
        item_checked.connect(rate_checked_item, dispatch_uid="study.rate_checked_item")
        dashboard_panels.connect(dashboard_panel, dispatch_uid="study.dashboard_panel")
