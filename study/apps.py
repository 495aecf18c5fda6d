from django.apps import AppConfig


class StudyConfig(AppConfig):
    """What a student does next: spaced review, custom quizzes, the study plan, offline decks."""

    name = "study"
    verbose_name = "Study"
