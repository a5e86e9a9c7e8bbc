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
        "methods": ["passkey", "totp", "recovery"],
        "expires_in": 300,
    },
    response_only=True,
)
LOGIN_AUTHENTICATED = OpenApiExample(
    "Signed in",
    value={
        "status": "authenticated",
        "tokens": {
            "token_type": "Bearer",
            "access_token": "k3J9mQ2x...",
            "access_expires_at": "2026-03-02T09:05:00Z",
            "expires_in": 300,
            "refresh_token": "Zp8vT1c...",
            "refresh_expires_at": "2026-03-16T09:00:00Z",
            "session_id": "2b7e4c1d-9a3f-4e6b-8c5d-1f0a2b3c4d5e",
        },
        "mfa_enrolment_required": False,
    },
    response_only=True,
)
LOGIN_MFA_TOTP_REQUEST = OpenApiExample(
    "TOTP",
    value={"mfa_token": "eyJ1Ijo...", "method": "totp", "code": "123456"},
    request_only=True,
)
LOGIN_MFA_PASSKEY_REQUEST = OpenApiExample(
    "Passkey",
    value={
        "mfa_token": "eyJ1Ijo...",
        "method": "passkey",
        "credential": {
            "id": "hVtXJ8ki0Q3f...",
            "rawId": "hVtXJ8ki0Q3f...",
            "type": "public-key",
            "response": {
                "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0Ii...",
                "authenticatorData": "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ",
                "signature": "MEUCIQDk...",
                "userHandle": None,
            },
            "clientExtensionResults": {},
        },
    },
    request_only=True,
)
PASSKEY_OPTIONS = OpenApiExample(
    "Options",
    value={
        "challenge": "q8sVf5V4a1aGqkq2...",
        "timeout": 60000,
        "rpId": "hospital.example",
        "allowCredentials": [
            {"id": "hVtXJ8ki0Q3f...", "type": "public-key", "transports": ["internal"]}
        ],
        "userVerification": "discouraged",
    },
    response_only=True,
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
