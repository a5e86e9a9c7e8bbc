"""Core Django settings: apps, middleware, templates, static files, locale."""

import zoneinfo
from pathlib import Path

from core.security_headers import add_static_headers
from hospital.settings.environment import ConfigurationError, Environment

env = Environment.from_os()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env.get_str("HOSPITAL_VAR_DIR", str(BASE_DIR / "var")))

# "development" runs on embedded defaults; "production" refuses unsafe settings.
ENVIRONMENT = env.get_choice("DJANGO_ENV", ("development", "production"), "development")
IS_PRODUCTION = ENVIRONMENT == "production"

DEBUG = env.get_bool("DJANGO_DEBUG", default=not IS_PRODUCTION)

_DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-key-never-use-this-in-production"  # noqa: S105
SECRET_KEY = env.get_str("DJANGO_SECRET_KEY", _DEVELOPMENT_SECRET_KEY)

ALLOWED_HOSTS = env.get_list(
    "DJANGO_ALLOWED_HOSTS",
    [] if IS_PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"],
)

if IS_PRODUCTION:
    if DEBUG:
        raise ConfigurationError("DJANGO_DEBUG", "must be off when DJANGO_ENV=production")
    if SECRET_KEY == _DEVELOPMENT_SECRET_KEY or SECRET_KEY.startswith("django-insecure"):
        raise ConfigurationError(
            "DJANGO_SECRET_KEY", "must be set to a secret value when DJANGO_ENV=production"
        )
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ConfigurationError("DJANGO_SECRET_KEY", "must be at least 50 random characters")
    if not ALLOWED_HOSTS:
        raise ConfigurationError(
            "DJANGO_ALLOWED_HOSTS", "must list the site's host names when DJANGO_ENV=production"
        )

INSTALLED_APPS = [
    "hospital.apps.HospitalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "allauth",
    "accounts.apps.SignInEmailAddressesConfig",  # allauth.account, named for the admin
    "django_otp",
    "accounts.apps.AuthenticatorAppsConfig",  # django_otp's TOTP plugin, named for the admin
    "django_otp_webauthn",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    # Project apps, bottom layer first (see docs/architecture.md).
    "core",
    "audit",
    "accounts",
    "appointments",
    "notifications",
    "hospital.apps.HospitalConfig",
]

MIDDLEWARE = [
    # First: request latency per route (core.metrics) covers the whole stack.
    "core.metrics_middleware.RequestMetricsMiddleware",
    # A liveness probe the stack already answered gets the same answer at once (counted by
    # the metrics above, with a request id of its own).
    "core.probes.HealthProbeMiddleware",
    "core.request_id.RequestIdMiddleware",
    # Before anything that reads the session, the cache or the database: a request that
    # waited longer than REQUEST_QUEUE_TIMEOUT before reaching Django answers 503 at once
    # (counted, with its request id, by the two above).
    "core.queue_time.QueueTimeMiddleware",
    # Writes the request's reads of medical data and its refusal (403, 404, 429) to the audit
    # before the response leaves; outside everything that can refuse (audit/access.py).
    "audit.access.AccessAuditMiddleware",
    "core.api.ApiCachingMiddleware",
    "core.local_time.ApiSpeaksUtcMiddleware",
    # Cross-origin preflights get a clear 403 before sessions and authentication.
    "core.cors.CrossOriginRefusalMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The page's language from the switcher's cookie or Accept-Language (after the session;
    # before anything that answers with words).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's AuthenticationMiddleware and django-otp's OTPMiddleware in one, the user's row
    # read through the authentication cache (accounts.auth_cache).
    "accounts.middleware.AuthenticationMiddleware",
    # A signed-in person's saved language wins over the browser's.
    "accounts.language.UserLanguageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.security_headers.SecurityHeadersMiddleware",
    "accounts.middleware.LoginRequiredMiddleware",
    "accounts.middleware.StaffMfaEnrolmentMiddleware",
    "core.ratelimit.RateLimitMiddleware",
    "core.errors.ApiErrorMiddleware",
    # Last: refuses an oversized body before any process_view reads it, and its
    # process_exception runs first (413, not a logged 500).
    "core.payload.PayloadTooLargeMiddleware",
]


