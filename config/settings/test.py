"""Test settings: fast hashing, plain static storage; the database comes from the test harness."""

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Browser tests click through 65 questions faster than any student (each click is an autosave
# and a page post), which the production limit of 60 per 10 s refuses on a fast machine; the
# limit's own tests set the figures they check.
AUTOSAVE_RATE_LIMIT = 600

# --- Celery -----------------------------------------------------------------------------
# The suite's throwaway Redis is wired in from the start (the app caches its broker
# connection), but tasks stay eager unless a test asks for the real worker.
_test_redis = env("TEST_REDIS_URL", default="")  # noqa: F405
if _test_redis and not REDIS_URL:  # noqa: F405
    CELERY_BROKER_URL = CELERY_RESULT_BACKEND = _test_redis

# The LTI tests' platform (tests/lti/platform.py) serves plain http on 127.0.0.1.
LTI_ALLOW_LOCAL_HTTP = True
