"""Settings for Interview Prep, read from environment variables.

Every variable goes through a small typed helper that refuses a malformed value, so a typo in
deployment fails at start-up instead of silently falling back to a default.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no, on/off), not {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_rate(name: str, default: str) -> str:
    """A django-ratelimit rate: a count, a slash, an optional number and s, m, h or d."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip()
    if not re.fullmatch(r"[0-9]+/[0-9]*[smhd]", value):
        raise ImproperlyConfigured(
            f"{name} must be a rate such as 10/h or 5/15m (per s, m, h or d), not {raw!r}"
        )
    return value


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
SECRET_KEY_MISSING = (
    "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off "
    "(for local development run `make run`, which turns DEBUG on)."
)
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "insecure-development-key-never-use-in-production"
# With DEBUG off and no key, commands that sign nothing (migrate, makemigrations, the bank
# imports) still run; serving refuses to start (wsgi.py) and `check --deploy` fails.

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "simple_history",
    "csp",
    "axes",
    # Its system checks refuse a cache that cannot count atomically across processes.
    "django_ratelimit",
    # The project package itself: it owns the database cache's table (a migration).
    "interview_prep.apps.InterviewPrepConfig",
    "questions",
    "sessions.apps.InterviewsConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # HTML compressed, padded against BREACH (and every form's CSRF token is masked afresh per
    # response). Below whitenoise, whose static files are compressed already, and above every
    # middleware that reads or changes a body, so it compresses their final version.
    "django.middleware.gzip.GZipMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After htmx's (it watches request.htmx) and outside everything that may consult it.
    "interview_prep.middleware.CacheHeadersMiddleware",
    # Before any view reads the query string; after auth and messages, for the 400 page.
    "interview_prep.middleware.RefuseControlCharactersMiddleware",
    # Outside the views' login_required: an htmx request signed out gets a 401, not the login page.
    "interview_prep.middleware.HtmxSignedOutMiddleware",
    # After auth, messages and htmx: it ends forgotten interviews on the owner's page loads.
    "sessions.middleware.OpenInterviewMiddleware",
    # Records who made each change to the bank, whichever view or command saved it.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "interview_prep.urls"

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
                "interview_prep.context_processors.csp_nonce",
            ],
        },
    },
]

WSGI_APPLICATION = "interview_prep.wsgi.application"

if os.environ.get("DATABASE_URL") == "":
    # dj-database-url would return no database at all, and Django fail later with a KeyError.
    raise ImproperlyConfigured(
        "DATABASE_URL is set but empty: give a database URL, or unset it to use SQLite"
    )
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DJANGO_DB_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable database must give a quick 503, not a request hanging for minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("DJANGO_DB_CONNECT_TIMEOUT", 5, minimum=1)
    )

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock when a transaction starts, so two concurrent writers queue up instead
    # of one failing with "database is locked" halfway through.
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    # Tests use a file, not the shared in-memory database: there two overlapping requests to
    # the browser tests' live server fail at once with "table is locked" instead of waiting.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # django-axes first, so a locked-out username+IP is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Password reset links (Django's views) stop working after two hours, and once used.
PASSWORD_RESET_TIMEOUT = 2 * 60 * 60

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Security. One switch for a deployment served over HTTPS behind a proxy that terminates TLS
# and sets X-Forwarded-Proto.
HTTPS = env_bool("DJANGO_HTTPS", False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "interview_prep.views.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# The token reaches pages through the template (hx-headers), so scripts never need the cookie.
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        # A recording is played back from the browser's own copy (a blob: URL).
        "media-src": [SELF, "blob:"],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# The client's address (interview_prep.client_ip): behind this many reverse proxies, each
# appending to X-Forwarded-For, the client is that many entries from the header's right. 0: no
# proxy, the header is ignored and REMOTE_ADDR is the client.
TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0, minimum=0)

# A cache every process shares: the throttles count in it. Django's database cache by default
# (its table comes from interview_prep's migration 0001), with an atomic increment
# (interview_prep.cache); Redis when REDIS_URL is set (install the `redis` extra).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "interview_prep.cache.AtomicDatabaseCache",
            "LOCATION": "interview_prep_cache",
        }
    }
# django-ratelimit "does not officially support" backends outside its short list (Django's own
# RedisCache among them); both of ours increment atomically, which is what its check is for.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

# Throttles (interview_prep.throttle): posts per client address, as django-ratelimit rates
# ("10/h": ten an hour). Past the rate the form answers 429 and keeps what was typed.
THROTTLE_RATES = {
    "signup": env_rate("THROTTLE_SIGNUP_RATE", "10/h"),
    "password_change": env_rate("THROTTLE_PASSWORD_CHANGE_RATE", "10/h"),
    "password_reset": env_rate("THROTTLE_PASSWORD_RESET_RATE", "5/h"),
}

# E-mail (password reset links). In development they are printed to the console; in production
# they go out through SMTP, configured by these variables.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Interview Prep <noreply@localhost>")
if DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    # A mail server that does not answer must not hold a web worker for long.
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)

# Login brute force: 5 failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=15)
# Keyed on the pair: failures from an attacker's address lock that username there only, so the
# owner, coming from another address, still logs in. The address is the client's, not the
# proxy's (interview_prep.client_ip, one rule with the throttles).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "interview_prep.client_ip.client_ip"
AXES_RESET_ON_SUCCESS = True
# The lockout page promises 15 minutes from the fifth failure: attempts while locked are refused
# without checking the password, so they gain an attacker nothing and must not extend the wait.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "429.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False  # no banner on every management command

# Interviews. A reveal this long after the deadline still counts as on time (network latency).
INTERVIEW_GRACE_SECONDS = env_int("INTERVIEW_GRACE_SECONDS", 3, minimum=0)
# The largest spoken answer kept on the server (sessions.Recording), in bytes: about five
# minutes of Opus speech fits in 5 MB several times over.
RECORDING_MAX_BYTES = env_int("RECORDING_MAX_BYTES", 5 * 1024 * 1024, minimum=1)
# An open interview untouched for this long is ended as abandoned on its owner's next page load.
INTERVIEW_ABANDON_AFTER_HOURS = env_int("INTERVIEW_ABANDON_AFTER_HOURS", 24, minimum=1)
# The shortest time limit a candidate may choose; browser tests lower it to keep waits short.
INTERVIEW_MIN_SECONDS_PER_ITEM = env_int("INTERVIEW_MIN_SECONDS_PER_ITEM", 15, minimum=1)
INTERVIEW_MAX_SECONDS_PER_ITEM = 900
INTERVIEW_MAX_QUESTIONS = 30
# The memory model (sessions.memory): the recall FSRS schedules each review for.
FSRS_DESIRED_RETENTION = 0.9
# The bank list's "due" and "never seen" filters are the memory model's rule; the bank app reads
# it from here, as it never imports the interviews app.
QUESTIONS_MEMORY_FILTER = "sessions.memory.bank_filter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # django-axes logs every successful login at INFO; lockouts are warnings.
    "loggers": {"axes": {"level": "WARNING"}},
}
