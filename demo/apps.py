from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for local try-outs; sits above every other app and may import any of them."""

    name = "demo"
    verbose_name = "Demo data"

    def ready(self):
        # Register the demo-password deployment check (`manage.py check --deploy`). A late import:
        # the check imports the user model, which needs the app registry loaded.
        from . import checks  # noqa: F401
