"""What lti does when exams announces something (connected in `LtiConfig.ready()`)."""

from . import services


def on_attempt_finished(sender, attempt_id: int, **kwargs):
    """A submitted or auto-submitted attempt that came from a launch: queue its grade on
    commit (nothing for attempts started on the site itself)."""
    services.passback_queue_for_attempt(attempt_id=attempt_id)


def on_attempt_regraded(sender, attempt_id: int, **kwargs):
    """A regraded attempt: the platform gets the new score."""
    services.passback_queue_for_attempt(attempt_id=attempt_id)
