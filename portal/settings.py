"""Settings of the portal, read from the environment (12-factor).

Every setting a deployment may change is read here and documented in README.md ("Settings").
The defaults make `make run` work with nothing installed: SQLite in the project folder and Celery
tasks run in-process. Production sets DEBUG=false and a real SECRET_KEY; `manage.py check
--deploy` then passes with no warnings (see portal/checks.py for the checks we add).
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env file is convenient for developers; the environment always wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# The development key is public on purpose: portal.checks refuses it under `check --deploy`.
DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_htmx",
    "axes",
    "portal",
    "projects",
    "reporting",
    "preliminary",
    "design",
    "dashboard",
]

MIDDLEWARE = [
    # First: answers /healthz for any Host header and over plain HTTP (see its docstring).
    "portal.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The portal's 404 page also under DEBUG; inside CommonMiddleware, which still adds a slash.
    "portal.middleware.PortalNotFoundMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
ADMIN_URL = env.str("ADMIN_URL", default="admin/")
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
            ],
        },
    },
]
# Forms render each field with its label, help and errors next to it (templates/portal/forms/).
FORM_RENDERER = "portal.forms.PortalFormRenderer"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# The cockpit's reads (page, API, wall display) go through the `replica` alias: a read replica
# when DATABASE_REPLICA_URL is set, else the primary's own settings (tests, SQLite). Its tests use
# the primary's test database (MIRROR). Rollups always write to the primary (dashboard/db.py).
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
DATABASES["replica"] = (
    {**env.db_url_config(DATABASE_REPLICA_URL), "CONN_HEALTH_CHECKS": True,
     "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"]}
    if DATABASE_REPLICA_URL else {**DATABASES["default"]}
)  # fmt: skip
DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "portal.backends.PortalBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0) or None

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
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
    # Attachments (portal.files): never served by a public URL (no MEDIA_URL route); only
    # files:download streams one, to those who may see its record. A folder under MEDIA_ROOT by
    # default (docker-compose mounts the `media` volume there); any S3-compatible store (MinIO,
    # Aliyun OSS, Tencent COS, AWS) when PORTAL_ATTACHMENTS_S3_BUCKET is set. Decision 0029.
    "attachments": {
        "BACKEND": "portal.files.PrivateStorage",
        "OPTIONS": {"location": Path(str(MEDIA_ROOT)) / "attachments"},
    },
}
if env.str("PORTAL_ATTACHMENTS_S3_BUCKET", default=""):
    STORAGES["attachments"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("PORTAL_ATTACHMENTS_S3_BUCKET"),
            # Empty: AWS itself; else the store's address, e.g. http://minio:9000.
            "endpoint_url": env.str("PORTAL_ATTACHMENTS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("PORTAL_ATTACHMENTS_S3_REGION", default="") or None,
            # Empty keys: boto3's own chain (AWS_ACCESS_KEY_ID..., an instance role).
            "access_key": env.str("PORTAL_ATTACHMENTS_S3_ACCESS_KEY", default="") or None,
            "secret_key": env.str("PORTAL_ATTACHMENTS_S3_SECRET_KEY", default="") or None,
            "location": env.str("PORTAL_ATTACHMENTS_S3_PREFIX", default="attachments"),
            # "path" for MinIO and most self-hosted stores; empty: boto3 decides.
            "addressing_style": env.str("PORTAL_ATTACHMENTS_S3_ADDRESSING", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

# Upload limits: requests and in-memory files stay small; Excel batches are checked again by size.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# File parts: portal.files.UploadLimitHandler comes first and refuses what passes
# PORTAL["UPLOAD_MAX_BYTES"] (a body above UPLOAD_MAX_REQUEST_BYTES is not even read).
FILE_UPLOAD_HANDLERS = [
    "portal.files.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Security. Production defaults; a plain-HTTP deployment (docker-compose on localhost) turns the
# HTTPS-only ones off through the environment.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# The load balancer probes /healthz over plain HTTP (HealthCheckMiddleware answers it first).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
# Sessions in the database, read through the cache: no query per request once cached.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="pmc-portal@localhost")

# Cache: Redis when REDIS_URL is set (shared between processes), else local memory.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Django's Redis backend with one redis-py client per pool (portal/cache.py says why).
    CACHES = {"default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery. Without REDIS_URL tasks run in-process (eagerly), so the demo needs nothing installed.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or None) or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged when it ends, not when it starts: a worker killed half way (kill -9, the
# OOM killer, a lost machine) leaves its message unacknowledged, and the task runs again. A child
# process lost under a live worker is requeued at once (reject on worker lost); a whole worker lost
# is noticed by the broker after the visibility timeout.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Redis hands an unacknowledged message to another worker after this long (kombu's default is an
# hour). It must be longer than any task runs and any countdown a worker holds a message for, or
# a task still running (or waiting for its countdown) runs twice: a full rollup takes seconds at
# group scale (bench/: 3.5 s, 8.5 s into empty tables), reporting's retries wait at most 8
# minutes (30 s doubling, 5 retries). Ten minutes fits both. The queued incremental rollups do
# not wait for it: the beat sweep (dashboard.services.sweep) brings them back within a minute.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
}
# The queue tasks are sent to; tests/celery_worker.py gives each test worker a queue of its own.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE: dict = {}  # filled in portal/celery.py from the apps' schedules

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an unauthenticated call gets 401 with a WWW-Authenticate header.
        # DRF's, with the token's user from the cache (portal/backends.py).
        "portal.backends.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "portal.api_backends.StrictOrderingFilter",  # unknown `ordering` fields: 400
    ],
    "DEFAULT_PAGINATION_CLASS": "portal.api.PortalPagination",
    "PAGE_SIZE": 50,
    # JSON bodies only: one request body type per write in the schema, so that a generated
    # client has one way to call it. (The token endpoint keeps DRF's form parsers as well.)
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # Adds every operation's error answers (400/401/403/404/429) to the schema.
    "DEFAULT_SCHEMA_CLASS": "portal.api_schema.PortalAutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["portal.throttles.AnonThrottle", "portal.throttles.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="600/minute"),
        # POST /api/v1/auth/token/, per address: slows password and username guessing.
        "token": env.str("API_THROTTLE_TOKEN", default="10/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PMC Portal API",
    "DESCRIPTION": "项目管理中心门户 REST API. Session or token authentication "
    "(`Authorization: Token <key>`); every list is scoped to what the caller may see.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge from the online validator (validator.swagger.io): nothing loads from outside.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    # Redoc's own fonts come from Google Fonts: the system's instead (templates/drf_spectacular/
    # redoc.html drops the links), so that nothing loads from a CDN.
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": "system-ui, -apple-system, 'Segoe UI', 'PingFang SC', "
                "'Microsoft YaHei', sans-serif",
                "headings": {"fontFamily": "inherit"},
            }
        }
    },
    "COMPONENT_SPLIT_REQUEST": True,
    # Request bodies are documented as JSON only, also where a view parses forms too (the
    # token endpoint): a client generator offered several body types per write breaks.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # Several models have a `status` field with different choices: name each enum once.
    "ENUM_NAME_OVERRIDES": {
        "ReportStatusEnum": "reporting.choices.ReportStatus",
        "ItemStatusEnum": "reporting.choices.ItemStatus",
        "CoordinationStatusEnum": "reporting.choices.CoordinationStatus",
        "DesignChangeKindEnum": "design.choices.ChangeKind",
        "DesignChangeStatusEnum": "design.choices.ChangeStatus",
        "PermitStatusEnum": "preliminary.choices.PermitStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Business numbers the portal uses in more than one place live in one place: here, overridable
# from the environment. Amounts are yuan. The function apps' legal and house thresholds (the
# approval path by size, the design-change tiers) are edited by administrators instead: each
# app's one row of `portal.thresholds.Thresholds` (Permit rules, Design rules in the admin).
PORTAL = {
    "LIST_PAGE_SIZE": env.int("PORTAL_LIST_PAGE_SIZE", default=25),
    # Progress reporting (DOMAIN.md section 5): due dates, reminders, Excel batches.
    "REPORT_DUE_DAYS_MONTH": env.int("PORTAL_REPORT_DUE_DAYS_MONTH", default=5),
    "REPORT_DUE_DAYS_TEN_DAY": env.int("PORTAL_REPORT_DUE_DAYS_TEN_DAY", default=2),
    "REMIND_DAYS_BEFORE_DUE": env.int("PORTAL_REMIND_DAYS_BEFORE_DUE", default=3),
    "REMIND_REVIEW_AFTER_DAYS": env.int("PORTAL_REMIND_REVIEW_AFTER_DAYS", default=2),
    "BASE_URL": env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000"),
    # Excel uploads of every app (portal.excel): the file's size, what it may unpack to in all
    # and in any one part (a zip bomb is refused before it is unpacked; raise these with
    # EXCEL_MAX_BYTES), and the data rows and columns read.
    "EXCEL_MAX_BYTES": env.int("PORTAL_EXCEL_MAX_BYTES", default=2 * 1024 * 1024),
    "EXCEL_MAX_UNZIPPED_BYTES": env.int("PORTAL_EXCEL_MAX_UNZIPPED_BYTES", default=24 * 2**20),
    "EXCEL_MAX_PART_BYTES": env.int("PORTAL_EXCEL_MAX_PART_BYTES", default=12 * 2**20),
    "EXCEL_MAX_ROWS": env.int("PORTAL_EXCEL_MAX_ROWS", default=2000),
    "EXCEL_MAX_COLUMNS": env.int("PORTAL_EXCEL_MAX_COLUMNS", default=30),
    # Free text (an explanation, a next step, a remark): the most characters a form, the API
    # and an Excel cell may carry (portal.limits).
    "TEXT_MAX_LENGTH": env.int("PORTAL_TEXT_MAX_LENGTH", default=5000),
    "EXPORT_MAX_ROWS": env.int("PORTAL_EXPORT_MAX_ROWS", default=50_000),
    # Attachments (portal.files): the most bytes one file may have, and the longest request
    # body with a file that is read at all (the file plus its form's fields; one file a request).
    "UPLOAD_MAX_BYTES": env.int("PORTAL_UPLOAD_MAX_BYTES", default=20 * 2**20),
    "UPLOAD_MAX_REQUEST_BYTES": env.int("PORTAL_UPLOAD_MAX_REQUEST_BYTES", default=0) or None,
    # The cockpit's red/amber/green rules (DOMAIN.md section 5), every limit in this one place;
    # dashboard/rules.py reads them. Points are percentage points; days are calendar days.
    "RAG": {
        # Investment: completion rate behind the time-elapsed plan (序时进度) by ...
        "INVESTMENT_LAG_AMBER": env.float("PORTAL_RAG_INVESTMENT_LAG_AMBER", default=10),
        "INVESTMENT_LAG_RED": env.float("PORTAL_RAG_INVESTMENT_LAG_RED", default=30),
        # Start date missed: amber at once, red once this many months have passed.
        "START_MISSED_RED_MONTHS": env.int("PORTAL_RAG_START_MISSED_RED_MONTHS", default=3),
        # Milestones: up to 7 days late amber, 7-15 orange, 15 or more red.
        "MILESTONE_ORANGE_DAYS": env.int("PORTAL_RAG_MILESTONE_ORANGE_DAYS", default=7),
        "MILESTONE_RED_DAYS": env.int("PORTAL_RAG_MILESTONE_RED_DAYS", default=15),
        # A progress form past its due date: amber, red from this many days.
        "REPORT_LATE_RED_DAYS": env.int("PORTAL_RAG_REPORT_LATE_RED_DAYS", default=15),
        # Days after its due date before a form still with the company counts as late (its
        # days are still counted from the due date). None by default: the due date already
        # gives the companies REPORT_DUE_DAYS_* after the period.
        "REPORT_GRACE_DAYS": env.int("PORTAL_RAG_REPORT_GRACE_DAYS", default=0),
        # A permit past its promised date: amber, red from this many days.
        "PERMIT_OVERDUE_RED_DAYS": env.int("PORTAL_RAG_PERMIT_OVERDUE_RED_DAYS", default=30),
        # A critical site finding past its rectification deadline: red from this many days.
        "FINDING_OVERDUE_RED_DAYS": env.int("PORTAL_RAG_FINDING_OVERDUE_RED_DAYS", default=1),
        # Contract paid % ahead of physical progress % by this many points.
        "PAYMENT_AHEAD_AMBER": env.float("PORTAL_RAG_PAYMENT_AHEAD_AMBER", default=10),
        "PAYMENT_AHEAD_RED": env.float("PORTAL_RAG_PAYMENT_AHEAD_RED", default=20),
    },
    # Rollups: seconds an incremental job waits to gather a burst of changes into one run;
    # a run still "running" after this many minutes was cut off (worker killed) and shows as
    # failed to administrators.
    "ROLLUP_COALESCE_SECONDS": env.int("PORTAL_ROLLUP_COALESCE_SECONDS", default=2),
    "ROLLUP_STALE_MINUTES": env.int("PORTAL_ROLLUP_STALE_MINUTES", default=30),
    "COCKPIT_RED_LIST": env.int("PORTAL_COCKPIT_RED_LIST", default=30),
    "COCKPIT_MAP_POINTS": env.int("PORTAL_COCKPIT_MAP_POINTS", default=500),
    # The database alias the cockpit reads: `replica` once DATABASE_REPLICA_URL names one.
    "COCKPIT_DATABASE": "replica" if DATABASE_REPLICA_URL else "default",
    # The outlines drawn under the cockpit's map: a GeoJSON of static files (district polygons
    # with a "name", and lines such as a river); the demo city's by default, drawn by
    # scripts/make_demo_districts.py. Empty for none.
    "MAP_OUTLINES": env.str("PORTAL_MAP_OUTLINES", default="dashboard/demo-city-districts.geojson"),
}
