from django.apps import AppConfig


class LtiConfig(AppConfig):
    """LTI 1.3 Advantage tool: launches from an LMS, deep links, grade passback, roster sync.

    Sits above exams (it opens exams and passes their scores back) and beside analytics; it
    learns of finished attempts through `exams.signals`, connected in `ready()`.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "lti"
    verbose_name = "LTI 1.3 integration"
