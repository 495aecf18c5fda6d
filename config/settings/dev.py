"""Settings for `make run`: SQLite and eager Celery unless told otherwise, console e-mail.

DEBUG stays off, so students see the friendly 404/500 pages; developers who want Django's
debug pages set DJANGO_DEBUG=1. Whitenoise serves static files straight from the source
folders either way, so no collectstatic is needed.
"""

from .base import *  # noqa: F403
from .base import DEBUG

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
