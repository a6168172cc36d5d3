"""Cartera settings, read from the environment (django-environ).

PostgreSQL is the only database. With nothing set, Cartera runs on the embedded PostgreSQL
that ``make run`` starts (scripts/embedded_db.py: a data directory and its Unix socket in
var/postgres/) and executes Celery tasks eagerly. Production, CI and the tests set
``DATABASE_URL`` and ``REDIS_URL``. ``SECRET_KEY`` has no default: it must be set whenever
``DEBUG`` is off.
"""

import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from csp.constants import NONCE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if DEBUG:
        # Development only: a fixed, obviously insecure key so that `make run` works.
        SECRET_KEY = "django-insecure-development-key-do-not-use-in-production"  # noqa: S105
    else:
        sys.exit(
            "Cartera: the SECRET_KEY environment variable must be set when DEBUG is off "
            '(generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))").'
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications -------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Third party
    "axes",
    "bootstrap",  # django-bootstrap-static: Bootstrap 5 files, served locally
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "template_partials",
    "csp",
    "simple_history",
    "pgtrigger",
    "rules.apps.AutodiscoverRulesConfig",
    # Cartera
    "brokerage.core",
    "brokerage.accounts",
    "brokerage.notifications",
    "workqueue",
    "clients",
    "policies",
    "renewals",
    "imports",
    "billing",
    "claims",
    "touches",
    "servicing",
    "reports",
    "phonenumber_field",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, with the idle timeout written at most once a minute (issue 18).
    "brokerage.accounts.sessions.IdleSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "brokerage.accounts.middleware.UserLanguageMiddleware",
    "brokerage.core.middleware.PrivateResponseMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # AxesMiddleware must be last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "brokerage.urls"
WSGI_APPLICATION = "brokerage.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "brokerage.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database, cache, sessions ------------------------------------------------------------

# The embedded server of `make run` (scripts/embedded_db.py): no TCP port, a Unix socket in
# var/postgres/, trust authentication for the local user "postgres".
EMBEDDED_DATABASE_DIR = BASE_DIR / "var" / "postgres"
database_url = env.str("DATABASE_URL", default="")  # lower case: not a setting (it has secrets)
if database_url:
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "cartera",
            "USER": "postgres",
            "HOST": str(EMBEDDED_DATABASE_DIR),
        }
    }
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    # One line, like the missing SECRET_KEY (the scheme only: the URL may hold a password).
    sys.exit(
        f"Cartera runs on PostgreSQL only: DATABASE_URL is {database_url.partition(':')[0]}://,"
        " not postgres:// (unset, it is the embedded PostgreSQL that `make run` starts)."
    )
# A PostgreSQL streaming replica for the dashboards, their exports and PDF (brokerage/db_routers):
# their read-only queries go there; everything else, and every write, to default.
database_replica_url = env.str("DATABASE_REPLICA_URL", default="")
if database_replica_url:
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("Cartera: DATABASE_REPLICA_URL must be a postgres:// URL (a replica of default).")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
for _alias in DATABASES:
    DATABASES[_alias]["ATOMIC_REQUESTS"] = False
    DATABASES[_alias]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES[_alias]["CONN_HEALTH_CHECKS"] = True
    # Behind pgbouncer in transaction mode, a cursor cannot outlive its transaction.
    DATABASES[_alias]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
        "DISABLE_SERVER_SIDE_CURSORS", default=False
    )
DATABASE_ROUTERS = ["brokerage.db_routers.ReportsReplicaRouter"]
REPORTS_DATABASE = "replica" if database_replica_url else "default"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cartera",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Idle timeout: the session expires after this many seconds without a request.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT", default=2 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True

# --- Accounts and authentication ----------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    # Django's ModelBackend, which also tells a deactivated user so (after the right password).
    "brokerage.accounts.backends.CarteraModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 24)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes): the fifth wrong password in a row locks the user name
# from that address for the cool-off time.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "brokerage.accounts.views.locked_out"
AXES_VERBOSE = False
# The client's address as the trusted proxy saw it (PROXY_COUNT, below), not REMOTE_ADDR,
# which behind a proxy is the proxy's for everyone.
AXES_CLIENT_IP_CALLABLE = "brokerage.core.client_ip.client_ip_address"

# --- Internationalisation -----------------------------------------------------------------

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# Our own number formats where Django's do not fit money (brokerage/formats/).
FORMAT_MODULE_PATH = ["brokerage.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
LANGUAGE_COOKIE_NAME = "cartera_language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365

# --- Static and media files ---------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# The currency the dashboards open in (each report sums one currency at a time).
CARTERA_CURRENCY = env("CARTERA_CURRENCY", default="MXN")

# chart.js is vendored in static/vendor/chartjs/ (no Node.js toolchain: see the README).
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploads (client documents, imported reports), generated PDFs and import key lists go through
# Django's storage API only. With several web or worker machines they must share one storage:
# MEDIA_STORAGE=s3 keeps them in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2...) through
# django-storages; the credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY in the environment, or the machine's role), never from settings.
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="filesystem")
if MEDIA_STORAGE == "s3":
    if not env.str("AWS_STORAGE_BUCKET_NAME", default=""):
        sys.exit("Cartera: MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME (the media bucket).")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "location": env.str("MEDIA_S3_PREFIX", default="media"),
            # Private files, downloaded only through Cartera's views (which check access).
            "default_acl": None,
            "querystring_auth": True,
            # Never replace a stored file by another of the same name: a new name instead.
            "file_overwrite": False,
            # A file read back (an imported report) spills to a temporary file past this size
            # instead of being held whole in memory.
            "max_memory_size": 5 * 1024 * 1024,
        },
    }