def _seconds(name: str, default: float) -> float:
    raw = env.get_str(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(name, f"expected a number of seconds, got {raw!r}") from None
    if not 0 <= value < float("inf"):
        raise ConfigurationError(name, f"must be 0 (off) or a positive number, got {raw!r}")
    return value


# Load shedding (core.queue_time): a request the reverse proxy stamped (X-Request-Start) more
# than this many seconds before it reached Django answers 503 with Retry-After, before any
# work. Without a stamp nothing is shed. 0 turns it off.
REQUEST_QUEUE_TIMEOUT = _seconds("REQUEST_QUEUE_TIMEOUT", 2.0)

ROOT_URLCONF = "hospital.urls"
WSGI_APPLICATION = "hospital.wsgi.application"
ASGI_APPLICATION = "hospital.asgi.application"

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
                "hospital.context_processors.site",
                "appointments.context_processors.navigation",
                "accounts.context_processors.time_zone",
                "accounts.context_processors.idle_sign_out",
                # After Django's built-in csrf one (always first), whose token it replaces.
                "core.csrf.csrf",
            ],
        },
    },
]

SITE_ID = 1
# Covering indexes (INCLUDE) are a PostgreSQL speed-up; SQLite (development) builds them
# without the extra columns, which is what we want there.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

LANGUAGE_CODE = "en-gb"
# Our catalogues first: locale/en puts allauth's Title Case headings in sentence case
# (locale/sentence_case.py writes it).
LOCALE_PATHS = [BASE_DIR / "locale"]
# The languages the pages are written in, each named in itself for the switcher; English is
# the source, locale/es and locale/ar the catalogues (`make messages`). A signed-in person's
# choice (User.language) wins over the browser's (accounts.language).
LANGUAGES = [
    ("en", "English"),
    ("es", "Espa\u00f1ol"),
    ("ar", "\u0627\u0644\u0639\u0631\u0628\u064a\u0629"),
]
LANGUAGES_BIDI = ["ar"]
# Languages patients can choose for communication (an interpreter, messages where the wording
# exists in it): more than the pages are written in.
COMMUNICATION_LANGUAGES = [
    ("en", "English"),
    ("cy", "Welsh"),
    ("es", "Spanish"),
    ("fr", "French"),
    ("de", "German"),
    ("pl", "Polish"),
    ("pt", "Portuguese"),
    ("ro", "Romanian"),
    ("ar", "Arabic"),
    ("ur", "Urdu"),
    ("pa", "Punjabi"),
    ("zh-hans", "Chinese (Simplified)"),
]
# The hospital's time zone: pages show times in it unless they name another (a practitioner's,
# a patient's own); "today" at reception is a day in it. Times are stored in UTC regardless.
TIME_ZONE = env.get_str("TIME_ZONE", "Europe/London")
if TIME_ZONE not in zoneinfo.available_timezones():
    raise ConfigurationError(
        "TIME_ZONE", f"expected an IANA time zone name such as Europe/London, got {TIME_ZONE!r}"
    )
# Phone numbers typed without a country code (at the front desk) are read as this country's
# (ISO 3166 two-letter code); stored numbers are always E.164.
HOSPITAL_PHONE_REGION = env.get_str("HOSPITAL_PHONE_REGION", "GB").upper()
USE_I18N = True
USE_TZ = True
# Our locale formats first (the 24-hour clock in every language); Django's fill the rest.
FORMAT_MODULE_PATH = ["hospital.formats"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SITE_NAME = env.get_str("HOSPITAL_SITE_NAME", "St. Example Hospital")
# /styleguide/: the design system's components, for staff; on while developing.
STYLEGUIDE_ENABLED = env.get_bool("HOSPITAL_STYLEGUIDE", DEBUG)
# How to reach the hospital, on the public home page (and wherever a page says "call us").
HOSPITAL_CONTACT = {
    "phone": env.get_str("HOSPITAL_CONTACT_PHONE", "+44 20 7946 0000"),
    "email": env.get_str("HOSPITAL_CONTACT_EMAIL", "reception@hospital.example"),
    "address": env.get_str("HOSPITAL_ADDRESS", "1 Example Street, London EC1A 1AA"),
    "hours": env.get_str("HOSPITAL_RECEPTION_HOURS", "Every day, 07:30 to 20:00"),
}
# Host (and port) of the public site, used in links in emails.
# In production it must be set: emails would otherwise send people to 127.0.0.1:8000. Every
# `migrate` writes it (and SITE_NAME) to the sites framework's row, which allauth reads.
SITE_DOMAIN = env.get_str("HOSPITAL_SITE_DOMAIN", "" if IS_PRODUCTION else "127.0.0.1:8000")
if IS_PRODUCTION and not SITE_DOMAIN:
    raise ConfigurationError(
        "HOSPITAL_SITE_DOMAIN",
        "must be the public host of the site (links in emails) when DJANGO_ENV=production",
    )

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files need `collectstatic`; development serves from the finders.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
# WhiteNoise answers before the middleware that adds security headers: add them here too.
WHITENOISE_ADD_HEADERS_FUNCTION = add_static_headers
