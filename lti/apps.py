from django.apps import AppConfig


class LtiConfig(AppConfig):
    """LTI 1.3 Advantage tool: launches from an LMS, deep links, grade passback, roster sync.

    Sits above exams (it opens exams and passes their scores back) and beside analytics; it
    learns of finished attempts through `exams.signals`, connected in `ready()`.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "lti"
    verbose_name = "LTI 1.3 integration"

    def ready(self):
        from exams import signals

        from . import receivers

        signals.attempt_finished.connect(
            receivers.on_attempt_finished, dispatch_uid="lti.attempt_finished"
        )
        signals.attempt_regraded.connect(
            receivers.on_attempt_regraded, dispatch_uid="lti.attempt_regraded"
        )
