"""The OpenAPI examples of the accounts API, kept apart so the endpoints read short."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

# Examples are published with the schema: never a working sign-in (no demo address, no demo
# password). ".invalid" is reserved (RFC 2606) and can hold no account.
LOGIN_REQUEST = OpenApiExample(
    "Request",
    value={
        "email": "your.name@example.invalid",
        "password": "your own passphrase",
    },
    request_only=True,
)
LOGIN_SECOND_FACTOR_NEEDED = OpenApiExample(
    "Second factor needed",
    value={
        "status": "mfa_required",
        "mfa_token": "eyJ1Ijo...",
        "methods": ["totp", "recovery"],
        "expires_in": 300,
    },
    response_only=True,
)
LOGIN_MFA_TOTP_REQUEST = OpenApiExample(
    "TOTP",
    value={"mfa_token": "eyJ1Ijo...", "method": "totp", "code": "123456"},
    request_only=True,
)
SIGNUP_REQUEST = OpenApiExample(
    "Request",
    value={
        "email": "new.patient@example.org",
        "password": "a long passphrase of my own",
        "legal_name": "Mary Seacole",
        "date_of_birth": "1985-11-23",
    },
    request_only=True,
)
PROFILE_CHANGE_PHONE = OpenApiExample(
    "Change phone", value={"phone": "+44 20 7946 0958"}, request_only=True
)
