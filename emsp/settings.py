"""Settings for the EMSP platform, read from environment variables (12-factor).

With nothing configured the platform runs on embedded defaults: SQLite, Celery tasks run eagerly
in-process, a local fake Stripe, email written to files under var/mail. Setting DATABASE_URL,
CELERY_BROKER_URL and STRIPE_SECRET_KEY switches to the real services. DJANGO_PRODUCTION=true
turns on every deployment safeguard (`manage.py check --deploy` reports nothing).
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("EMSP_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = env_bool("DJANGO_PRODUCTION")
DEBUG = env_bool("DJANGO_DEBUG", default=not PRODUCTION)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_PRODUCTION is on.")
    SECRET_KEY = "insecure-development-key-only-for-the-embedded-defaults-0123456789"

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver"
)
EMSP_PUBLIC_URL = os.environ.get("EMSP_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", EMSP_PUBLIC_URL)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.headless",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_countries",
    "emsp",
    "drivers",
    "tariffs",
    "billing",
    "roaming",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "drivers.middleware.PreferredLanguageMiddleware",
]

ROOT_URLCONF = "emsp.urls"
WSGI_APPLICATION = "emsp.wsgi.application"
ASGI_APPLICATION = "emsp.asgi.application"

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
                "emsp.context_processors.site",
            ],
        },
    },
]

# Database: PostgreSQL (psycopg 3) when DATABASE_URL is set, SQLite otherwise.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'emsp.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue on the lock for up to 20 s instead of failing: a transaction takes the
    # write lock when it begins (a read one upgraded later fails at once when another holds
    # it), and WAL lets readers go on meanwhile. Tests use a file as well, since SQLite's
    # shared in-memory database locks whole tables and ignores the timeout.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-emsp.sqlite3")}
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "drivers.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
# The zone a driver's charging history is counted in (months, dates) unless the app sends its own.
DRIVER_TIME_ZONE = os.environ.get("DRIVER_TIME_ZONE", "Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
WHITENOISE_USE_FINDERS = not PRODUCTION

# Email: files under var/mail by default (a developer reads the verification code there),
# the console with EMAIL_BACKEND=console, SMTP when EMAIL_HOST is set.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "EMSP <no-reply@emsp.example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
elif os.environ.get("EMAIL_BACKEND", "").lower() == "console":
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# Accounts (django-allauth): email + password, verified by a code that works on web and app.
SITE_NAME = os.environ.get("EMSP_SITE_NAME", "EMSP")
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_ADAPTER = "drivers.adapters.AccountAdapter"
ACCOUNT_RATE_LIMITS = {
    # allauth's defaults, stated: 5 failed logins per address per 5 minutes, 10/min per IP.
    "login_failed": "10/m/ip,5/300s/key",
}
LOGIN_REDIRECT_URL = "drivers:dashboard"
LOGIN_URL = "account_login"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
HEADLESS_CLIENTS = ("app", "browser")
HEADLESS_TOKEN_STRATEGY = "drivers.authentication.OneLookupSessionTokenStrategy"
HEADLESS_SERVE_SPECIFICATION = True
HEADLESS_FRONTEND_URLS = {
    "account_reset_password_from_key": f"{EMSP_PUBLIC_URL}/accounts/password/reset/key/{{key}}/",
    "account_signup": f"{EMSP_PUBLIC_URL}/accounts/signup/",
}

# Caches: Redis with CACHE_URL (rate limits shared between processes; use a Redis database of
# its own, not the broker's), local memory otherwise.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "emsp"),
        }
    }
    # Sessions (the app's session tokens too) read from the shared cache, written through to
    # the database: two queries fewer on every API call.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# REST API for the mobile app: allauth's app session token, or the browser session.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "drivers.authentication.AppSessionTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": (
        ["rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"]
        if DEBUG
        else ["rest_framework.renderers.JSONRenderer"]
    ),
    "DEFAULT_SCHEMA_CLASS": "emsp.api.ApiAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "emsp.pagination.StrictLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "emsp.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["emsp.throttling.ApiRateThrottle"],
    # Proxies in front of us that append to X-Forwarded-For (0: the peer address counts, and a
    # client cannot pick its own anonymous budget by sending the header).
    "NUM_PROXIES": int(os.environ.get("API_NUM_PROXIES", "0")),
}
# API rate limits ("<count>/<sec|min|hour|day>"): per app session token (or per user signed in on
# the web), and per client address for anonymous calls. API_RATE_PER_USER is the older name.
API_RATE_PER_TOKEN = os.environ.get(
    "API_RATE_PER_TOKEN", os.environ.get("API_RATE_PER_USER", "600/min")
)
API_RATE_ANONYMOUS = os.environ.get("API_RATE_ANONYMOUS", "60/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "EMSP driver API",
    "DESCRIPTION": (
        "The mobile app's API. Authenticate through allauth's headless app API "
        "(/_allauth/app/v1/) and send the session token as the X-Session-Token header."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"ConnectorStandardEnum": "roaming.ocpi.enums.ConnectorType"},
}

# Celery: a real broker when CELERY_BROKER_URL is set, tasks run in-process otherwise.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or None)
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "emsp")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# Stripe: the real API when STRIPE_SECRET_KEY is set; the local fake server otherwise.
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "sk_test_embedded_localstripe")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "pk_test_embedded_localstripe")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_embedded_localstripe")
STRIPE_API_BASE = os.environ.get(
    "STRIPE_API_BASE", "" if os.environ.get("STRIPE_SECRET_KEY") else "http://127.0.0.1:8420"
)

# Stripe: how we talk to it (billing.stripe_gateway) and what we charge.
STRIPE_TIMEOUT_SECONDS = float(os.environ.get("STRIPE_TIMEOUT_SECONDS", "20"))
STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300
STRIPE_JS_URL = os.environ.get(
    "STRIPE_JS_URL",
    f"{STRIPE_API_BASE.rstrip('/')}/js.stripe.com/v3/"
    if STRIPE_API_BASE
    else "https://js.stripe.com/v3/",
)
# Real Stripe takes off_session on confirm (merchant-initiated charges); the fake server refuses it.
STRIPE_CONFIRM_SENDS_OFF_SESSION = env_bool(
    "STRIPE_CONFIRM_SENDS_OFF_SESSION", default=not STRIPE_API_BASE
)


def env_amounts(name: str, default: str) -> dict[str, str]:
    """`EUR=0.50,GBP=0.30` → {"EUR": "0.50", "GBP": "0.30"} (Decimal strings, per currency)."""
    pairs = (item.split("=", 1) for item in env_list(name, default))
    return {code.strip().upper(): amount.strip() for code, amount in pairs}


# Stripe's minimum charge per currency; smaller amounts are carried to the driver's next payment.
BILLING_MINIMUM_CHARGE = env_amounts(
    "BILLING_MINIMUM_CHARGE",
    "EUR=0.50,USD=0.50,GBP=0.30,CHF=0.50,DKK=2.50,NOK=3.00,SEK=3.00,PLN=2.00,CZK=15.00,"
    "HUF=175,JPY=50,AUD=0.50,CAD=0.50",
)
# Carried small amounts older than this many days are waived (recorded as waived, not lost).
BILLING_SMALL_AMOUNT_WAIVE_AFTER_DAYS = int(
    os.environ.get("BILLING_SMALL_AMOUNT_WAIVE_AFTER_DAYS", "90")
)
# Pre-authorisation holds: at most this much per currency (the default for others: EUR's).
BILLING_HOLD_CAP = env_amounts("BILLING_HOLD_CAP", "EUR=50.00,USD=50.00,GBP=45.00,JPY=7500")
# Off-session retries of a failed payment, in hours after each failure; then it stays open.
BILLING_PAYMENT_RETRY_HOURS = [
    int(hours) for hours in env_list("BILLING_PAYMENT_RETRY_HOURS", "24,72,168")
]
# A payment still pending this long (its task was lost) is processed again by the sweeper.
BILLING_STALE_PENDING_SECONDS = int(os.environ.get("BILLING_STALE_PENDING_SECONDS", "300"))
# A driver with this many unpaid payments, or one unpaid for this many days, may not charge.
BILLING_UNPAID_LIMIT_COUNT = int(os.environ.get("BILLING_UNPAID_LIMIT_COUNT", "2"))
BILLING_UNPAID_LIMIT_DAYS = int(os.environ.get("BILLING_UNPAID_LIMIT_DAYS", "14"))
# Invoices: the seller named on every invoice and credit note.
BILLING_SELLER_NAME = os.environ.get("BILLING_SELLER_NAME", f"{SITE_NAME} B.V.")
BILLING_SELLER_ADDRESS = os.environ.get(
    "BILLING_SELLER_ADDRESS", "Stationsplein 1\n1012 AB Amsterdam\nNetherlands"
).replace("\\n", "\n")
BILLING_SELLER_VAT_ID = os.environ.get("BILLING_SELLER_VAT_ID", "NL000000000B01")
# Pre-authorisation holds at the start of a session (a plan may say otherwise), sized from the
# price preview of this many kWh, capped by BILLING_HOLD_CAP.
BILLING_HOLDS_ENABLED = env_bool("BILLING_HOLDS_ENABLED", default=True)
BILLING_HOLD_PREVIEW_KWH = os.environ.get("BILLING_HOLD_PREVIEW_KWH", "40")
# Rating: our price of the CPO's tariff may differ from their total by this much (per currency
# unit) before the CDR is flagged for reconciliation; CDRs beyond these bounds go to review.
BILLING_RECONCILIATION_TOLERANCE = os.environ.get("BILLING_RECONCILIATION_TOLERANCE", "0.05")
BILLING_CDR_MAX_KWH = os.environ.get("BILLING_CDR_MAX_KWH", "1000")
BILLING_CDR_MAX_DAYS = int(os.environ.get("BILLING_CDR_MAX_DAYS", "7"))
# Invoices and CDRs left half-way (a lost task) are picked up by the sweeper after this long.
BILLING_RATING_STALE_SECONDS = int(os.environ.get("BILLING_RATING_STALE_SECONDS", "300"))
# The Celery queue of invoice charges (Stripe calls); empty: the default queue.
BILLING_CHARGE_QUEUE = os.environ.get("BILLING_CHARGE_QUEUE", "")
CELERY_BEAT_SCHEDULE = {
    "billing-payments-sweep": {"task": "billing.payments_sweep", "schedule": 300.0},
    "billing-invoicing-sweep": {"task": "billing.invoicing_sweep", "schedule": 300.0},
    "billing-subscription-fees": {"task": "billing.subscription_fees_invoice", "schedule": 3600.0},
}

# Driver prices (tariffs app). A DC connector of at least PRICING_HPC_MIN_KW is high-power (HPC)
# for the price plans' power-class rules. The price preview, when the driver gives no figures,
# plans PRICE_PREVIEW_ENERGY_KWH at the connector's power capped per class at what typical cars
# take (PRICE_PREVIEW_POWER_CAP_KW). VAT rates per country are a table in the admin.
PRICING_HPC_MIN_KW = os.environ.get("PRICING_HPC_MIN_KW", "150")
PRICE_PREVIEW_ENERGY_KWH = os.environ.get("PRICE_PREVIEW_ENERGY_KWH", "30")
PRICE_PREVIEW_POWER_CAP_KW = env_amounts("PRICE_PREVIEW_POWER_CAP_KW", "AC=11,DC=50,HPC=150")

# Maps: the tile server the charger map loads its tiles from ({s}, {z}, {x}, {y} as Leaflet
# expects), and the attribution its licence requires.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = os.environ.get(
    "MAP_TILE_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)

# Finding a charger: where the list and the map start when the driver gives no place.
FIND_DEFAULT_LATITUDE = os.environ.get("FIND_DEFAULT_LATITUDE", "52.3791")
FIND_DEFAULT_LONGITUDE = os.environ.get("FIND_DEFAULT_LONGITUDE", "4.9003")

# OCPI: our own identity as an EMSP.
OCPI_COUNTRY_CODE = os.environ.get("OCPI_COUNTRY_CODE", "NL")
OCPI_PARTY_ID = os.environ.get("OCPI_PARTY_ID", "EMS")
OCPI_BUSINESS_NAME = os.environ.get("OCPI_BUSINESS_NAME", SITE_NAME)
# OCPI calls we make: timeout per request, page size of pulls, how often beat pulls each
# partner (incremental, and a full pull to catch what a CPO's last_updated missed), the overlap
# of incremental windows (clock skew, in-flight writes at the CPO), the window of a full
# Sessions pull (the CPO requires date_from), and how long past a command's timeout we wait.
OCPI_TIMEOUT_SECONDS = float(os.environ.get("OCPI_TIMEOUT_SECONDS", "30"))
OCPI_PULL_LIMIT = int(os.environ.get("OCPI_PULL_LIMIT", "500"))
OCPI_PULL_INTERVAL_MINUTES = int(os.environ.get("OCPI_PULL_INTERVAL_MINUTES", "60"))
OCPI_FULL_PULL_INTERVAL_HOURS = int(os.environ.get("OCPI_FULL_PULL_INTERVAL_HOURS", "24"))
OCPI_PULL_OVERLAP_SECONDS = int(os.environ.get("OCPI_PULL_OVERLAP_SECONDS", "60"))
OCPI_SESSIONS_PULL_DAYS = int(os.environ.get("OCPI_SESSIONS_PULL_DAYS", "30"))
OCPI_COMMAND_GRACE_SECONDS = int(os.environ.get("OCPI_COMMAND_GRACE_SECONDS", "10"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

LOGGING["loggers"]["stripe"] = {"level": "WARNING"}  # one INFO line per request otherwise

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
