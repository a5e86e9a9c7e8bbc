"""Authentication: passwords, allauth account flows, django-otp MFA, sessions, tokens, rate limits."""

import hashlib

from hospital.settings.base import IS_PRODUCTION, SECRET_KEY, SITE_NAME, env

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # allauth's backend looks emails up case-insensitively and resists timing attacks.
    "allauth.account.auth_backends.AuthenticationBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Argon2id for new hashes, with OWASP's server parameters (19 MiB, 2 passes, parallelism 1;
# see accounts.passwords). Hashes with other Argon2 parameters (Django's 100 MiB, p=8) and
# bcrypt hashes imported from the old system verify and are re-hashed with these at the next
# successful login (Django upgrades to the first hasher's parameters), on the pages and the API.
PASSWORD_HASHERS = [
    "accounts.passwords.HospitalArgon2PasswordHasher",
    "accounts.passwords.LegacyBcryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Password hashes computed at once per process (0: one per core the process may run on), and
# seconds a login waits for a free slot before it answers 503 with Retry-After.
PASSWORD_HASHING_CONCURRENCY = env.get_int("PASSWORD_HASHING_CONCURRENCY", 0, minimum=0)
PASSWORD_HASHING_WAIT = env.get_int("PASSWORD_HASHING_WAIT", 5, minimum=1)
# A sign-up answers no sooner than this after it began, so a taken address (no rows written)
# cannot be told from a new one by the time it takes (accounts.services.registration).
SIGNUP_MINIMUM_SECONDS = env.get_int("SIGNUP_MINIMUM_MILLISECONDS", 250) / 1000
# NIST SP 800-63B rev. 4: length, not composition; no rotation; block common/breached ones.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 15},
    },
    {"NAME": "accounts.passwords.MaximumLengthValidator", "OPTIONS": {"max_length": 256}},
    {"NAME": "accounts.passwords.BreachedPasswordValidator"},
    {"NAME": "accounts.passwords.ContextWordsValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]

LOGIN_URL = "account_login"
# Each role lands on its own home (hospital.views.start).
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "home"

# --- allauth: account flows ---------------------------------------------------------
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_FORMS = {
    "login": "accounts.forms.HospitalLoginForm",
    "signup": "accounts.forms.PatientSignupForm",
    "change_password": "accounts.forms.HospitalChangePasswordForm",
    "reset_password": "accounts.forms.HospitalResetPasswordForm",
    "reset_password_from_key": "accounts.forms.HospitalResetPasswordKeyForm",
    "reauthenticate": "accounts.forms.HospitalReauthenticateForm",
}
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 2
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_MAX_EMAIL_ADDRESSES = 2
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False  # the current session stays; every other one ends
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_BY_CODE_ENABLED = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if IS_PRODUCTION else "http"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
# allauth's limits are off: our limiter (accounts.ratelimits) counts sign-in, sign-up, password
# reset, second-factor codes, SMS sends and re-entering the password to confirm a change
# (accounts.services.reauthentication, also behind allauth's reauthentication page through
# ACCOUNT_FORMS["reauthenticate"]), on the pages and the API alike (429 + Retry-After).
ACCOUNT_RATE_LIMITS = False

# --- django-otp: the one store of MFA devices -----------------------------------------
OTP_TOTP_ISSUER = SITE_NAME
OTP_SMS_TOKEN_VALIDITY = 300
# django-otp's own throttle (an exponential delay per device after each wrong code: days after
# twenty) is off. It counted per account only, so whoever had the password could keep the
# owner out of the second step. Codes are limited like passwords instead: per address and
# per account+address, the challenge after a few failures, the lock at 100 (see below).
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_SMS_THROTTLE_FACTOR = 0
OTP_RECOVERY_THROTTLE_FACTOR = 0
MFA_RECOVERY_CODE_COUNT = 10
# Key for the recovery-code digests. Defaults to one derived from SECRET_KEY; set its own
# value so that rotating SECRET_KEY does not invalidate everyone's recovery codes.
MFA_RECOVERY_CODE_KEY = env.get_str(
    "MFA_RECOVERY_CODE_KEY", hashlib.sha256(f"recovery-codes:{SECRET_KEY}".encode()).hexdigest()
)
OTP_WEBAUTHN_RP_ID = env.get_str("WEBAUTHN_RP_ID", "localhost")
OTP_WEBAUTHN_RP_NAME = SITE_NAME
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.get_list("WEBAUTHN_ALLOWED_ORIGINS", ["http://localhost:8000"])
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False  # a passkey is a second factor here

# --- Sessions and tokens -------------------------------------------------------------
SESSION_IDLE_TIMEOUT_STAFF = env.get_int("SESSION_IDLE_TIMEOUT_STAFF", 15 * 60, minimum=60)
SESSION_IDLE_TIMEOUT_PATIENT = env.get_int("SESSION_IDLE_TIMEOUT_PATIENT", 30 * 60, minimum=60)
SESSION_ABSOLUTE_LIFETIME = env.get_int("SESSION_ABSOLUTE_LIFETIME", 12 * 60 * 60, minimum=300)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
API_ACCESS_TOKEN_LIFETIME = env.get_int("API_ACCESS_TOKEN_LIFETIME", 5 * 60, minimum=30)
# Seconds in which a refresh token presented again gets the same new pair (apps that refresh
# from parallel requests); 0 turns the window off. See accounts/services/refresh_grace.py.
API_REFRESH_GRACE_SECONDS = env.get_int("API_REFRESH_GRACE_SECONDS", 30)
API_MFA_PENDING_LIFETIME = 5 * 60

# --- Abuse resistance -----------------------------------------------------------------
RATE_LIMITS_ENABLED = env.get_bool("RATE_LIMITS_ENABLED", default=True)
# Sign-in attempts are limited per address and per account+address (accounts.ratelimits);
# failures on one account from anywhere never refuse its owner, they ask for more
# (accounts.services.lockout):
# consecutive failures of one account's password (or of its second factor) before every
# further attempt must carry a solved proof-of-work challenge (core.challenge);
LOGIN_CHALLENGE_AFTER_FAILURES = env.get_int("LOGIN_CHALLENGE_AFTER_FAILURES", 3, minimum=1)
LOGIN_CHALLENGE_DIFFICULTY_BITS = env.get_int("LOGIN_CHALLENGE_DIFFICULTY_BITS", 18, minimum=1)
# consecutive failures before the account locks until its owner opens the link emailed to
# them or resets the password (NIST SP 800-63B 5.2.2: no more than 100);
LOGIN_LOCK_AFTER_FAILURES = env.get_int("LOGIN_LOCK_AFTER_FAILURES", 100, minimum=10)
# how long a run of failures is remembered after the latest one (seconds);
LOGIN_FAILURE_MEMORY = env.get_int("LOGIN_FAILURE_MEMORY", 30 * 24 * 60 * 60, minimum=3600)
# how long the emailed unlock link works (seconds).
LOGIN_UNLOCK_LINK_MAX_AGE = env.get_int("LOGIN_UNLOCK_LINK_MAX_AGE", 7 * 24 * 60 * 60, minimum=3600)

# --- Outgoing messages ------------------------------------------------------------------
EMAIL_BACKEND = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "sendgrid": "core.mail.backends.sendgrid.EmailBackend",
}[env.get_choice("EMAIL_BACKEND", ("console", "smtp", "file", "locmem", "sendgrid"), "console")]
EMAIL_HOST = env.get_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env.get_int("EMAIL_PORT", 1025, minimum=1)
EMAIL_HOST_USER = env.get_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env.get_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.get_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.get_str(
    "DEFAULT_FROM_EMAIL", "St. Example Hospital <no-reply@hospital.example>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

SMS_BACKEND = {
    "file": "core.sms.backends.filebased.SmsBackend",
    "locmem": "core.sms.backends.locmem.SmsBackend",
    "twilio": "core.sms.backends.twilio.SmsBackend",
}[env.get_choice("SMS_BACKEND", ("file", "locmem", "twilio"), "file")]
TWILIO_API_URL = env.get_str("TWILIO_API_URL", "https://api.twilio.com")
TWILIO_ACCOUNT_SID = env.get_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env.get_str("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env.get_str("TWILIO_FROM_NUMBER")
# EMAIL_BACKEND=sendgrid: SendGrid's v3 Mail Send API (https; plain http only for a local
# stand-in), and the base64 public key of its Signed Event Webhook (core.mail).
SENDGRID_API_URL = env.get_str("SENDGRID_API_URL", "https://api.sendgrid.com")
SENDGRID_API_KEY = env.get_str("SENDGRID_API_KEY")
SENDGRID_WEBHOOK_PUBLIC_KEY = env.get_str("SENDGRID_WEBHOOK_PUBLIC_KEY")
