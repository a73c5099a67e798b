"""One settings file; every deployment-specific value comes from the environment.

With no DATABASE_URL the project runs on SQLite, and with no CELERY_BROKER_URL tasks run
in-process, so a fresh checkout works with nothing else installed. `.env.example` lists every
variable read here.
"""

import ipaddress
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from registry.env import (
    envbool,
    envint,
    envlist,
    envstr,
    receipt_key,
    replica_databases,
    signer_key,
    witness_keys,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = envbool("DJANGO_DEBUG", False)
SECRET_KEY = envstr("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it (50+ random characters), or set "
            "DJANGO_DEBUG=true for local development."
        )
    SECRET_KEY = "insecure-development-key-only-for-debug-mode-" + "x" * 20

ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", [])
# The absolute address of this site, used in emails and machine-readable outputs.
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# What the site calls itself: page titles, emails (greeting, signature, subject prefix), the
# django.contrib.sites row (kept equal to SITE_NAME and SITE_URL at every migrate) and feeds.
SITE_NAME = envstr("SITE_NAME", "Music Consent Registry")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "consent",
    "registry",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Anonymous requests per address (registry/address_limits.py).
    "registry.address_limits.AddressLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Staff and reviewers without a second factor are sent to set one up (registry/staff_access.py).
    "registry.staff_access.SecondFactorRequiredMiddleware",
]

ROOT_URLCONF = "registry.urls"
WSGI_APPLICATION = "registry.wsgi.application"

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
                "registry.context_processors.site",
            ],
        },
    },
]

# What the app (web, worker, beat) connects as: in production the runtime role, which may not
# update, delete or truncate the append-only tables, nor create, alter or drop anything.
DATABASE_URL = envstr("DATABASE_URL")
# What `manage.py migrate` connects as: the role that owns the tables. After migrating it grants
# DATABASE_URL's role what the app needs (registry/database_roles.py). Default: DATABASE_URL.
MIGRATION_DATABASE_URL = envstr("MIGRATION_DATABASE_URL", DATABASE_URL)


def _parse_database_url(name: str, url: str) -> dict:
    try:
        return dj_database_url.parse(url, conn_max_age=60)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} cannot be parsed: {exc}") from exc


if DATABASE_URL:
    DATABASES = {"default": _parse_database_url("DATABASE_URL", DATABASE_URL)}
    MIGRATION_DATABASE = _parse_database_url("MIGRATION_DATABASE_URL", MIGRATION_DATABASE_URL)
    _runtime, _migration = DATABASES["default"], MIGRATION_DATABASE
    if (_migration["ENGINE"], _migration["NAME"]) != (_runtime["ENGINE"], _runtime["NAME"]):
        raise ImproperlyConfigured(
            f"MIGRATION_DATABASE_URL names the database {_migration['NAME']!r} but DATABASE_URL "
            f"names {_runtime['NAME']!r}. Both must name the same database; only the role, "
            "password, host and port may differ."
        )
elif MIGRATION_DATABASE_URL:
    raise ImproperlyConfigured(
        "MIGRATION_DATABASE_URL is set but DATABASE_URL is not. Set DATABASE_URL to the same "
        "PostgreSQL database, connecting as the role the app runs as, or unset "
        "MIGRATION_DATABASE_URL to run on SQLite."
    )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": envstr("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }
    MIGRATION_DATABASE = None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Read replicas (docs/operations.md, "Read replicas"): comma-separated URLs of PostgreSQL
