"""Settings for the PARS Portal, read from the environment.

Every variable has a local default that needs no server (SQLite, local files, a filesystem
broker, console email) except SECRET_KEY, which is required once DEBUG is off.
See `.env.example` for the full list.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from activities.schedule import ACTIVITY_BEAT_SCHEDULE
from emails.schedule import EMAIL_BEAT_SCHEDULE
from portal.brokerconf import broker_transport, embedded_broker_url
from uploads.schedule import UPLOAD_BEAT_SCHEDULE
from webservices.schedule import WEBSERVICES_BEAT_SCHEDULE

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
# The local database, the embedded broker, media files: created on first use.
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    # Empty means unset, as `NAME=` in .env.example does: never a silent "off" for security.
    value = os.environ.get(name, "")
    if value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from exc


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off")
    SECRET_KEY = "insecure-local-development-key-only-for-debug-mode"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# Links in emails; `runportal` sets it to the address it serves when it is not set here.
SITE_URL = (env("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")
# A sandbox install holds the demo accounts (with published passwords) and fictitious physicians:
# `make run` (DEBUG on) is one; production is not, unless it says so.
SANDBOX = env_bool("SANDBOX", DEBUG)

INSTALLED_APPS = [
    # `runserver` leaves static files to WhiteNoise too, so `make run` serves them as production does.
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "portal",
    "activities",
    "learners",
    "uploads",
    "webservices",
    "emails",
    "sandbox",
]

MIDDLEWARE = [
    "portal.middleware.ContentLengthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files straight after the HTTPS redirect, before sessions or anything else runs.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.middleware.BrandedNotFoundMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.access.provider_context",
                "sandbox.context.sandbox_links",
            ],
        },
    },
]

# Database: DATABASE_URL, or a SQLite file under var/ for a laptop run.
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file (not memory) so that a worker process sees what the tests wrote; a busy timeout
    # so the web process and the worker wait for each other instead of failing.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-portal.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Page queries are short: compiling one the planner costs high (a count over a big
    # provider's records) took PostgreSQL's JIT ~80 ms, longer than running it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "America/Chicago")
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"

# Storage: the local filesystem by default, any S3-compatible store with STORAGE_BACKEND=s3.
STORAGE_BACKEND = env("STORAGE_BACKEND", "filesystem")
if STORAGE_BACKEND == "s3":
    _default_storage: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env("AWS_S3_REGION_NAME") or None,
            "access_key": env("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY") or None,
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
    if not env("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("AWS_STORAGE_BUCKET_NAME is required when STORAGE_BACKEND=s3")
elif STORAGE_BACKEND == "filesystem":
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise ImproperlyConfigured("STORAGE_BACKEND must be 'filesystem' or 's3'")
STORAGES = {
    "default": _default_storage,
    # The application serves its own static files (WhiteNoise), so the stack needs no proxy:
    # `collectstatic` writes content-hashed, compressed copies that are cached for a year.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Email: the console locally; SMTP when EMAIL_HOST is set.
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "PARS Portal <pars-support@localhost>")
# Tries of one email while the mail server fails (growing delays, about 2 hours in all).
EMAIL_MAX_ATTEMPTS = env_int("EMAIL_MAX_ATTEMPTS", 10)

# Celery: Redis in production and CI. Without it, the embedded broker: a SQLite file under var/
# that needs no server (portal/broker.py). Both deliver tasks to separate worker processes.
CELERY_BROKER_URL = (
    env("CELERY_BROKER_URL") or env("REDIS_URL") or embedded_broker_url(VAR_DIR)
)  # empty is unset
CELERY_BROKER_TRANSPORT, CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport(
    CELERY_BROKER_URL, visibility_timeout=env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Seconds a send may wait for the broker: an unreachable broker must not hold a web request.
CELERY_BROKER_CONNECTION_TIMEOUT = float(env("CELERY_BROKER_CONNECTION_TIMEOUT", "4"))
CELERY_TIMEZONE = TIME_ZONE
# Asked to stop (SIGTERM, with REMAP_SIGTERM=SIGQUIT in the worker's environment), the worker
# lets a running task finish for this many seconds, then hands it back to the broker and exits.
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = float(env("WORKER_STOP_GRACE", "3"))
# Connections the nightly board cycle answers with at once (threads of its task), on PostgreSQL:
# about twice the database server's cores, since each waits on WAL writes as much as it computes.
BOARD_CYCLE_WORKERS = env_int("BOARD_CYCLE_WORKERS", 4)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "purge-auth-failures": {"task": "portal.purge_auth_failures", "schedule": timedelta(hours=1)},
    "board-cycle-nightly": {"task": "learners.board_cycle", "schedule": crontab(hour=2, minute=0)},
}
CELERY_BEAT_SCHEDULE.update(UPLOAD_BEAT_SCHEDULE)
CELERY_BEAT_SCHEDULE.update(ACTIVITY_BEAT_SCHEDULE)
CELERY_BEAT_SCHEDULE.update(EMAIL_BEAT_SCHEDULE)
CELERY_BEAT_SCHEDULE.update(WEBSERVICES_BEAT_SCHEDULE)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Uploads: PARS's record cap, our byte cap. A worker processing an upload beats every few
# seconds; a claim whose beat is older than UPLOAD_STALE_AFTER is dead, and the recovery sweep
# (every 10 s, uploads/schedule.py) queues it again, up to UPLOAD_MAX_ATTEMPTS runs.
UPLOAD_MAX_RECORDS = 2500
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
# Text files up to this size are read in the request (a typical 2,500-row .txt fits), so their
# problems are answered at once; larger ones, and every .xlsx, are read by the worker: reading
# costs up to ~35 times a file's size, and a web process serves several uploads at once.
UPLOAD_INLINE_READ_BYTES = env_int("UPLOAD_INLINE_READ_BYTES", 256 * 1024)
UPLOAD_HEARTBEAT_SECONDS = float(env("UPLOAD_HEARTBEAT_SECONDS", "5"))
UPLOAD_STALE_AFTER = timedelta(seconds=env_int("UPLOAD_STALE_SECONDS", 30))
UPLOAD_MAX_ATTEMPTS = env_int("UPLOAD_MAX_ATTEMPTS", 3)
UPLOAD_RETENTION = timedelta(days=30)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 12 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)

# Production security: behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# Learner files hold personal data: readable by the portal's own user and group only.
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

# Web services: every call is written to the request log (kept 30 days) unless this is off.
WEBSERVICE_REQUEST_LOG = env_bool("WEBSERVICE_REQUEST_LOG", True)

# Throttling of failed logins (per account and address) and web-service credentials (per user
# name and per address); a login address alone gets a larger budget (many staff behind one NAT).
THROTTLE_MAX_FAILURES = env_int("THROTTLE_MAX_FAILURES", 10)
THROTTLE_MAX_FAILURES_PER_ADDRESS = env_int("THROTTLE_MAX_FAILURES_PER_ADDRESS", 100)
THROTTLE_WINDOW = timedelta(minutes=env_int("THROTTLE_WINDOW_MINUTES", 15))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
