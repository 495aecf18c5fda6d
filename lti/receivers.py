"""What lti does when exams announces something (connected in `LtiConfig.ready()`)."""

from django.db import transaction

from . import services, tasks


def _after_commit(attempt_id: int) -> None:
    # Looked up after the finishing transaction commits: a submit's locked transaction keeps
    # its pinned statements (tests/exams/services/test_submit_grading.py), and attempts
    # started on the site itself pay one indexed read outside it.
    transaction.on_commit(
        lambda: services.passback_queue_for_attempt(
            attempt_id=attempt_id, dispatch=tasks.dispatch_passback
        )
    )


def on_attempt_finished(sender, attempt_id: int, **kwargs):
    """A submitted or auto-submitted attempt that came from a launch: queue its grade after
    commit (nothing for attempts started on the site itself)."""
    _after_commit(attempt_id)


def on_attempt_regraded(sender, attempt_id: int, **kwargs):
    """A regraded attempt: the platform gets the new score."""
    _after_commit(attempt_id)