# streaming replicas of DATABASE_URL's database, connecting as the same runtime role. The platform
# API's read endpoints are answered from one that is up and no more than REPLICA_MAX_LAG_SECONDS
# behind (a `min_sequence` parameter asks for one that has reached a change event, else the
# primary); the website, every write, the admin, Celery tasks and migrations use the primary.
# Each process checks its replicas at most every REPLICA_CHECK_SECONDS, tries one found down again
# after REPLICA_RETRY_SECONDS, and gives up connecting to one after REPLICA_CONNECT_TIMEOUT_SECONDS
# (unless its URL sets connect_timeout). api/replicas.py does the choosing.
REPLICA_CONNECT_TIMEOUT_SECONDS = envint("REPLICA_CONNECT_TIMEOUT_SECONDS", 2, minimum=1)
DATABASES |= replica_databases(
    envlist("DATABASE_REPLICA_URLS", []),
    DATABASES["default"] if DATABASE_URL else None,
    REPLICA_CONNECT_TIMEOUT_SECONDS,
)
DATABASE_REPLICAS = [alias for alias in DATABASES if alias != "default"]
DATABASE_ROUTERS = ["consent.reading.ReadRouter"]
REPLICA_MAX_LAG_SECONDS = envint("REPLICA_MAX_LAG_SECONDS", 10, minimum=1)
REPLICA_CHECK_SECONDS = envint("REPLICA_CHECK_SECONDS", 1, minimum=1)
REPLICA_RETRY_SECONDS = envint("REPLICA_RETRY_SECONDS", 10, minimum=1)

