"""Settings shared by every mode, configured from the environment.

Two ways to run, one code path (DESIGN.md §3):

* embedded default: no ``DATABASE_URL``/``REDIS_URL``; SQLite under ``var/``, in-memory channel
  layer, Celery on its in-memory broker with a worker thread inside the server process;
* server mode: ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` set; channels-redis, Redis broker,
  separate ``celery worker`` and ``celery beat`` processes.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("TOS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable (1/true/yes/on)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated environment variable."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "channels",
    "tos.core",
    "tos.web",
    "berthing",
    "yard",
    "stowage",
    "gate",
    "customs",
    "operations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "tos.urls"
WSGI_APPLICATION = "tos.wsgi.application"
ASGI_APPLICATION = "tos.asgi.application"

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
                "tos.web.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "tos.sqlite3",
            "OPTIONS": {
                # The embedded worker thread and the server write concurrently: take the write
                # lock at BEGIN and wait for it rather than failing with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Bad input answers 4xx, never a 500: bodies above this size answer 413 (payload_too_large).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("TOS_MAX_BODY_BYTES", 5 * 1024 * 1024))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "tos.core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tos.core.api.errors.exception_handler",
    "NON_FIELD_ERRORS_KEY": "non_field_errors",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_THROTTLE_RATES": {"auth": os.environ.get("TOS_AUTH_RATE", "30/min")},
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "TOS API",
    "DESCRIPTION": (
        "Container Terminal Operating System. Token auth (`Authorization: Token <key>` from "
        "`POST /api/v1/auth/token/`) or session auth. Errors share one shape "
        '`{"code", "message", "details"}`. State-changing POSTs honour `Idempotency-Key`.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from drf-spectacular-sidecar's bundled files: the API docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "HoldKindEnum": "tos.core.choices.HoldKind",
        "OrganisationKindEnum": "tos.core.choices.OrganisationKind",
        "UnitStateEnum": "tos.core.choices.UnitState",
        "PositionKindEnum": "tos.core.choices.PositionKind",
        "SolverRunStatusEnum": "tos.core.choices.SolverRunStatus",
        "BerthPlanStatusEnum": "berthing.choices.BerthPlanStatus",
        "BerthPlanSourceEnum": "berthing.choices.BerthPlanSource",
        "BlockKindEnum": "yard.choices.BlockKind",
        "MoveKindEnum": "yard.choices.MoveKind",
        "RelocationKindEnum": [("brp", "brp"), ("premarshalling", "premarshalling")],
        "WorkOrderKindEnum": "operations.choices.WorkOrderKind",
        "WorkOrderStatusEnum": "operations.choices.WorkOrderStatus",
        "EquipmentKindEnum": "operations.choices.EquipmentKind",
        "EquipmentStateEnum": "operations.choices.EquipmentState",
        "ProblemKindEnum": "operations.choices.ProblemKind",
        "DeclarationKindEnum": "customs.choices.DeclarationKind",
        "DeclarationStatusEnum": "customs.choices.DeclarationStatus",
        "SensorKindEnum": "customs.choices.SensorKind",
        "DecisionActionEnum": "customs.choices.DecisionAction",
        "DecidedByEnum": "gate.choices.DecidedBy",
    },
}

# --- Redis, Channels, Celery ------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 reads with a 5 s socket timeout, exactly channels-redis's blocking pop:
            # idle sockets would crash (django/channels_redis#422). Give the read more time.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                "capacity": 1000,
                "expiry": 30,
            },
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {"polling_interval": 0.1}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

#: True when Celery runs on its in-memory broker, so the server process must host the worker.
CELERY_EMBEDDED = CELERY_BROKER_URL.startswith("memory://")

CELERY_RESULT_BACKEND = None  # results live in SolverRun rows, not in Celery
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = False  # enabled per idempotent task
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Above the longest solver time limit, or Redis redelivers a run that is still solving.
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 3600}
CELERY_TASK_ROUTES = {"*.solve*": {"queue": "solvers"}}
CELERY_BEAT_SCHEDULE = {
    "prune-idempotency-records": {
        "task": "core.idempotency_prune",
        "schedule": 3600.0,
    },
    "reap-stale-solver-runs": {
        "task": "core.solver_runs_reap",
        "schedule": 60.0,
    },
    "gate-mark-no-shows": {
        "task": "gate.appointments_mark_no_shows",
        "schedule": 300.0,
    },
}

# --- TOS --------------------------------------------------------------------------------------
TOS_IDEMPOTENCY_TTL_HOURS = 24
TOS_WS_HEARTBEAT_SECONDS = int(os.environ.get("TOS_WS_HEARTBEAT_SECONDS", 15))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("TOS_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
    },
}
#: CP-SAT search workers per solver job; a solver worker process should get this many cores.
TOS_SOLVER_WORKERS = int(os.environ.get("TOS_SOLVER_WORKERS", 2))
