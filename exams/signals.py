"""What exams announces to the apps above it (they subscribe in their `AppConfig.ready()`)."""

from django.dispatch import Signal

# Sent with `attempt_id` when an attempt is finished (submitted or expired) and scored, inside
# the service's transaction: a receiver that acts later must use `transaction.on_commit`, so a
# rolled-back submit causes nothing.
attempt_finished = Signal()

# Sent with `attempt_id` and `item_id` by `exams.services.item_check` when a practice item
# becomes checked (its feedback shown), inside the service's transaction with the attempt row
# locked: a receiver may write (cheap, one row) in that transaction; a failure rolls the check
# back, so receivers must not fail for reasons of their own.
item_checked = Signal()
# Sent with `attempt_id` and `correction_id` when a key correction regraded a finished attempt
# (exams.services.regrade), inside its transaction: receivers act on commit, so a preview (run
# in a transaction rolled back) causes nothing. `key_correction_finished` follows once per
# correction, with `correction_id` and the `blueprint_ids` of the attempts it regraded.
attempt_regraded = Signal()
key_correction_finished = Signal()

# Sent by the results page (with `attempt`) and the blueprint page (with `blueprint`) to collect
# extra panels from the apps above (events up, calls down: exams never imports them). A
# receiver returns None or a dict {"template": "<app>/<name>.html", "context": {...}} and may
# add "calibrated": True to say it shows a calibrated score (the results page then labels its
# linear score accordingly). Receivers must not fail the page: the views use send_robust.
results_panels = Signal()
blueprint_panels = Signal()


def collect_panels(signal: Signal, **kwargs) -> list[dict]:
    """Send `signal` and return the panels its receivers gave (errors logged, never raised)."""
    import logging

    panels = []
    for receiver, response in signal.send_robust(sender=None, **kwargs):
        if isinstance(response, Exception):
            logging.getLogger(__name__).error(
                "Panel receiver %r failed", receiver, exc_info=response
            )
        elif isinstance(response, dict) and response.get("template"):
            panels.append(response)
    return panels
