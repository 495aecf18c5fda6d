"""What exams announces to the apps above it (they subscribe in their `AppConfig.ready()`)."""

from django.dispatch import Signal

# Sent with `attempt_id` when an attempt is finished (submitted or expired) and scored, inside
# the service's transaction: a receiver that acts later must use `transaction.on_commit`, so a
# rolled-back submit causes nothing.
attempt_finished = Signal()
