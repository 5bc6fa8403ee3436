"""gridgov settings, driven by the environment.

Without any variables you get the embedded default: SQLite under ./var, eager Celery, local memory cache.
Production sets DATABASE_URL, REDIS_URL, SECRET_KEY and GRIDGOV_PII_KEY (see docs/deploy.md).
"""

import base64
import hashlib
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("GRIDGOV_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("GRIDGOV_DEBUG", default=False)
_DEV_SECRET = "gridgov-embedded-development-key-not-for-production"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET)
ALLOWED_HOSTS = [
    h for h in os.environ.get("GRIDGOV_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("GRIDGOV_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "gridgov.core",
    "gridgov.accounts",
    "gridgov.areas",
    "gridgov.people",
    "gridgov.party",
    "gridgov.workforce",
    "gridgov.facilities",
    "gridgov.points",
    "gridgov.property",
    "gridgov.events",
    "gridgov.emergency",
    "gridgov.datahub",
    "gridgov.reports",
    "gridgov.demo",
    "gridgov.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "gridgov.core.middleware.SecurityHeadersMiddleware",  # CSP: the platform's own files only
    "gridgov.core.uploads.RequestSizeMiddleware",  # 413 before anything reads an oversized body
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gridgov.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): a two-step code was entered
    "gridgov.accounts.middleware.TwoFactorMiddleware",  # a password alone is half a login where a code is owed
    "gridgov.core.middleware.RequestContextMiddleware",
    # a database gone mid-request is a 503 that says nothing was kept, not a 500
    "gridgov.core.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "gridgov.urls"
WSGI_APPLICATION = "gridgov.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gridgov.web.context_processors.navigation",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
_default_db = f"sqlite:///{VAR_DIR / 'gridgov.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while the generator or an import writes; IMMEDIATE avoids
    # "database is locked" upgrades inside write transactions.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and jobs ---------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# A task whose worker process dies mid-job (killed, out of memory) goes back on the queue instead of being
# acknowledged as failed; a worker that dies whole leaves it unacknowledged, and Redis hands it out again
# after the visibility timeout. The tasks are written to run again: a job counts its attempts and starts its
# bar from 0, and a job already done does nothing (core.models.Job.begin_attempt).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("GRIDGOV_TASK_REDELIVERY_SECONDS", "3600")),
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Shanghai"

# --- auth -------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["gridgov.accounts.backends.RoleLockoutBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"
GRIDGOV_LOCKOUT_THRESHOLD = int(os.environ.get("GRIDGOV_LOCKOUT_THRESHOLD", "5"))
GRIDGOV_LOCKOUT_MINUTES = int(os.environ.get("GRIDGOV_LOCKOUT_MINUTES", "15"))
# Two-step login with an authenticator app (accounts/twofactor.py): optional for every login, required for
# these roles (comma-separated role codes, e.g. "city_admin,district"; empty: required for none).
GRIDGOV_OTP_REQUIRED_ROLES = tuple(
    r.strip() for r in os.environ.get("GRIDGOV_OTP_REQUIRED_ROLES", "").split(",") if r.strip()
)
OTP_TOTP_ISSUER = os.environ.get("GRIDGOV_OTP_ISSUER", "智慧村居管理平台")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("GRIDGOV_SECURE_COOKIES")
CSRF_COOKIE_SECURE = env_bool("GRIDGOV_SECURE_COOKIES")
# Behind HTTPS (docs/deploy.md): HSTS for a year, and the proxy's X-Forwarded-Proto tells Django the
# request was secure. Both only when the deployment says it runs behind TLS.
if env_bool("GRIDGOV_SECURE_COOKIES"):
    SECURE_HSTS_SECONDS = int(os.environ.get("GRIDGOV_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("GRIDGOV_HSTS_SUBDOMAINS")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("GRIDGOV_SSL_REDIRECT", default=True)
SESSION_COOKIE_AGE = int(os.environ.get("GRIDGOV_SESSION_SECONDS", str(8 * 3600)))  # one working day
GRIDGOV_CSP = os.environ.get("GRIDGOV_CSP", "default")


# --- personal data ----------------------------------------------------------------------------------
# 32-byte AES-GCM key (base64) for ID-card and phone numbers, and a separate HMAC key for blind indexes.
# The embedded default derives both from SECRET_KEY so that a demo works out of the box.
def _derived_key(label: str) -> str:
    return base64.b64encode(hashlib.sha256(f"{label}:{SECRET_KEY}".encode()).digest()).decode()


GRIDGOV_PII_KEY = os.environ.get("GRIDGOV_PII_KEY", _derived_key("pii-encryption"))
# Key rotation (docs/hardening.md, "PII key rotation"): every key still needed to read, by version
# ("<version>:<base64 key>,…", 1–255), and the version new ciphertexts use (empty: the highest). Without
# GRIDGOV_PII_KEYS the single GRIDGOV_PII_KEY above is version 1.
GRIDGOV_PII_KEYS = os.environ.get("GRIDGOV_PII_KEYS", "")
GRIDGOV_PII_KEY_VERSION = os.environ.get("GRIDGOV_PII_KEY_VERSION", "")
GRIDGOV_PII_INDEX_KEY = os.environ.get("GRIDGOV_PII_INDEX_KEY", _derived_key("pii-blind-index"))
GRIDGOV_CITY_NAME = os.environ.get("GRIDGOV_CITY_NAME", "XX市")
GRIDGOV_IMPORT_MAX_BYTES = int(os.environ.get("GRIDGOV_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
GRIDGOV_SYNC_EXPORT_LIMIT = int(os.environ.get("GRIDGOV_SYNC_EXPORT_LIMIT", "20000"))
# --- limits on hostile input (docs/hardening.md) -------------------------------------------------------
# A JSON or form body (Django's own limit, which the API's JSON parser applies too) and a whole upload.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("GRIDGOV_BODY_MAX_BYTES", str(2_621_440)))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # larger uploads are spooled to a temporary file
GRIDGOV_UPLOAD_MAX_BYTES = int(os.environ.get("GRIDGOV_UPLOAD_MAX_BYTES", str(25 * 1024 * 1024)))
# An xlsx import: the zip's members and declared uncompressed size, then rows and columns read.
GRIDGOV_XLSX_MAX_MEMBERS = int(os.environ.get("GRIDGOV_XLSX_MAX_MEMBERS", "500"))
GRIDGOV_XLSX_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("GRIDGOV_XLSX_MAX_UNCOMPRESSED_BYTES", str(200 * 1024 * 1024))
)
GRIDGOV_IMPORT_MAX_ROWS = int(os.environ.get("GRIDGOV_IMPORT_MAX_ROWS", "50000"))
GRIDGOV_IMPORT_MAX_COLUMNS = int(os.environ.get("GRIDGOV_IMPORT_MAX_COLUMNS", "100"))
# A rejected import lists the errors of this many bad rows, then "另有 N 行错误未列出".
GRIDGOV_IMPORT_MAX_ERROR_ROWS = int(os.environ.get("GRIDGOV_IMPORT_MAX_ERROR_ROWS", "200"))
GRIDGOV_IMPORT_MAX_ERRORS = int(os.environ.get("GRIDGOV_IMPORT_MAX_ERRORS", "1000"))

# --- the 10-minute party-building life circle (facilities; docs/facilities.md) ---------------------
# 75 m/min walking speed: 10 minutes = 750 m along the walking network.
GRIDGOV_WALK_SPEED_M_PER_MIN = float(os.environ.get("GRIDGOV_WALK_SPEED_M_PER_MIN", "75"))
GRIDGOV_CIRCLE_MINUTES = float(os.environ.get("GRIDGOV_CIRCLE_MINUTES", "10"))
# Fallback without a network: straight-line distance times this factor.
GRIDGOV_DETOUR_FACTOR = float(os.environ.get("GRIDGOV_DETOUR_FACTOR", "1.3"))
# Network import: segment ends closer than this are one node; longer edges are split for snapping.
GRIDGOV_NETWORK_TOLERANCE_M = float(os.environ.get("GRIDGOV_NETWORK_TOLERANCE_M", "1.0"))
GRIDGOV_NETWORK_MAX_EDGE_M = float(os.environ.get("GRIDGOV_NETWORK_MAX_EDGE_M", "50"))
# Service-centre standard: floor area per 100 households (m²).
GRIDGOV_CENTRE_M2_PER_100_HOUSEHOLDS = float(os.environ.get("GRIDGOV_CENTRE_M2_PER_100_HOUSEHOLDS", "30"))
# Recompute the circle (a background task) after every facility or network change.
GRIDGOV_CIRCLE_AUTO_RECOMPUTE = env_bool("GRIDGOV_CIRCLE_AUTO_RECOMPUTE", default=True)
# "党员适量": a grid branch with fewer or more formal members than this is listed by the coverage check.
GRIDGOV_BRANCH_MIN_MEMBERS = int(os.environ.get("GRIDGOV_BRANCH_MIN_MEMBERS", "3"))
GRIDGOV_BRANCH_MAX_MEMBERS = int(os.environ.get("GRIDGOV_BRANCH_MAX_MEMBERS", "50"))

# --- events and red property (docs/events-property.md) ----------------------------------------------
GRIDGOV_EVENT_ATTACHMENT_MAX_BYTES = int(
    os.environ.get("GRIDGOV_EVENT_ATTACHMENT_MAX_BYTES", str(5 * 1024 * 1024))
)
# Working hours for SLA clocks: Monday–Friday, 8:30–17:30 local time (public holidays are not modelled).
GRIDGOV_EVENT_WORKDAY = (
    os.environ.get("GRIDGOV_EVENT_WORKDAY_START", "08:30"),
    os.environ.get("GRIDGOV_EVENT_WORKDAY_END", "17:30"),
)
# Duplicate suggestions at report time: same category within this distance and this many hours.
GRIDGOV_EVENT_DUPLICATE_METRES = float(os.environ.get("GRIDGOV_EVENT_DUPLICATE_METRES", "200"))
GRIDGOV_EVENT_DUPLICATE_HOURS = int(os.environ.get("GRIDGOV_EVENT_DUPLICATE_HOURS", "72"))
# Three-100% evaluation: companies listed at the bottom of each quarter, and the yearly elimination standard.
GRIDGOV_PROPERTY_BOTTOM_N = int(os.environ.get("GRIDGOV_PROPERTY_BOTTOM_N", "3"))
GRIDGOV_PROPERTY_ELIMINATION_STANDARD = float(os.environ.get("GRIDGOV_PROPERTY_ELIMINATION_STANDARD", "60"))
CELERY_BEAT_SCHEDULE = globals().get("CELERY_BEAT_SCHEDULE", {})
CELERY_BEAT_SCHEDULE["events.escalate_overdue"] = {"task": "events.escalate_overdue", "schedule": 600.0}
# Nightly at 02:10: post what event hooks still owe for the last N days (their retries gave up).
CELERY_BEAT_SCHEDULE["events.reconcile_hooks"] = {
    "task": "events.reconcile_hooks",
    "schedule": crontab(hour=2, minute=10),
    "kwargs": {"days": int(os.environ.get("GRIDGOV_EVENT_HOOK_RECONCILE_DAYS", "7"))},
}
# Every minute: seal the audit events older than the grace period into their day's hash chain (core.audit_chain).
CELERY_BEAT_SCHEDULE["core.seal_audit"] = {"task": "core.seal_audit", "schedule": 60.0}
# Every minute: send the tasks kept while the broker was down (core.tasks.enqueue).
CELERY_BEAT_SCHEDULE["core.flush_deferred"] = {"task": "core.flush_deferred", "schedule": 60.0}
# The data hub's watched import folder: one subfolder per source code, files moved to done/ or rejected/.
GRIDGOV_DATAHUB_INBOX = Path(os.environ.get("GRIDGOV_DATAHUB_INBOX", VAR_DIR / "datahub" / "inbox"))
GRIDGOV_DATAHUB_INBOX_SETTLE_SECONDS = float(os.environ.get("GRIDGOV_DATAHUB_INBOX_SETTLE_SECONDS", "5"))
CELERY_BEAT_SCHEDULE["datahub.process_inbox"] = {"task": "datahub.process_inbox", "schedule": 60.0}
# A run's new findings of these severities become verification work orders at once (comma-separated: high,
# medium, low; empty: a person dispatches every finding), at most this many a run (the rest wait in the list).
GRIDGOV_DATAHUB_AUTO_DISPATCH = tuple(
    s.strip() for s in os.environ.get("GRIDGOV_DATAHUB_AUTO_DISPATCH", "high").split(",") if s.strip()
)
GRIDGOV_DATAHUB_AUTO_DISPATCH_LIMIT = int(os.environ.get("GRIDGOV_DATAHUB_AUTO_DISPATCH_LIMIT", "2000"))

# --- i18n -------------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and media -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
GRIDGOV_SERVE_STATIC = env_bool("GRIDGOV_SERVE_STATIC", default=True)
MEDIA_ROOT = Path(os.environ.get("GRIDGOV_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- API --------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes unauthenticated API calls answer 401, not 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["gridgov.core.permissions.RolePermission"],
    # Filter choices over scoped models resolve in the requester's scope; numbers are bounded (core/api_fields).
    "DEFAULT_FILTER_BACKENDS": ["gridgov.core.api_fields.ScopedFilterBackend"],
    # A JSON body must be an object (`0` or `[]` is a 400) and at most DATA_UPLOAD_MAX_MEMORY_SIZE (413).
    "DEFAULT_PARSER_CLASSES": [
        "gridgov.core.uploads.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "gridgov.core.permissions.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "gridgov.core.api.exception_handler",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "gridgov API",
    "DESCRIPTION": _("党建引领基层治理平台 API:区域网格、居民、户籍、数据范围。"),
    "VERSION": "0.1.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for a choice set that several fields use (host_type, room_type).
    "ENUM_NAME_OVERRIDES": {
        "HostTypeEnum": "gridgov.facilities.models.HostType",
        "EventStateEnum": "gridgov.events.models.State",
        "EventSourceEnum": "gridgov.events.models.Source",
        "AssigneeKindEnum": "gridgov.events.models.AssigneeKind",
        "TransactionKindEnum": "gridgov.points.models.TxKind",
        "MerchantKindEnum": "gridgov.points.models.MerchantKind",
        "ActivityKindEnum": "gridgov.points.models.ActivityKind",
        "ParticipationStatusEnum": "gridgov.points.models.PartStatus",
        "EarnRoleEnum": "gridgov.points.models.EarnRole",
        "AwardCategoryEnum": "gridgov.points.models.AwardCategory",
        "OrgKindEnum": "gridgov.party.models.OrgKind",
        "OrgChangeKindEnum": "gridgov.party.models.ChangeKind",
        "LeaderKindEnum": "gridgov.party.models.LeaderKind",
        "DualServiceCategoryEnum": "gridgov.party.models.ServiceCategory",
        "PostCategoryEnum": "gridgov.workforce.models.PostCategory",
        "StaffSourceEnum": "gridgov.workforce.models.Source",
        "CertificateKindEnum": "gridgov.workforce.models.CertificateKind",
        "TrainingKindEnum": "gridgov.workforce.models.TrainingKind",
        "AreaLevelEnum": "gridgov.areas.models.Level",
        "SkillEnum": "gridgov.emergency.models.Skill",
        "ActivationLevelEnum": "gridgov.emergency.models.Activation.Level",
        "PropertyStandardEnum": "gridgov.property.models.STANDARDS",
        "CorrectionStatusEnum": "gridgov.people.models.CorrectionStatus",
        "DatahubBatchStatusEnum": "gridgov.datahub.models.BatchStatus",
        "DatahubRunStatusEnum": "gridgov.datahub.models.RunStatus",
        "DatahubFindingStatusEnum": "gridgov.datahub.models.FindingStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GRIDGOV_LOG_LEVEL", "WARNING")},
}

# --- points (一网三联、积分; docs/points.md) ---------------------------------------------------------
# Points earned in year Y expire at the end of year Y + GRIDGOV_POINTS_EXPIRY_YEARS.
GRIDGOV_POINTS_EXPIRY_YEARS = int(os.environ.get("GRIDGOV_POINTS_EXPIRY_YEARS", "1"))
GRIDGOV_POINTS_TOKEN_SECONDS = 300  # a resident's signed code is valid this long
GRIDGOV_POINTS_OTC_SECONDS = 600  # a 6-digit one-time code is valid this long
# Hot accounts (热点账户): merchant and pool accounts are created split into this many slots so that
# concurrent postings do not queue on one row; any account can be (re)split up to the maximum.
GRIDGOV_POINTS_HOT_SLOTS = int(os.environ.get("GRIDGOV_POINTS_HOT_SLOTS", "8"))
GRIDGOV_POINTS_MAX_SLOTS = 64
# Redemptions arriving together in one process share a transaction (points/posting.py), at most this many.
GRIDGOV_POINTS_BATCH_MAX = int(os.environ.get("GRIDGOV_POINTS_BATCH_MAX", "64"))
# …and up to this many batches of one process are in flight at once (one commits while one fills).
GRIDGOV_POINTS_BATCH_LEADERS = int(os.environ.get("GRIDGOV_POINTS_BATCH_LEADERS", "2"))
# Points the grid's full-time worker earns when a work order in their grid is closed (0: off).
GRIDGOV_POINTS_PER_CLOSED_EVENT = int(os.environ.get("GRIDGOV_POINTS_PER_CLOSED_EVENT", "2"))
# Points taken from the grid's full-time worker each time a work order in their grid is escalated
# (督办; a penalty of at most their balance, counted in full in the monthly score; 0: off).
GRIDGOV_POINTS_PER_ESCALATION = int(os.environ.get("GRIDGOV_POINTS_PER_ESCALATION", "5"))
# Expire unspent points that are due every night at 01:30 local time (CELERY_TIMEZONE).
CELERY_BEAT_SCHEDULE["points.expire_points"] = {
    "task": "points.expire_points",
    "schedule": crontab(hour=1, minute=30),
}
# Nightly at 01:50: post the points 双报到 service records still owe (points.dual_report.award_missing).
CELERY_BEAT_SCHEDULE["points.award_dual_services"] = {
    "task": "points.award_dual_services",
    "schedule": crontab(hour=1, minute=50),
}
# On the 1st at 03:00: close last month for every community (grid scores → staff points → performance pay).
CELERY_BEAT_SCHEDULE["points.close_months"] = {
    "task": "points.close_months",
    "schedule": crontab(day_of_month="1", hour=3, minute=0),
}
# Nightly at 04:00, after the jobs above: the indicator snapshots of every area, current and 12 months
# (docs/reports.md).
CELERY_BEAT_SCHEDULE["reports.refresh_snapshots"] = {
    "task": "reports.refresh_snapshots",
    "schedule": crontab(hour=4, minute=0),
}
# Every 5 minutes: the subtrees whose records were imported since (one refresh for a run of imports).
CELERY_BEAT_SCHEDULE["reports.refresh_requested"] = {"task": "reports.refresh_requested", "schedule": 300.0}
