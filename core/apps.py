from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Site pages and health"

    def ready(self):
        # Register the deployment checks (`manage.py check --deploy`).
        from . import checks  # noqa: F401