elif MEDIA_STORAGE != "filesystem":
    sys.exit(f"Cartera: MEDIA_STORAGE is {MEDIA_STORAGE!r}; it must be 'filesystem' or 's3'.")

# --- E-mail -------------------------------------------------------------------------------

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Cartera <cartera@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

# --- Notification outbox ------------------------------------------------------------------

NOTIFICATION_BACKENDS = {
    "email": env.str(
        "NOTIFICATION_EMAIL_BACKEND", default="brokerage.notifications.backends.EmailBackend"
    ),
    "sms": env.str(
        "NOTIFICATION_SMS_BACKEND", default="brokerage.notifications.backends.OutboxOnlyBackend"
    ),
    "whatsapp": env.str(
        "NOTIFICATION_WHATSAPP_BACKEND",
        default="brokerage.notifications.backends.OutboxOnlyBackend",
    ),
}
NOTIFICATION_WEBHOOK_URL = env.str("NOTIFICATION_WEBHOOK_URL", default="")
NOTIFICATION_WEBHOOK_TOKEN = env.str("NOTIFICATION_WEBHOOK_TOKEN", default="")
NOTIFICATION_WEBHOOK_TIMEOUT = env.float("NOTIFICATION_WEBHOOK_TIMEOUT", default=10.0)
# A message still queued after this many minutes is re-enqueued by the beat sweep.
NOTIFICATION_REQUEUE_AFTER_MINUTES = env.int("NOTIFICATION_REQUEUE_AFTER_MINUTES", default=10)

# --- Clients and policies ---------------------------------------------------------------

# Phones typed without a country code are read as numbers of this region.
PHONENUMBER_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="MX")
PHONENUMBER_DB_FORMAT = "E164"
# Amounts entered or imported without a currency are in this one (an insurer may set its own).
DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default="MXN")
PHONENUMBER_DEFAULT_FORMAT = "INTERNATIONAL"

# History rows are read per object (its id index), newest first among a handful: no history
# table is read by date across objects, so none keeps an index on its date (one index fewer
# written for every history row, and an import writes three per policy).
SIMPLE_HISTORY_DATE_INDEX = False
CLIENT_DOCUMENT_MAX_BYTES = env.int("CLIENT_DOCUMENT_MAX_MB", default=10) * 1024 * 1024
# A prospect who does not buy is followed up this many days later.
QUOTE_FOLLOW_UP_DAYS = env.int("QUOTE_FOLLOW_UP_DAYS", default=7)
# A prospect who was sent a quotation is called this many days later (unless a follow-up date
# is already set ahead).
QUOTE_SENT_FOLLOW_UP_DAYS = env.int("QUOTE_SENT_FOLLOW_UP_DAYS", default=3)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Renewals --------------------------------------------------------------------------

# The morning job (renewal touches, lapses) runs at this local hour.
MORNING_JOB_HOUR = env.int("MORNING_JOB_HOUR", default=6)
MORNING_JOB_MINUTE = env.int("MORNING_JOB_MINUTE", default=0)

# --- Imports -------------------------------------------------------------------------------

IMPORT_MAX_BYTES = env.int("IMPORT_MAX_MB", default=50) * 2**20
# An .xlsx is a zip: refuse one that would expand past this size or ratio (a zip bomb).
IMPORT_MAX_EXPANDED_BYTES = env.int("IMPORT_MAX_EXPANDED_MB", default=600) * 2**20
IMPORT_MAX_RATIO = env.int("IMPORT_MAX_RATIO", default=100)
# A workbook's sheet is loaded whole (python-calamine): one whose XML, with the shared strings,
# unpacks past this is refused before loading, which bounds an import's memory (CSV: no limit).
IMPORT_MAX_SHEET_BYTES = env.int("IMPORT_MAX_SHEET_MB", default=100) * 2**20

# --- Work queues -----------------------------------------------------------------------------

# An agent must log a result on every item by this local time on the day after it was handed
# out; one who has not gets no shared items in the next distribution.
WORK_RESULT_CUTOFF = env.str("WORK_RESULT_CUTOFF", default="17:00")
# Call-back windows proposed on the call list (local times).
CALLBACK_WINDOWS = [("09:30", "11:00"), ("15:30", "17:00")]
# The furthest ahead a call-back may be set (a call-back hides the item until then).
CALLBACK_MAX_DAYS = env.int("CALLBACK_MAX_DAYS", default=60)
# Points for a won renewal: a base plus this many per 1,000 of premium.
RENEWAL_POINTS_BASE = Decimal(env.str("RENEWAL_POINTS_BASE", default="10"))
RENEWAL_POINTS_PER_THOUSAND = Decimal(env.str("RENEWAL_POINTS_PER_THOUSAND", default="1"))

# --- Celery -------------------------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
# An import commit or dashboard print still queued after this many minutes (its task lost, or
# the broker down when it was asked for) is re-enqueued by a beat sweep.
TASK_REQUEUE_AFTER_MINUTES = env.int("TASK_REQUEUE_AFTER_MINUTES", default=10)

# --- Security -----------------------------------------------------------------------------

BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
# How many trusted proxies append to X-Forwarded-For: the client's address is that many
# entries from the right (brokerage.core.client_ip). 0 ignores the header.
PROXY_COUNT = env.int("PROXY_COUNT", default=1) if BEHIND_TLS_PROXY else 0
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

# --- Forms --------------------------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Logging ------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
