"""Werkplaats settings: one module, deployments differ only by environment.

With no environment the site runs on the embedded default: an SQLite file, the in-memory
channel layer, the local-memory cache and console email (one process only). Setting
DATABASE_URL and REDIS_URL switches to PostgreSQL, channels-redis and a Redis cache, which
every multi-process deployment needs.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("WERKPLAATS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


DEBUG = env_bool("DEBUG", False)
# LOCAL_HTTP=1 (set by `make run` and the tests) serves over plain http on loopback: no HTTPS
# redirect, no secure-only cookies, no HSTS, static files straight from the source folders.
LOCAL_HTTP = env_bool("LOCAL_HTTP", DEBUG)
# The embedded default key is marked insecure on purpose: `check --deploy` flags it.
SECRET_KEY = os.environ.get(
    "SECRET_KEY", "django-insecure-werkplaats-embedded-default-change-me-in-production"
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "core",
    "accounts",
    "live",
    "regions",
    "forums",
    "notifications",
    "moderation",
    "events",
    "community",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.text.ValidUTF8Middleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "community.middleware.DutchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.MFARequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "moderation.middleware.AuditOriginMiddleware",
    "moderation.middleware.SuspensionNoticeMiddleware",
]

ROOT_URLCONF = "community.urls"
ASGI_APPLICATION = "community.asgi.application"
# Threads per gunicorn worker process (its --threads; scripts/prod-local, docs/deploy.md). Each
# holds at most one database connection while it works, so this stays within DB_POOL_MAX.
HTTP_THREADS = env_int("HTTP_THREADS", 8)
# The hottest lookups compiled to SQL once per process (core/precompiled.py); off: the plain ORM.
PRECOMPILED_QUERIES = env_bool("PRECOMPILED_QUERIES", True)

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
                "csp.context_processors.nonce",
                "community.context_processors.site",
                "notifications.context_processors.bell",
                "moderation.context_processors.queue",
            ],
        },
    }
]

# --- Data -----------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    # Under ASGI every request runs in its own context, so persistent connections are never
    # reused and pile up until PostgreSQL refuses new ones; a per-process pool reuses them.
    # CONN_HEALTH_CHECKS: after a PostgreSQL restart every idle connection in the pool is dead;
    # checked as the pool hands it out (one empty round trip), a dead one is replaced instead of
    # failing the request or the task that drew it.
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0,
                                                  conn_health_checks=True)}
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN", 2), "max_size": env_int("DB_POOL_MAX", 20),
        "timeout": 10,
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "db.sqlite3")),
            "OPTIONS": {
                # WAL lets daphne's worker threads read while another writes.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "werkplaats",
            # Fail fast when Redis is away: the page goes on without the cache.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py's default 5 s socket timeout equals channels-redis's blocking read:
                # idle sockets would die with TimeoutError after 5 s.
                # redis-py's pool allows 100 connections and raises beyond them: 2,000 sockets
                # of one process leaving their groups at once (end of bench/live) hit it, and
                # their group entries stayed until group_expiry. Redis accepts 10,000 clients.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30,
                           "socket_connect_timeout": 1,
                           "max_connections": env_int("CHANNEL_LAYER_MAX_CONNECTIONS", 1000)}],
                "prefix": "werkplaats",
                # Documented in docs/deploy.md: a slow reader whose channel fills loses
                # messages, not the others; it catches up from the database on reconnect.
                "capacity": 200,
                # channels-redis queues every socket of one process in ONE Redis key (the
                # "specific.<process>!" prefix) and checks `capacity` against that key: with
                # 200 there, a group send to 500 readers on one process dropped 300 of them.
                # The per-socket limit stays 200 (the process's buffer per socket).
                "channel_capacity": {"specific.*": 50_000},
                "expiry": 30,
                "group_expiry": 86400,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Per recipient and hour, new notifications about conversations (replies, mentions, quotes, new
# threads, reports, reactions) beyond this are dropped; decisions about you never are.
NOTIFICATIONS_HOURLY_CAP = int(os.environ.get("NOTIFICATIONS_HOURLY_CAP", "60"))

# Posting limits, counted from the database (forums/ratelimits.py); 0 switches one off, and
# DISABLE_RATE_LIMITS (load tests only) switches them off with allauth's.
_NO_LIMITS = env_bool("DISABLE_RATE_LIMITS", False)
FORUM_POSTS_PER_MINUTE = env_int("FORUM_POSTS_PER_MINUTE", 0 if _NO_LIMITS else 10)
FORUM_NEW_ACCOUNT_THREADS_PER_HOUR = env_int("FORUM_NEW_ACCOUNT_THREADS_PER_HOUR",
                                             0 if _NO_LIMITS else 3)
FORUM_NEW_ACCOUNT_HOURS = env_int("FORUM_NEW_ACCOUNT_HOURS", 24)
# A new member's first posts in a region wait for a moderator (moderation/approvals.py); how
# many is each region's moderation setting. False switches the guard off everywhere.
MODERATION_NEW_MEMBER_GUARD = env_bool("MODERATION_NEW_MEMBER_GUARD", True)
# Where suspensions and the approval of first posts come into the forums' and regions' rules.
PARTICIPATION_ADAPTER = "moderation.adapter.ModerationParticipation"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
if env_bool("TASKS_IMMEDIATE", not DATABASE_URL):
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_USERNAME_MIN_LENGTH = 3
ACCOUNT_USERNAME_VALIDATORS = "accounts.validators.USERNAME_VALIDATORS"
# Empty: any address may sign up. A comma list (e.g. "minlnv.nl,provincie.nl") restricts it.
SIGNUP_EMAIL_DOMAINS = [d.lower().lstrip("@") for d in env_list("SIGNUP_EMAIL_DOMAINS")]
SIGNUP_OPEN = env_bool("SIGNUP_OPEN", True)
ACCOUNT_USERNAME_BLACKLIST = ["admin", "beheer", "moderator", "staff", "werkplaats", "support"]
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Werkplaats] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if LOCAL_HTTP else "https"
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    # Sign-up says whether a username is taken (usernames are public, on posts); this keeps
    # it from listing the accounts. A room of colleagues behind one address may sign up 30 an
    # hour.
    "signup": "5/m/ip,30/h/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    # Wrong second-factor codes (accounts.forms.SecondFactorLimitMixin): on top of allauth's
    # "login_failed" (five minutes, wiped by a correct code), an hour per address and account.
    "mfa_failed": "30/h/ip,10/h/key",
}
if _NO_LIMITS:
    ACCOUNT_RATE_LIMITS = False

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Werkplaats"
MFA_FORMS = {
    "authenticate": "accounts.forms.AuthenticateForm",
    "reauthenticate": "accounts.forms.ReauthenticateForm",
}
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = LOCAL_HTTP

# Idle timeout (WCAG 2.2.1: warned at least 60 s ahead, one click to stay) and an
# absolute lifetime after which the user logs in again whatever they did.
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_IDLE_WARNING = max(60, env_int("SESSION_IDLE_WARNING", 120))
SESSION_ABSOLUTE_LIFETIME = env_int("SESSION_ABSOLUTE_LIFETIME", 12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Email ----------------------------------------------------------------------------------
EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL:
    from urllib.parse import unquote, urlsplit

    _email = urlsplit(EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or (465 if _email.scheme == "smtps" else 587)
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_SSL = _email.scheme == "smtps"
    EMAIL_USE_TLS = _email.scheme == "smtp+tls"
else:
    EMAIL_BACKEND = os.environ.get(
        "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
    )
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Werkplaats <noreply@werkplaats.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not LOCAL_HTTP)
# Collected files (and their manifest) only in production; locally they come from the source.
STATIC_ROOT = (
    Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles")) if STATIC_MANIFEST else None
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without a collected manifest WhiteNoise serves straight from the source folders.
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

# --- Security -------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not LOCAL_HTTP)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not LOCAL_HTTP)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 0 if LOCAL_HTTP else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", not LOCAL_HTTP)
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        # The nonce lets a page switch on the reader's own controls in shared fragments.
        "style-src": [SELF, NONCE],
        # allauth renders the TOTP QR code as an inline SVG data URI. No other hosts: an image
        # from elsewhere tells its host who reads the page (posts offer images as links).
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "suspicious_as_warning": {"()": "core.logfilters.SuspiciousRequestAsWarning"},
        "database_away_as_warning": {"()": "core.logfilters.DatabaseAwayAsWarning"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        # A handler of their own for the request and security loggers, so the filters see
        # every record (a filter on a logger sees only what is logged on that very logger, not
        # on its children, such as django.security.TooManyFieldsSent).
        "requests": {"class": "logging.StreamHandler", "formatter": "plain",
                     "filters": ["suspicious_as_warning", "database_away_as_warning"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR", "handlers": ["requests"], "propagate": False},
        "django.security": {"handlers": ["requests"], "propagate": False},
        "daphne": {"level": "WARNING"},
    },
}
