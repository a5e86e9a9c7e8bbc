"""Error codes of the accounts app (see core/errors.py for the contract)."""

from __future__ import annotations

from core.errors import ConflictError, DomainError, NotFoundError, PermissionDeniedError


class InvalidCredentials(DomainError):
    code = "INVALID_CREDENTIALS"
    status = 400
    # The same words for unknown emails, wrong passwords and inactive accounts (no enumeration).
    default_message = "The email address and/or password you entered are not correct."


class ChallengeRequired(DomainError):
    code = "CHALLENGE_REQUIRED"
    status = 400
    default_message = (
        "Several sign-in attempts failed for this account. Solve the challenge and try again."
    )

    def __init__(self, challenge: dict[str, object], message: str | None = None) -> None:
        super().__init__(message)
        self.challenge = challenge
        self.extra = {"challenge": challenge}


class EmailNotVerified(DomainError):
    code = "EMAIL_NOT_VERIFIED"
    status = 403
    default_message = "Confirm your email address first: we sent you a link when you signed up."


class InvalidOtp(DomainError):
    code = "INVALID_OTP"
    status = 400
    default_message = "That code is not valid. Check it and try again, or use another method."


class InvalidToken(DomainError):
    code = "INVALID_TOKEN"
    status = 401
    default_message = "The token is invalid or has expired. Sign in again."


class DeviceNotFound(NotFoundError):
    code = "DEVICE_NOT_FOUND"
    default_message = "No such authentication method."


class SessionNotFound(NotFoundError):
    code = "SESSION_NOT_FOUND"
    default_message = "No such session."


class LastFactorRemoval(ConflictError):
    code = "LAST_FACTOR"
    default_message = "Staff accounts must keep at least one authenticator app, passkey or phone."


class ReauthenticationRequired(PermissionDeniedError):
    code = "REAUTHENTICATION_REQUIRED"
    default_message = "Confirm your password again to make this change."


class MfaRequired(PermissionDeniedError):
    code = "MFA_REQUIRED"
    default_message = (
        "This account already has a second factor, and this session has not passed it. "
        "Sign in again with your second factor, then make this change."
    )
