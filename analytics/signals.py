"""What analytics announces to the apps above it (they subscribe in their `AppConfig.ready()`)."""

from django.dispatch import Signal

# Sent by the student dashboard (with `user` and `guide_code`) to collect panels from the apps
# above analytics (the study app's review deck and plan): answered like exams' results panels, a
# dict {"template": ..., "context": ...} or None, collected with `exams.signals.collect_panels`.
dashboard_panels = Signal()
