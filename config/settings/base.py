"""Settings shared by every environment; everything comes from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -----------------------------------------------------------------
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me")
# Off unless a developer asks (DJANGO_DEBUG=1): students must see friendly error pages, never a
# traceback with settings in it.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_filters",
    "axes",
    "core",
    "accounts",
    "questions",
    "exams",
    "analytics",
    "study",  # above analytics: spaced review, custom quizzes, the study plan
    "lti_tool",  # django-lti: registrations, deployments, keys, contexts (on pylti1p3)
    "lti",  # above exams: LTI 1.3 launches, deep linking, grade passback, roster sync
    "demo",  # above every app: it may import any of them
]

MIDDLEWARE = [
    # First: the request id and the timing cover everything below, redirects included.
    "core.request_log.RequestLogMiddleware",
    "core.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.ApplicationErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    # Axes must come last so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# No DATABASE_URL: a SQLite file under var/ so `make run` needs nothing installed.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite allows one writer. A deferred transaction that reads and then writes fails at once
    # with "database is locked" when another writer got there first; IMMEDIATE takes the write
    # lock at BEGIN, so concurrent requests queue (up to `timeout` seconds) instead of failing.
    # WAL lets pages keep reading while a write is in progress.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# With persistent connections, check them before use so a restarted database is survived.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
# Behind PgBouncer in transaction pooling mode set DISABLE_SERVER_SIDE_CURSORS=true: the named
# cursor of QuerySet.iterator() would outlive the transaction that holds its server connection
# (docs/operations.md, "Running several web nodes").
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
    "DISABLE_SERVER_SIDE_CURSORS", default=False
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -----------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Argon2id first (accounts/hashers.py says why its parameters: OWASP's m=19 MiB, t=2, p=1);
# Django's earlier defaults after it, so an existing PBKDF2 hash still verifies and is rehashed
# with Argon2id on the next successful log-in. test.py swaps in MD5 for speed.
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# Per client address per hour; people rarely need more, a script looping on these does.
SIGN_UP_RATE_LIMIT = env.int("SIGN_UP_RATE_LIMIT", default=10)
PASSWORD_RESET_RATE_LIMIT = env.int("PASSWORD_RESET_RATE_LIMIT", default=5)
LOGIN_REDIRECT_URL = "home"

# --- Login throttling (django-axes) -------------------------------------------
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Behind a TLS proxy every request comes from the proxy: count the proxies we run so lockouts
# (and the audit log) use the real client address. 0 = trust no X-Forwarded-For header.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Forms ------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- E-mail ------------------------------------------------------------------------
# One variable, e.g. EMAIL_URL=smtp+tls://user:password@smtp.example.org:587; without it
# messages are printed on the console (`check --deploy` refuses that for production).
_email = env.email_url_config(env("EMAIL_URL", default="") or "consolemail://")
vars().update({k: v for k, v in _email.items() if v not in (None, "")})  # keep Django defaults
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="DVA Mock <noreply@dva-mock.local>")

# --- Celery ---------------------------------------------------------------------------
# No REDIS_URL: tasks run eagerly in-process so the app works on a bare machine.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How long a task taken by a worker that died outright waits before another worker gets it.
# Keep it longer than any countdown (the analytics debounce and retry backoff).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
}
CELERY_BEAT_SCHEDULE: dict = {}

# --- Logging -------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Eager mode (no REDIS_URL) would log every task run into the runserver console.
        "celery.app.trace": {"level": "INFO" if REDIS_URL else "WARNING"},
    },
}

# --- Cache (debounce flags and locks for analytics) ------------------------------------
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
ANALYTICS_DEBOUNCE_SECONDS = env.int("ANALYTICS_DEBOUNCE_SECONDS", default=20)
# Fault injection for the test suite only: seconds an analytics task holds its transaction.
ANALYTICS_FAULT_PAUSE_SECONDS = env.float("ANALYTICS_FAULT_PAUSE_SECONDS", default=0)
# IRT: a calibration run counts as "calibrated" (equated scores, chance of passing) once it
# used at least this many finished attempts.
CALIBRATED_MIN_ATTEMPTS = env.int("CALIBRATED_MIN_ATTEMPTS", default=200)

# --- Question bank -----------------------------------------------------------------------
# A question whose last review (reviewed_on) is older than this, or missing, is due for review.
QUESTION_REVIEW_MAX_AGE_DAYS = env.int("QUESTION_REVIEW_MAX_AGE_DAYS", default=365)

# --- Exams -----------------------------------------------------------------------------
# Autosaves allowed per student per 10 seconds (a person clicks far fewer; a script more).
AUTOSAVE_RATE_LIMIT = env.int("AUTOSAVE_RATE_LIMIT", default=60)
# Flag toggles allowed per student per 10 seconds (each change is an audit row).
FLAG_RATE_LIMIT = env.int("FLAG_RATE_LIMIT", default=20)
# Benchmark-only endpoints (the "floor" view); never enabled in production.
BENCH_ENDPOINTS = env.bool("BENCH_ENDPOINTS", default=False)
# `seed_demo` creates accounts with a published password; production settings turn it off.
DEMO_DATA_ALLOWED = True

# --- Study (docs/study.md) --------------------------------------------------------
# Default desired retention of spaced review (a student may choose 0.70 to 0.97).
STUDY_DESIRED_RETENTION = env.float("STUDY_DESIRED_RETENTION", default=0.9)
# FSRS fuzzing spreads due dates a little so cards learnt together do not stay together.
STUDY_FSRS_FUZZING = env.bool("STUDY_FSRS_FUZZING", default=True)
# The study plan proposes a full mock when the last one is older than this many days.
STUDY_MOCK_EVERY_DAYS = env.int("STUDY_MOCK_EVERY_DAYS", default=7)

# --- Periodic tasks (celery beat) ----------------------------------------------------
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "core.tasks.worker_heartbeat", "schedule": 60.0},
}
CELERY_BEAT_SCHEDULE["expire-overdue-attempts"] = {
    "task": "exams.tasks.expire_overdue_attempts",
    "schedule": 30.0,
}
CELERY_BEAT_SCHEDULE["recompute-analytics-nightly"] = {
    "task": "analytics.tasks.recompute_all_analytics",
    "schedule": crontab(hour=3, minute=15),
}
CELERY_BEAT_SCHEDULE["calibrate-items-nightly"] = {
    "task": "analytics.tasks.calibrate_items_nightly",
    "schedule": crontab(hour=3, minute=45),
}
CELERY_BEAT_SCHEDULE["prepare-due-sittings"] = {
    "task": "exams.tasks.prepare_due_sittings",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["study-due-summaries-nightly"] = {
    "task": "study.tasks.recompute_due_summaries",
    "schedule": crontab(hour=2, minute=30),
}
CELERY_BEAT_SCHEDULE["study-catch-up-cards"] = {
    "task": "study.tasks.catch_up_cards",
    "schedule": 600.0,
}
CELERY_BEAT_SCHEDULE["catch-up-missing-analytics"] = {
    "task": "analytics.tasks.catch_up_missing_analytics",
    "schedule": 300.0,
}
# A submit must never wait long on a broker that is down: analytics catch up later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}

# Scheduled sittings: forms are drawn this long before a sitting opens (exams.tasks).
SITTING_PREPARE_LEAD = timedelta(minutes=env.int("SITTING_PREPARE_LEAD_MINUTES", default=15))

# --- Celery queues (docs/operations.md) -------------------------------------------------
# Exam-critical work (auto-submit of overdue attempts, anything in exams/tasks.py, the worker
# heartbeat) on "exams"; analytics (statistics, recompute, calibration, equating) on
# "analytics". Production runs one worker per queue so a recompute never delays an
# auto-submit; tests/services/test_celery_queues.py checks that every task has a route.
CELERY_TASK_ROUTES = {
    "exams.tasks.sitting_prepare_task": {"queue": "exams"},
    "exams.tasks.*": {"queue": "exams"},
    "core.tasks.*": {"queue": "exams"},
    "analytics.tasks.*": {"queue": "analytics"},
    "study.tasks.*": {"queue": "analytics"},
    # LTI grade passback: network calls to an LMS, retried with backoff; never on "exams".
    "lti.tasks.*": {"queue": "analytics"},
}

# --- LTI 1.3 tool (docs/integrations-lti.md) ----------------------------------------------
# Grade passback retries (network errors, 5xx): backoff doubles from the first delay up to
# the cap; after the last retry the passback is marked failed (audited) and can be resent.
LTI_PASSBACK_MAX_RETRIES = env.int("LTI_PASSBACK_MAX_RETRIES", default=5)
LTI_PASSBACK_BACKOFF_SECONDS = env.int("LTI_PASSBACK_BACKOFF_SECONDS", default=30)
LTI_PASSBACK_BACKOFF_MAX_SECONDS = 600
# How long a launch's data (pylti1p3's DjangoCacheDataStorage) and a used nonce are kept.
LTI_LAUNCH_DATA_SECONDS = 2 * 3600
# Every request to a platform (keyset, token, grades, roster) gives up after this long.
LTI_HTTP_TIMEOUT_SECONDS = env.int("LTI_HTTP_TIMEOUT_SECONDS", default=10)
# Platform URLs must be https; plain http is accepted for localhost / 127.0.0.1 only, and
# only when this is on (DEBUG, the tests' local platform).
LTI_ALLOW_LOCAL_HTTP = env.bool("LTI_ALLOW_LOCAL_HTTP", default=DEBUG)

# --- Metrics (/metrics for Prometheus; docs/operations.md) --------------------------------
# Off (404) unless a bearer token or operator addresses are set. Addresses are single IPs or
# networks (10.0.0.0/8), matched against the client address core.client_ip reads.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
# Views whose 4xx/5xx answers count as autosave errors (dva_autosave_errors_total).
METRICS_AUTOSAVE_VIEWS = ["exams:answer"]
# Gauges read when Prometheus scrapes: name -> (help text, dotted path of a no-argument callable).
METRICS_GAUGES = {
    "dva_open_attempts": ("Attempts in progress.", "config.metrics.open_attempts"),
}

# --- Request logs -----------------------------------------------------------------------
# core.request_log.RequestLogMiddleware writes one JSON line per request on this logger.
LOGGING["formatters"] = {
    "plain": {
        "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
    },
    "json_line": {"format": "%(message)s"},
}
LOGGING["filters"] = {"request_id": {"()": "core.request_log.RequestIdFilter"}}
LOGGING["handlers"] = {
    "console": {
        "class": "logging.StreamHandler",
        "formatter": "plain",
        "filters": ["request_id"],
    },
    "requests": {"class": "logging.StreamHandler", "formatter": "json_line"},
}
LOGGING["loggers"]["dva.requests"] = {
    "handlers": ["requests"],
    "level": "INFO",
    "propagate": False,
}
