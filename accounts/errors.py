"""Error codes of the accounts app (see core/errors.py for the contract)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.errors import (
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    register_error_code,
)

# Answered by the accounts middlewares (not raised as a DomainError).
SESSION_EXPIRED = register_error_code("SESSION_EXPIRED", 401)
MFA_ENROLMENT_REQUIRED = register_error_code("MFA_ENROLMENT_REQUIRED", 403)


class TranslatedError(DomainError):
    """A DomainError whose default message is translated when it is raised, into the language
    of the request it answers. The messages are marked with ``gettext_noop`` (extracted, kept
    in English here): ``DomainError.default_message`` is a ``str``, and the message must stay
    a plain string for what stores it as JSON (the idempotency record of a refusal)."""

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message or _(self.default_message), code=code)


class InvalidCredentials(TranslatedError):
    code = "INVALID_CREDENTIALS"
    status = 400
    # The same words for unknown emails, wrong passwords and inactive accounts (no enumeration).
    default_message = gettext_noop("The email address and/or password you entered are not correct.")


class ChallengeRequired(TranslatedError):
    code = "CHALLENGE_REQUIRED"
    status = 400
    default_message = gettext_noop(
        "Several sign-in attempts failed for this account. Solve the challenge and try again."
    )

    def __init__(self, challenge: dict[str, object], message: str | None = None) -> None:
        super().__init__(message)
        self.challenge = challenge
        self.extra = {"challenge": challenge}


class AccountLocked(TranslatedError):
    code = "ACCOUNT_LOCKED"
    status = 403
    # The same words whether or not the email has an account (no enumeration).
    default_message = gettext_noop(
        "Sign-in to this account is locked after too many failed attempts. Its owner can "
        "unlock it with the link we emailed them, or by resetting the password."
    )


class EmailNotVerified(TranslatedError):
    code = "EMAIL_NOT_VERIFIED"
    status = 403
    default_message = gettext_noop(
        "Confirm your email address first: we sent you a link when you signed up."
    )


class InvalidOtp(TranslatedError):
    code = "INVALID_OTP"
    status = 400
    default_message = gettext_noop(
        "That code is not valid. Check it and try again, or use another method."
    )


class InvalidToken(TranslatedError):
    code = "INVALID_TOKEN"
    status = 401
    default_message = gettext_noop("The token is invalid or has expired. Sign in again.")


class DeviceNotFound(TranslatedError, NotFoundError):
    code = "DEVICE_NOT_FOUND"
    default_message = gettext_noop("No such authentication method.")


class SessionNotFound(TranslatedError, NotFoundError):
    code = "SESSION_NOT_FOUND"
    default_message = gettext_noop("No such session.")


class LastFactorRemoval(TranslatedError, ConflictError):
    code = "LAST_FACTOR"
    default_message = gettext_noop(
        "Staff accounts must keep at least one authenticator app, passkey or phone."
    )


class MfaNotEnabled(TranslatedError, ConflictError):
    code = "MFA_NOT_ENABLED"
    default_message = gettext_noop("Set up an authenticator app, a passkey or a phone first.")


class ReauthenticationRequired(TranslatedError, PermissionDeniedError):
    code = "REAUTHENTICATION_REQUIRED"
    default_message = gettext_noop("Confirm your password again to make this change.")


class MfaRequired(TranslatedError, PermissionDeniedError):
    code = "MFA_REQUIRED"
    default_message = gettext_noop(
        "This account already has a second factor, and this session has not passed it. "
        "Sign in again with your second factor, then make this change."
    )


class PrivilegeChangeRefused(TranslatedError, PermissionDeniedError):
    """Who may grant what: ``accounts.permissions.privilege_change_refusals``."""

    code = "PRIVILEGE_CHANGE_REFUSED"
    default_message = gettext_noop("You may not change these privileges.")

    def __init__(self, refusals: Mapping[str, str]) -> None:
        super().__init__(" ".join(sorted(set(refusals.values()))))
        self.refusals = dict(refusals)
        self.extra = {"errors": {field: [reason] for field, reason in self.refusals.items()}}


class AccountChangeRefused(TranslatedError, PermissionDeniedError):
    code = "ACCOUNT_CHANGE_REFUSED"
    default_message = gettext_noop("You may not change this account.")


class IdentityChangeNeedsRequest(TranslatedError):
    """A profile change that touches identity fields (legal name, date of birth, sex)."""

    code = "IDENTITY_CHANGE_NEEDS_REQUEST"
    status = 400
    default_message = gettext_noop(
        "Your legal name, date of birth and sex change only through an identity change "
        "request, which the reception checks. Nothing was changed."
    )

    def __init__(self, fields: Sequence[str], *, endpoint: str) -> None:
        super().__init__()
        message = _("Ask for this change with POST %(endpoint)s.") % {"endpoint": endpoint}
        self.extra = {
            "errors": {field: [message] for field in fields},
            "identity_change_requests": endpoint,
        }


class IdentityChangeRequestNotFound(TranslatedError, NotFoundError):
    code = "IDENTITY_CHANGE_REQUEST_NOT_FOUND"
    default_message = gettext_noop("No such identity change request.")


class IdentityChangeAlreadyDecided(TranslatedError, ConflictError):
    code = "IDENTITY_CHANGE_ALREADY_DECIDED"
    default_message = gettext_noop("This request was already decided or replaced by a newer one.")


class IdentityDecisionRefused(TranslatedError, PermissionDeniedError):
    code = "IDENTITY_DECISION_REFUSED"
    default_message = gettext_noop(
        "Only the reception and administrators decide identity changes, and never their own."
    )


class InvalidPasskey(TranslatedError):
    code = "INVALID_PASSKEY"
    status = 400
    default_message = gettext_noop(
        "That passkey could not be verified. Start the passkey step again, or use another method."
    )
