from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Site pages and health"

    def ready(self):
        # Register the deployment checks (`manage.py check --deploy`). A late import: ready() is
        # Django's place for registration side effects, run once the app registry is loaded.
        from . import checks  # noqa: F401
