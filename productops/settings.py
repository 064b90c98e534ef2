"""Settings for productops, driven by environment variables (Configuration, see docs/operations.md).

The embedded default needs no server: SQLite in the project folder and Celery
tasks run in-process. `DJANGO_ENV=production` turns on hardening and requires
`SECRET_KEY`.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from whitenoise.compress import Compressor

from productops.cron import crontab_from

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("DJANGO_ENV", "").lower() == "production"
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production")
    # Development only: a fixed, clearly-marked key so sessions survive restarts.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

# The TLS proxy / load balancer in front (addresses or networks). Only requests from these
# peers may set X-Forwarded-Proto / X-Forwarded-For; from anyone else the headers are dropped.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "127.0.0.1,::1")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")

INSTALLED_APPS = [
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
    "squads",
    "metrics",
    "dashboards",
    "audit",
    "sources",
    "bets",
    "reviews",
    "alerts",
]

MIDDLEWARE = [
    # First: forwarded headers from anyone but a trusted proxy are dropped before anything reads them.
    "core.proxies.TrustedProxyMiddleware",
    "productops.logging.RequestLogMiddleware",  # its duration covers the rest
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.middleware.AuditContextMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "productops.urls"
WSGI_APPLICATION = "productops.wsgi.application"

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
                "django.template.context_processors.csp",
                "dashboards.context_processors.nav",
                "sources.context_processors.nav",
                "productops.oidc.sso_context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Long-lived: each gunicorn thread keeps its connection. A new one costs the request that opens
        # it a fresh PostgreSQL backend whose catalog caches are cold (hundreds of ms for a page);
        # at 60 s every thread paid that each minute, a large share of requests on a quiet site.
        # Health checks replace a connection the server dropped before it is used.
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Every sign-in path goes through the lockout (audit.lockout): 5 failures per username / 15 min
# lock the username; 20 failures per client address / 15 min slow the address to one try per 10 s.
# squads.pm.SquadPMBackend: the user a squad's pm_email names has the PM's write permissions.
AUTHENTICATION_BACKENDS = ["audit.backends.LockoutModelBackend", "squads.pm.SquadPMBackend"]

# Single sign-on (OpenID Connect, productops.oidc): on when OIDC_RP_CLIENT_ID is set. The
# endpoints are the provider's (its /.well-known/openid-configuration lists them).
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
if OIDC_RP_CLIENT_ID:
    OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
    OIDC_OP_ISSUER = os.environ.get("OIDC_OP_ISSUER", "")
    OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
    OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
    OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
    OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
    _missing = [
        name
        for name in (
            "OIDC_RP_CLIENT_SECRET",
            "OIDC_OP_ISSUER",
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
        )
        if not globals()[name]
    ]
    if _missing:
        raise ImproperlyConfigured(f"OIDC_RP_CLIENT_ID is set, so these must be too: {', '.join(_missing)}")
    AUTHENTICATION_BACKENDS.append("productops.oidc.RoleMappingOIDCBackend")
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "")  # "Sign in with <name>" on the login page
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid email profile groups")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "groups")
# Provider groups granting each role, e.g. OIDC_ROLE_ADMIN=kpi-admins (comma-separated lists).
OIDC_ROLE_GROUPS = {
    role: env_list(f"OIDC_ROLE_{role.upper()}") for role in ("viewer", "squad_pm", "ops_staff", "admin")
}
# While SSO is on, password sign-in is for admins only (break-glass local accounts).
LOCAL_LOGIN_ADMINS_ONLY = env_bool("LOCAL_LOGIN_ADMINS_ONLY", True)
LOGIN_REDIRECT_URL_FAILURE = "/login/?sso=failed"
# Cache (login lockout counts, small flags): Redis when CACHE_URL/REDIS_URL is set, so all
# processes share it. It sits beside the broker, whose Redis must never evict.
_CACHE_URL = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL", "")
# Rendered page bodies ({% cache %} uses "template_fragments" when it exists): their own Redis
# with a memory limit and LRU eviction (PAGE_CACHE_URL, the compose `cache` service), so pages
# can never crowd out queued tasks or lockout counts. Unset: a small per-process memory cache.
_PAGE_CACHE_URL = os.environ.get("PAGE_CACHE_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL}
    if _CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "template_fragments": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _PAGE_CACHE_URL}
    if _PAGE_CACHE_URL
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        "OPTIONS": {"MAX_ENTRIES": 500},
    },
}
# The layout data of every dashboard page (areas, squads, targets, baseline, last rollup) is kept
# in the page cache only where every process shares it (dashboards/shell.py): its invalidation
# must reach them all.
DASHBOARD_SHELL_CACHE = bool(_PAGE_CACHE_URL)
# Writes coalesce their incremental-rollup enqueues (at most one waiting) only where every
# process shares the cache: the worker clears the flag as the rollup starts, and a flag in one
# web process's private memory could not be cleared, leaving later writes waiting for the beat.
KPI_ROLLUP_COALESCE = bool(_CACHE_URL)
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Static files are collected (bin/start, the image build) with content-hashed names and brotli +
# gzip copies; WhiteNoise serves them compressed, hashed names cached for ten years ("immutable").
# With DEBUG on, unhashed names are served straight from the source folders (no collectstatic).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Only the hashed copies are kept: a page can never pick up an unhashed, briefly cached file.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
# Source maps are fetched only by a browser's developer tools: compressing them (seconds of brotli
# each) made every collection — the Quick start's first run, each image build — slower.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboards:home"  # a PM lands on their squads, everyone else on the org
LOGOUT_REDIRECT_URL = "login"

# Sessions: well under Django's two-week default, and expiring when idle.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_SAVE_EVERY_REQUEST = True
# ...but the session row is written only when the session changed or its expiry was last pushed
# forward more than SESSION_RENEW_SECONDS ago (productops/sessions.py): not an UPDATE and a
# COMMIT on every request.
SESSION_ENGINE = "productops.sessions"
SESSION_RENEW_SECONDS = int(os.environ.get("SESSION_RENEW_SECONDS", "60"))
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    # Plotly sets inline style attributes on the SVG it draws.
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Safe only because core.proxies.TrustedProxyMiddleware removes this header from
    # every request whose peer is not in TRUSTED_PROXIES (a direct client cannot skip the redirect).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # load-balancer probes speak plain HTTP
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

REST_FRAMEWORK = {
    # Token first: an anonymous API call then gets 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "60/min"),
        "user": os.environ.get("API_THROTTLE_USER", "6000/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "productops API",
    "DESCRIPTION": "Records in, KPIs out. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files: no CDN, CSP script-src 'self'.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Deny by default: the schema and docs need sign-in like everything else.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Two models have a "kind": name the bet's enum so neither gets a hashed name.
    "ENUM_NAME_OVERRIDES": {"BetKindEnum": "bets.models.Bet.Kind"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "productops.openapi.document_error_responses",  # 400/401/403/404 on every operation
    ],
}

# Celery: unset broker means tasks run in the calling process (embedded default).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# visibility_timeout: how long Redis waits before redelivering an unacknowledged (acks_late)
# task whose worker vanished (kill -9, lost machine). Kombu's default is 1 hour; it must stay
# above the longest task time limit, or a long task still running would be delivered twice.
CELERY_TASK_VISIBILITY_TIMEOUT = CELERY_TASK_TIME_LIMIT + 5 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "visibility_timeout": CELERY_TASK_VISIBILITY_TIMEOUT,
}
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_CONCURRENCY = int(os.environ.get("CELERY_WORKER_CONCURRENCY") or 0) or None  # None: one per CPU
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers log through LOGGING below (JSON in production)
# The one periodic schedule (task names as registered in metrics/kpis/tasks.py). The incremental
# rollup runs every minute and expires just before the next one is due, so a backlog never piles
# up; the full rollup repairs anything missed, nightly. Plain data: no import of the metrics app.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "kpi-rollup-dirty": {
        "task": "metrics.rollup_dirty",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    "kpi-rollup-full-nightly": {
        "task": "metrics.rollup_full",
        "kwargs": {"distribute": True},  # fanned out as units when more than one worker process is up
        "schedule": crontab(hour=2, minute=17),
        "options": {"expires": 23 * 3600},
    },
    # Sources (sources/tasks.py): every 15 minutes a dispatcher enqueues one sync per enabled source.
    "sources-sync-all": {
        "task": "sources.sync_all",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},
    },
    # Background imports (metrics/records/jobs.py): stalled jobs sent again, stray uploads deleted.
    "imports-recover": {
        "task": "metrics.records.recover_imports",
        "schedule": crontab(minute=41),
        "options": {"expires": 3000},
    },
    # The weekly digest (alerts/digest.py): Monday 08:00 UTC unless DIGEST_CRON says otherwise;
    # it expires within the hour, so a backlog never sends a digest late.
    "alerts-weekly-digest": {
        "task": "alerts.send_weekly_digests",
        "schedule": crontab_from(os.environ.get("DIGEST_CRON", "0 8 * * 1"), "DIGEST_CRON"),
        "options": {"expires": 3300},
    },
}

# Sources (docs/sources.md): the key that encrypts tool tokens at rest (a Fernet key;
# unset, one is derived from SECRET_KEY) and the HTTP behaviour towards the tools.
SOURCES_ENCRYPTION_KEY = os.environ.get("SOURCES_ENCRYPTION_KEY", "")
SOURCES_HTTP = {
    "timeout": float(os.environ.get("SOURCES_HTTP_TIMEOUT", "10")),
    "retries": int(os.environ.get("SOURCES_HTTP_RETRIES", "3")),
    "backoff": float(os.environ.get("SOURCES_HTTP_BACKOFF", "1")),
    "max_wait": float(os.environ.get("SOURCES_HTTP_MAX_WAIT", "120")),
}
# What `seed_demo` adds beyond the records, by dotted path (called with the demo PM's squad slugs),
# so the demo can show other apps without the metrics app importing them.
SEED_DEMO_EXTRAS = ["sources.demo.create_demo_sources", "bets.demo.seed_demo_bets"]
# ...and those that read the snapshots, run after seed_demo's rollup (a frozen review).
SEED_DEMO_AFTER_ROLLUP = ["reviews.demo.create_demo_reviews"]

# CSV uploads in the admin (docs/records.md): files above IMPORT_ASYNC_THRESHOLD_BYTES are stored
# in IMPORT_UPLOAD_DIR (a directory the web processes and the workers share) and imported by a
# Celery task with a progress page; smaller ones are previewed and imported in the request.
IMPORT_ASYNC_THRESHOLD_BYTES = int(os.environ.get("IMPORT_ASYNC_THRESHOLD_BYTES", str(5 * 1024 * 1024)))
IMPORT_MAX_UPLOAD_BYTES = int(os.environ.get("IMPORT_MAX_UPLOAD_BYTES", str(200 * 1024 * 1024)))
IMPORT_UPLOAD_DIR = os.environ.get("IMPORT_UPLOAD_DIR") or str(Path(tempfile.gettempdir()) / "productops-imports")
# An import job still queued or running this long after it was queued or started has its task sent
# again by the hourly `imports-recover` entry (metrics/records/jobs.py: safe whatever became of the
# first message); the same entry deletes stray upload files older than a day.
IMPORT_RESEND_AFTER = timedelta(minutes=int(os.environ.get("IMPORT_RESEND_AFTER_MINUTES", "60")))

# Rollup: run an incremental rollup after each committed write.
KPI_ROLLUP_ON_COMMIT = env_bool("KPI_ROLLUP_ON_COMMIT", True)
# The org's currency: support cost and cost per head are shown with this symbol.
CURRENCY_SYMBOL = os.environ.get("CURRENCY_SYMBOL", "€")
KPI_STALE_AFTER = timedelta(hours=int(os.environ.get("KPI_STALE_AFTER_HOURS", "26")))
# Record changes not rolled up within this time make /readyz and `rollup_status --check` report
# stale KPIs (a dead worker shows here long before KPI_STALE_AFTER).
KPI_DIRTY_STALE_AFTER = timedelta(minutes=int(os.environ.get("KPI_DIRTY_STALE_AFTER_MINUTES", "15")))
# The sane window for record dates and filters (core.bounds): event times and months from
# RECORDS_EARLIEST to now + RECORDS_FUTURE_DAYS; a range a request asks for covers at most
# MAX_RANGE_PERIODS periods of its grain.
RECORDS_EARLIEST = os.environ.get("RECORDS_EARLIEST", "2000-01-01")
RECORDS_FUTURE_DAYS = int(os.environ.get("RECORDS_FUTURE_DAYS", "1"))
MAX_RANGE_PERIODS = int(os.environ.get("MAX_RANGE_PERIODS", "520"))
# /readyz answers 503 while the KPIs are stale (default: report it in the body, stay 200).
READYZ_FAIL_WHEN_STALE = env_bool("READYZ_FAIL_WHEN_STALE", False)

# E-mail (alerts and digests): EMAIL_URL, e.g. smtp://host:25; unset, messages go to the console —
# except in production, where the console would swallow them: there unset means the local MTA.
from productops.email_url import mailers_setting  # noqa: E402

MAILERS = mailers_setting(os.environ.get("EMAIL_URL", "") or ("smtp://localhost:25" if PRODUCTION else ""))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "productops <productops@localhost>")
# Absolute links in e-mails start with this.
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000").rstrip("/")
# Alert rules are judged on the current period and the ones before it, this many in all.
ALERT_LIVE_PERIODS = int(os.environ.get("ALERT_LIVE_PERIODS", "2"))
# The weekly digest compares the last two complete periods of this grain.
DIGEST_GRAIN = os.environ.get("DIGEST_GRAIN", "week")
if DIGEST_GRAIN not in {"week", "month", "quarter"}:
    raise ImproperlyConfigured("DIGEST_GRAIN must be week, month or quarter")

LOG_FORMAT = os.environ.get("LOG_FORMAT", "json" if PRODUCTION else "plain")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured("LOG_FORMAT must be json or plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "productops.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