REDIS_URL = envstr("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": envstr("CACHE_KEY_PREFIX", "registry"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: with no broker, tasks run in-process (the embedded default).
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 10 if CELERY_TASK_TIME_LIMIT > 20 else None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

SITE_ID = 1
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# Nobody can sign in, and so declare anything, before proving they own the address.
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
# Links in emails use the scheme of SITE_URL, so a plain-HTTP trial gets links that work.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https://") else "http"
ACCOUNT_ADAPTER = "registry.adapters.AccountAdapter"
# Failed logins are limited per address and per account (allauth counts them in the cache).
ACCOUNT_RATE_LIMITS = {
    "login_failed": envstr("LOGIN_FAILED_RATE_LIMIT", "10/m/ip,5/5m/key"),
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
# Sign-up and password changes use AUTH_PASSWORD_VALIDATORS above (12 characters at least): with
# validators set, allauth applies them and ignores ACCOUNT_PASSWORD_MIN_LENGTH.

# Two-factor authentication (allauth.mfa), offered to everyone from the account pages and
# required of staff and reviewers before the admin opens (registry/staff_access.py). Security
# keys and passkeys serve as a second factor, not instead of the password. Codes typed after the
# password count against ACCOUNT_RATE_LIMITS["login_failed"].
MFA_ADAPTER = "registry.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = False
# A code from the period before or after the server's also counts (RFC 6238's allowance for a
# phone's clock drift and the time it takes to type); each code is still accepted only once.
MFA_TOTP_TOLERANCE = 1
# Browsers allow security keys only over HTTPS, except on the development server.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG

EMAIL_BACKEND = envstr(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
# Only for django.core.mail.backends.filebased.EmailBackend: the folder emails are written to.
EMAIL_FILE_PATH = envstr("EMAIL_FILE_PATH", str(BASE_DIR / "tmp" / "emails"))
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where artists and platforms write to a person (shown on the terms and privacy pages).
CONTACT_EMAIL = envstr("CONTACT_EMAIL", "")

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
# Dates and times printed without a format of their own (the admin's lists and fields) read to
# the second (registry/formats/en/formats.py).
FORMAT_MODULE_PATH = ["registry.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media-private/"  # never served: uploads are private

# Limits on what artists upload.
AUDIO_MAX_BYTES = envint("AUDIO_MAX_BYTES", 200 * 1024 * 1024, minimum=1)
KEEP_AUDIO_UPLOADS = envbool("KEEP_AUDIO_UPLOADS", False)
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", 10_000, minimum=1)
IMPORT_MAX_BYTES = envint("IMPORT_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
# Robots-style feeds larger than this are cut, most restrictive rules first, with a pointer to the
# complete TDMRep file: RFC 9309 only obliges crawlers to read 500 KiB.
FEED_MAX_BYTES = envint("FEED_MAX_BYTES", 500 * 1024, minimum=1024)
# The feeds are built in the background (registry.feed_store) and served as last built. A change
# is applied this many seconds after it commits, so that a burst of changes costs one rebuild of
# each file it touches; with tasks in process (no broker) the rebuild runs right after the commit.
FEED_REBUILD_DELAY = envint("FEED_REBUILD_DELAY", 5, minimum=0)
# The host list (/hosts/ and each host's shard depth) counts every link: rebuilt at most this
# often after links change.
FEED_HOST_LIST_SECONDS = envint("FEED_HOST_LIST_SECONDS", 60, minimum=0)
# A host's links per shard file, on average: a host with more is split by the first digits of
# each link's MD5, enough of them to keep every file well under FEED_MAX_BYTES.
FEED_SHARD_LINKS = envint("FEED_SHARD_LINKS", 500, minimum=1)
# Evidence in disputes: the largest file, and the types accepted (recognised from the file's
# first bytes; consent/filetypes.py lists every type that can be recognised).
EVIDENCE_MAX_BYTES = envint("EVIDENCE_MAX_BYTES", 20 * 1024 * 1024, minimum=1)
EVIDENCE_TYPES = envlist(
    "EVIDENCE_TYPES",
    [
        "application/pdf",
        "image/png",
        "image/jpeg",
        "text/plain",
        "audio/mpeg",
        "audio/wav",
        "audio/flac",
    ],
)
# What one account may add as evidence: per dispute it is a party to, to one dispute from every
# party together, and per day across disputes; each as a number of pieces (files and links) and
# as bytes of files.
EVIDENCE_PARTY_MAX_ITEMS = envint("EVIDENCE_PARTY_MAX_ITEMS", 50, minimum=1)
EVIDENCE_PARTY_MAX_BYTES = envint("EVIDENCE_PARTY_MAX_BYTES", 200 * 1024 * 1024, minimum=1)
EVIDENCE_DISPUTE_MAX_ITEMS = envint("EVIDENCE_DISPUTE_MAX_ITEMS", 150, minimum=1)
EVIDENCE_DISPUTE_MAX_BYTES = envint("EVIDENCE_DISPUTE_MAX_BYTES", 600 * 1024 * 1024, minimum=1)
EVIDENCE_DAILY_MAX_ITEMS = envint("EVIDENCE_DAILY_MAX_ITEMS", 100, minimum=1)
EVIDENCE_DAILY_MAX_BYTES = envint("EVIDENCE_DAILY_MAX_BYTES", 400 * 1024 * 1024, minimum=1)
# Contests one account may open per day: an abuse limit, counted in the shared cache.
DISPUTES_PER_DAY = envint("DISPUTES_PER_DAY", 5, minimum=1)
# The dispute desk: days a party has to answer a request for information by default, and hours
# before that deadline when they are reminded (once) by the beat task below.
DISPUTE_INFORMATION_DAYS = envint("DISPUTE_INFORMATION_DAYS", 7, minimum=1)
DISPUTE_REMINDER_HOURS = envint("DISPUTE_REMINDER_HOURS", 48, minimum=1)
# Links a track may carry in all, and links one claimant may add to one track.
LINKS_PER_TRACK = envint("LINKS_PER_TRACK", 50, minimum=1)
LINKS_PER_CLAIM = envint("LINKS_PER_CLAIM", 20, minimum=1)
# Changes one account may make per clock hour, counted in the shared cache: saves of choices (for
# a track or the catalogue), catalogue-wide changes among them (each recomputes every track of
# the catalogue), and additions or removals of links.
DECLARATIONS_PER_HOUR = envint("DECLARATIONS_PER_HOUR", 300, minimum=1)
CATALOGUE_CHANGES_PER_HOUR = envint("CATALOGUE_CHANGES_PER_HOUR", 20, minimum=1)
LINK_CHANGES_PER_HOUR = envint("LINK_CHANGES_PER_HOUR", 300, minimum=1)
# --- Writes and the consent write lock (consent/writes.py, docs/operations.md) -------------
# How long any consent write waits for a lock before giving up with "the registry is busy"
# (SET LOCAL lock_timeout; nothing of that write is saved).
CONSENT_LOCK_TIMEOUT_MS = envint("CONSENT_LOCK_TIMEOUT_MS", 3000, minimum=1)
# A write that held the lock longer than this is logged (logger consent.writes, a warning).
CONSENT_LOCK_WARN_MS = envint("CONSENT_LOCK_WARN_MS", 200, minimum=0)
# A write computed outside the lock is checked against what committed meanwhile; this many
# attempts, the last of which computes under the lock, as every write once did.
CONSENT_WRITE_ATTEMPTS = envint("CONSENT_WRITE_ATTEMPTS", 3, minimum=1)
# Tracks a write computed outside the lock may recompute under it when others changed them
# meanwhile; more than this and the whole write is computed again.
CONSENT_RECOMPUTE_UNDER_LOCK = envint("CONSENT_RECOMPUTE_UNDER_LOCK", 200, minimum=0)
# A catalogue-wide change of a catalogue larger than this many tracks is recorded at once and
# applied to the tracks by a background job, CATALOGUE_JOB_CHUNK tracks per transaction; beat
# looks for unfinished jobs every CATALOGUE_JOB_SWEEP_SECONDS and resumes one idle for
# CATALOGUE_JOB_STALE_SECONDS (a worker that died, a lost task).
CATALOGUE_SYNC_TRACKS = envint("CATALOGUE_SYNC_TRACKS", 1000, minimum=0)
CATALOGUE_JOB_CHUNK = envint("CATALOGUE_JOB_CHUNK", 200, minimum=1)
CATALOGUE_JOB_SWEEP_SECONDS = envint("CATALOGUE_JOB_SWEEP_SECONDS", 30, minimum=1)
CATALOGUE_JOB_STALE_SECONDS = envint("CATALOGUE_JOB_STALE_SECONDS", 60, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Under /api/ a refused cross-site request answers problem+json, elsewhere the usual page.
CSRF_FAILURE_VIEW = "api.views.csrf_failure"

# Production hardening: on whenever DEBUG is off, each switch overridable for odd set-ups.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
BEHIND_TLS_PROXY = envbool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind N reverse proxies, rate limits must count the client's address from X-Forwarded-For,
# not the proxy's, or one visitor's failed logins would lock everyone out.
ALLAUTH_TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0, minimum=0)
if BEHIND_TLS_PROXY and ALLAUTH_TRUSTED_PROXY_COUNT == 0:
    raise ImproperlyConfigured(
        "BEHIND_TLS_PROXY is true but TRUSTED_PROXY_COUNT is not set (or is 0). Set it "
        "to the number of reverse proxies in front of the app (1 for a single nginx or load "
        "balancer): without it every visitor seems to come from the proxy's address, and one "
        "visitor's failed logins would lock everyone out of logging in."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
}

# --- The platform API (api/) ----------------------------------------------------------------
# Keys are stored as HMAC-SHA256 under this secret; its own variable so that rotating
# DJANGO_SECRET_KEY does not invalidate every platform's keys (default: DJANGO_SECRET_KEY).
API_KEY_HASH_SECRET = envstr("API_KEY_HASH_SECRET", SECRET_KEY)
# Fair use (docs/operations.md, "Fair use"). Units per minute per platform, shared by all its
# keys; an admin can set a platform's own. A lookup costs 1, a batch one per item, anything
# `as_of` API_AS_OF_WEIGHT times that (it recomputes from declarations), a snapshot download
# API_SNAPSHOT_COST (a copy of a prebuilt file, one at a time per platform), its revalidation 1.
API_RATE_LIMIT_PER_MINUTE = envint("API_RATE_LIMIT_PER_MINUTE", 60_000, minimum=1)
API_AS_OF_WEIGHT = envint("API_AS_OF_WEIGHT", 2, minimum=1)
API_SNAPSHOT_COST = envint("API_SNAPSHOT_COST", 1_000, minimum=1)
# Heavy requests (batches above API_HEAVY_BATCH_ITEMS items, snapshots) a platform may run at
# once; each holds a lease in Redis that expires after API_HEAVY_LEASE_SECONDS, so a worker that
# dies mid-request cannot keep a slot.
API_HEAVY_BATCH_ITEMS = envint("API_HEAVY_BATCH_ITEMS", 1_000, minimum=1)
API_HEAVY_CONCURRENCY = envint("API_HEAVY_CONCURRENCY", 2, minimum=1)
API_HEAVY_LEASE_SECONDS = envint("API_HEAVY_LEASE_SECONDS", 300, minimum=1)
# Each web process counts a platform's units itself and sends them to Redis in batches: when
# they reach API_THROTTLE_BATCH_PERCENT of the limit, after API_THROTTLE_SYNC_MS, or on every
# request once its view of the total passes API_THROTTLE_EXACT_FROM_PERCENT of the limit.
API_THROTTLE_BATCH_FRACTION = envint("API_THROTTLE_BATCH_PERCENT", 2, minimum=0) / 100
API_THROTTLE_SYNC_SECONDS = envint("API_THROTTLE_SYNC_MS", 100, minimum=0) / 1000
API_THROTTLE_EXACT_FROM = envint("API_THROTTLE_EXACT_FROM_PERCENT", 90, minimum=0) / 100
# Verified keys are kept in each process; revocations, suspensions and changes of scopes or
# limits reach every process within API_KEY_CACHE_CHECK_MS (a version in Redis each process
# reads at most that often). API_KEY_CACHE_SECONDS bounds an entry's life whatever happens.
API_KEY_CACHE_CHECK_SECONDS = envint("API_KEY_CACHE_CHECK_MS", 250, minimum=0) / 1000
API_KEY_CACHE_SECONDS = envint("API_KEY_CACHE_SECONDS", 60, minimum=0)
# Per address (REMOTE_ADDR, or X-Forwarded-For behind TRUSTED_PROXY_COUNT proxies): failed API
# key authentications, and anonymous requests to anything but /api/health and /api/ping (pages,
# feeds, the log's tiles, the API without a key), each per minute; 0 turns a limit off.
API_AUTH_FAILURES_PER_MINUTE = envint("API_AUTH_FAILURES_PER_MINUTE", 30, minimum=0)
PUBLIC_RATE_LIMIT_PER_MINUTE = envint("PUBLIC_RATE_LIMIT_PER_MINUTE", 600, minimum=0)
# Addresses or networks never limited per address (e.g. an uptime probe): "10.0.0.0/8,::1".
RATE_LIMIT_EXEMPT_ADDRESSES = envlist("RATE_LIMIT_EXEMPT_ADDRESSES", [])
# The benchmark's ceiling: /api/bench/ceiling runs the lookup's SQL with no key and no limit.
# Only `make bench` turns it on; never set it in production.
BENCH_CEILING_VIEW = envbool("BENCH_CEILING_VIEW", False)
# Items in one batch lookup and URLs in one compatibility query (the de-facto API's own limit).
API_BATCH_MAX_ITEMS = envint("API_BATCH_MAX_ITEMS", 10_000, minimum=1)
# The largest request body the API reads (a batch of 10,000 long URLs fits).
API_MAX_BODY_BYTES = envint("API_MAX_BODY_BYTES", 32 * 1024 * 1024, minimum=1024)

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.FastJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.auth.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.auth.PlatformThrottle"],
    "EXCEPTION_HANDLER": "api.errors.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Consent Registry API",
    "DESCRIPTION": (
        "What each registered track's owners allow for text and data mining, AI training, AI "
        "input and search: single and batch lookups, answers as of a past instant, the ordered "
        "change log, full snapshots, acknowledgements and webhooks.\n\n"
        "**Which purpose to read, by use.** Training a generative model: `train-genai`. "
        "Training any other model (classifier, recommender, embeddings): `train-ai`. "
        "Retrieval-augmented generation, grounding, answering a prompt with the music: "
        "`ai-input`. Analysis or mining without training: `tdm`. Indexing for search results "
        "that link back: `search`. A narrower purpose already inherits the broader choice, so "
        "read only the one that names the use. `allow`: go ahead (it always comes from a "
        "verified owner). `license`: obtain the licence in `terms` first (`terms.withheld`: "
        "nobody proven to ask yet). `deny`: do not. `unset`: no reservation."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every purpose's value (answers and change events) is one enum.
    "ENUM_NAME_OVERRIDES": {"ValueEnum": "api.schema.VALUES"},
}

# --- Webhooks -----------------------------------------------------------------------------------
# How change events reach platforms' endpoints (api/webhooks/dispatch.py). Change events per POST:
WEBHOOK_BATCH_SIZE = envint("WEBHOOK_BATCH_SIZE", 100, minimum=1)
# Seconds one delivery may take in all (resolve, connect, send, read the answer).
WEBHOOK_TIMEOUT_SECONDS = envint("WEBHOOK_TIMEOUT_SECONDS", 15, minimum=1)
# The most of an endpoint's answer that is read back (a short excerpt is kept in the log).
WEBHOOK_MAX_RESPONSE_BYTES = envint("WEBHOOK_MAX_RESPONSE_BYTES", 16 * 1024, minimum=0)
# Seconds to wait before each retry of a failed batch, jittered by up to 10%: Standard Webhooks'
# schedule after its immediate first attempt. After the last retry fails the endpoint is
# disabled and the platform's contact is told by email.
try:
    WEBHOOK_RETRY_SCHEDULE = [
        float(wait)
        for wait in envlist(
            "WEBHOOK_RETRY_SCHEDULE",
            ["5", "300", "1800", "7200", "18000", "36000", "50400", "72000", "86400"],
        )
    ]
    if not WEBHOOK_RETRY_SCHEDULE or min(WEBHOOK_RETRY_SCHEDULE) < 0:
        raise ValueError
except ValueError as exc:
    raise ImproperlyConfigured(
        "WEBHOOK_RETRY_SCHEDULE must be comma-separated numbers of seconds, e.g. 5,300,1800."
    ) from exc
# How long a rotated-out signing secret keeps signing beside the new one.
WEBHOOK_SECRET_OVERLAP_HOURS = envint("WEBHOOK_SECRET_OVERLAP_HOURS", 24, minimum=0)
# Endpoints must use https (default: whenever debug is off).
WEBHOOK_REQUIRE_HTTPS = envbool("WEBHOOK_REQUIRE_HTTPS", not DEBUG)
# Addresses or networks (CIDR) that endpoints may resolve to although they are loopback, private,
# link-local or cloud metadata addresses, e.g. 127.0.0.1 for receivers on this machine.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = envlist("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", [])
for _network in WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"WEBHOOK_ALLOW_PRIVATE_ADDRESSES: {_network!r} is not an IP address or network."
        ) from exc
# Seconds between sweeps for endpoints that are due or behind: the bound on how long a lost task
# or a broker outage can delay a delivery.
WEBHOOK_SWEEP_SECONDS = envint("WEBHOOK_SWEEP_SECONDS", 10, minimum=1)
# Days the delivery log is kept.
WEBHOOK_LOG_DAYS = envint("WEBHOOK_LOG_DAYS", 30, minimum=1)
# The webhook tasks (api/webhooks/tasks.py) keep the names they were first queued under.
CELERY_BEAT_SCHEDULE = {
    "sweep-webhooks": {
        "task": "api.tasks.sweep_webhooks",
        "schedule": float(WEBHOOK_SWEEP_SECONDS),
        # A sweep that waited longer than one interval in a queue is replaced by the next one.
        "options": {"expires": float(WEBHOOK_SWEEP_SECONDS)},
    },
    "prune-webhook-log": {"task": "api.tasks.prune_webhook_log", "schedule": 3600.0},
}
# Seconds between two computations of the public page /platforms/ (api/platform_figures.py).
PLATFORMS_PAGE_SECONDS = envint("PLATFORMS_PAGE_SECONDS", 60, minimum=10)
CELERY_BEAT_SCHEDULE["refresh-platforms-page"] = {
    "task": "api.tasks.refresh_platforms_page",
    "schedule": float(PLATFORMS_PAGE_SECONDS),
    "options": {"expires": float(PLATFORMS_PAGE_SECONDS)},
}

CELERY_BEAT_SCHEDULE["resume-catalogue-jobs"] = {
    "task": "consent.tasks.resume_catalogue_jobs",
    "schedule": float(CATALOGUE_JOB_SWEEP_SECONDS),
    "options": {"expires": float(CATALOGUE_JOB_SWEEP_SECONDS)},
}

# --- Proving claims (consent/proofs.py) -----------------------------------------------------------
# Fetching an artist's proof page: seconds for the whole fetch (redirects within the host
# included) and the most of the page that is read. Fetches go through the webhooks' guarded
# client: WEBHOOK_ALLOW_PRIVATE_ADDRESSES applies to them too.
PROOF_FETCH_TIMEOUT_SECONDS = envint("PROOF_FETCH_TIMEOUT_SECONDS", 10, minimum=1)
PROOF_FETCH_MAX_BYTES = envint("PROOF_FETCH_MAX_BYTES", 1024 * 1024, minimum=1024)
# Hours between two checks of a proven page; a page found without its proof is checked at every
# hourly sweep, and its claims stay verified for PROOF_GRACE_DAYS before they fall back.
PROOF_RECHECK_HOURS = envint("PROOF_RECHECK_HOURS", 24, minimum=1)
PROOF_GRACE_DAYS = envint("PROOF_GRACE_DAYS", 7, minimum=0)
# Checks one account may ask for per clock hour (each fetches a page), and pages one account may
# have to prove.
PROOF_CHECKS_PER_HOUR = envint("PROOF_CHECKS_PER_HOUR", 30, minimum=1)
PROOFS_PER_CREATOR = envint("PROOFS_PER_CREATOR", 100, minimum=1)
# The safety net of the feeds: a rebuild whose scheduling was lost (a worker died, Redis was
# away) is picked up here; normally each change schedules its own (FEED_REBUILD_DELAY).
CELERY_BEAT_SCHEDULE["refresh-feeds"] = {
    "task": "registry.tasks.refresh_feeds",
    "schedule": 30.0,
}
CELERY_BEAT_SCHEDULE["recheck-proofs"] = {
    "task": "registry.tasks.recheck_proofs",
    "schedule": 3600.0,
    "options": {"expires": 3600.0},
}

CELERY_BEAT_SCHEDULE["chase-information-requests"] = {
    "task": "registry.tasks.chase_information_requests",
    "schedule": 900.0,
    "options": {"expires": 900.0},
}

# --- The transparency log (consent/transparency/, docs/operations.md) ----------------------------
# The log's name (default: SITE_URL's host and /consent-log, consent.transparency.keys.origin),
# its signing key (required with debug off), its witnesses, and beat's interval in seconds.
LOG_ORIGIN = envstr("LOG_ORIGIN")
LOG_SIGNING_KEY = signer_key(envstr("LOG_SIGNING_KEY"), required=not DEBUG)
LOG_WITNESSES = witness_keys(envlist("LOG_WITNESSES", []))
LOG_CHECKPOINT_SECONDS = envint("LOG_CHECKPOINT_SECONDS", 10, minimum=1)
CELERY_BEAT_SCHEDULE["sign-checkpoint"] = {
    "task": "consent.transparency.checkpoints.sign_checkpoint_task",
    "schedule": float(LOG_CHECKPOINT_SECONDS),
    "options": {"expires": float(LOG_CHECKPOINT_SECONDS)},
}
# The key that signs receipts on the API's answers (an Ed25519 private JWK, required with debug
# off; consent.transparency.receipts), kept apart from the log's so each can be rotated alone.
RECEIPT_SIGNING_KEY = receipt_key(envstr("RECEIPT_SIGNING_KEY"), required=not DEBUG)
# How long a process may state the registry's sequence and checkpoint it read last in receipts
# whose answers it covers (consent.transparency.receipts.log_state), rather than reading them.
RECEIPT_STATE_SECONDS = envint("RECEIPT_STATE_SECONDS", 10, minimum=0)

# --- Snapshot files (consent/snapshot_files.py, docs/operations.md "Snapshot files") ------------
# Where the gzip NDJSON snapshot files are written (by the worker) and read (by the web
# processes): both must see the same folder. The newest SNAPSHOT_KEEP files are kept, so a
# download that started on an older one can still resume. Files are built at least
# SNAPSHOT_DEBOUNCE_SECONDS apart (a burst of changes makes one file): a change queues a build,
# and beat looks every minute for a file behind the registry. Builds stop after
# SNAPSHOT_BUILD_TIME_LIMIT seconds.
SNAPSHOT_DIR = Path(envstr("SNAPSHOT_DIR", str(MEDIA_ROOT / "snapshots")))
SNAPSHOT_KEEP = envint("SNAPSHOT_KEEP", 3, minimum=1)
SNAPSHOT_DEBOUNCE_SECONDS = envint("SNAPSHOT_DEBOUNCE_SECONDS", 300, minimum=1)
SNAPSHOT_GZIP_LEVEL = envint("SNAPSHOT_GZIP_LEVEL", 1, minimum=1)
if SNAPSHOT_GZIP_LEVEL > 9:
    raise ImproperlyConfigured(f"SNAPSHOT_GZIP_LEVEL={SNAPSHOT_GZIP_LEVEL} must be 1 to 9.")
SNAPSHOT_BUILD_TIME_LIMIT = envint("SNAPSHOT_BUILD_TIME_LIMIT", 3600, minimum=60)
# A platform downloads one snapshot at a time; its slot expires after this many seconds even if
# the process serving it died (a longer download keeps streaming, but no longer holds the slot).
SNAPSHOT_SLOT_SECONDS = envint("SNAPSHOT_SLOT_SECONDS", 300, minimum=10)
CELERY_BEAT_SCHEDULE["build-snapshot"] = {
    "task": "consent.tasks.build_snapshot",
    "schedule": float(min(60, SNAPSHOT_DEBOUNCE_SECONDS)),
    "options": {"expires": float(min(60, SNAPSHOT_DEBOUNCE_SECONDS))},
}

# --- Connected accounts (allauth.socialaccount) ---------------------------------------------------
# A connected account proves the profile it belongs to. Each provider is off unless both its
# client id and secret are set (docs/artists.md, "Connecting accounts"). Accounts are connected to a
# signed-in artist; they are never a way to sign up or sign in (registry/adapters.py).
_SOCIAL_CREDENTIALS = {
    "soundcloud": (envstr("SOUNDCLOUD_CLIENT_ID"), envstr("SOUNDCLOUD_CLIENT_SECRET")),
    "google": (envstr("GOOGLE_CLIENT_ID"), envstr("GOOGLE_CLIENT_SECRET")),
    "spotify": (envstr("SPOTIFY_CLIENT_ID"), envstr("SPOTIFY_CLIENT_SECRET")),
}
SOCIALACCOUNT_PROVIDERS: dict = {}
for _provider, (_client_id, _secret) in _SOCIAL_CREDENTIALS.items():
    if bool(_client_id) != bool(_secret):
        _name = _provider.upper()
        raise ImproperlyConfigured(
            f"{_name}_CLIENT_ID and {_name}_CLIENT_SECRET must be set together: set both to "
            f"connect {_provider} accounts, or neither to leave them off."
        )
    if _client_id:
        INSTALLED_APPS.append(f"allauth.socialaccount.providers.{_provider}")
        SOCIALACCOUNT_PROVIDERS[_provider] = {
            "APPS": [{"client_id": _client_id, "secret": _secret, "key": ""}]
        }
SOCIALACCOUNT_ADAPTER = "registry.adapters.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_QUERY_EMAIL = False
# Only the profile the account belongs to is used; no access token is kept.
SOCIALACCOUNT_STORE_TOKENS = False
