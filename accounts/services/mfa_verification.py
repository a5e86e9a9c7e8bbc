"""Checking a second factor at sign-in (pages and API): a code (authenticator app, SMS,
recovery code) or a passkey assertion. Setting factors up is in accounts.services.mfa."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.exceptions import OTPWebAuthnApiError
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.utils import rewrite_exceptions

from accounts import ratelimits
from accounts.errors import InvalidOtp, InvalidPasskey
from accounts.events import RecoveryCodeUsed
from accounts.models import RecoveryCodeDevice, SmsDevice, User
from accounts.selectors.mfa import Method
from accounts.services import lockout
from audit.services import Outcome, record
from core.caller import client_ip
from core.events import publish

logger = logging.getLogger(__name__)


def sms_challenge_send(*, user: User) -> bool:
    """Text a login code to the user's confirmed phone, if they have one."""
    device = SmsDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return False
    ratelimits.sms_send_attempt(user_id=user.pk)
    device.generate_challenge()
    return True


def otp_verify(
    *,
    user: User,
    method: str,
    code: str,
    request: HttpRequest | None = None,
    challenge_token: str = "",
    challenge_nonce: str = "",
) -> Device:
    """Check a second-factor code for a login; return the device that verified it.

    Rate limited per address and per account+address; after a few failures on the account
    a solved challenge is required, after LOGIN_LOCK_AFTER_FAILURES the account locks
    (accounts.services.lockout). A TOTP code is accepted once (replay refused); a recovery
    code is spent. The outcome is audited either way.
    """
    ratelimits.otp_attempt(
        ip=client_ip(request) if request else None,
        user_id=user.pk,
        recovery=method == Method.RECOVERY,
    )
    who = lockout.signing_in_user(user=user)
    lockout.attempt_allowed(
        who=who,
        factor=lockout.Factor.OTP,
        request=request,
        challenge_token=challenge_token,
        challenge_nonce=challenge_nonce,
    )
    models: dict[str, type[Device]] = {
        Method.TOTP: TOTPDevice,
        Method.SMS: SmsDevice,
        Method.RECOVERY: RecoveryCodeDevice,
    }
    model = models.get(method)
    code = (code or "").strip()
    if model is None or not code or len(code) > 32:
        raise InvalidOtp()
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).first()
        verified = device is not None and device.verify_token(
            code.replace(" ", "") if method != Method.RECOVERY else code
        )
        if verified:
            record(
                action="accounts.recovery_code_used"
                if method == Method.RECOVERY
                else "accounts.mfa_verified",
                actor=user,
                target=user,
                request=request,
                details={"method": method},
            )
            if method == Method.RECOVERY:
                publish(RecoveryCodeUsed(user_id=user.public_id, at=timezone.now()))
    if not verified:
        record(
            action="accounts.mfa_failed",
            outcome=Outcome.FAILURE,
            actor=user,
            target=user,
            request=request,
            details={"method": method},
        )
        lockout.attempt_failed(who=who, factor=lockout.Factor.OTP, request=request)
        raise InvalidOtp()
    lockout.attempt_succeeded(who=who, factor=lockout.Factor.OTP)
    assert device is not None  # noqa: S101 - verified implies a device
    return device


# --- Passkeys -----------------------------------------------------------------------------
# The assertion a browser's navigator.credentials.get() or a phone's passkey API returns is
# checked by django-otp-webauthn's helper (py_webauthn): challenge, origin, RP id, signature,
# sign count, and that the credential is one of this user's.


def passkey_options(*, user: User, request: HttpRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    """PublicKeyCredentialRequestOptions (JSON form) listing the user's passkeys, and the
    state that must come back to :func:`passkey_verify` (kept server-side by the caller)."""
    ratelimits.otp_attempt(ip=client_ip(request), user_id=user.pk)
    lockout.refuse_if_locked(
        who=lockout.signing_in_user(user=user), factor=Method.PASSKEY, request=request
    )
    helper = WebAuthnCredential.get_webauthn_helper(request=request)
    # A second factor after the password: user presence is enough, as on the web step.
    options, state = helper.authenticate_begin(user=user, require_user_verification=False)
    return dict(options), dict(state)


def passkey_verify(
    *, user: User, state: dict[str, Any] | None, credential: dict[str, Any], request: HttpRequest
) -> Device:
    """Check a passkey assertion against the options issued with ``state`` (None: none were,
    or they were used already). Returns the credential; audited either way."""
    lockout.refuse_if_locked(
        who=lockout.signing_in_user(user=user), factor=Method.PASSKEY, request=request
    )
    device: WebAuthnCredential | None = None
    if state is not None:
        helper = WebAuthnCredential.get_webauthn_helper(request=request)
        try:
            with rewrite_exceptions():
                device = helper.authenticate_complete(user=user, state=state, data=credential)
        except (OTPWebAuthnApiError, ValueError, TypeError, KeyError) as error:
            # The reason helps an app developer; the audit row records the failure.
            logger.warning("Passkey assertion refused: %s", getattr(error, "code", type(error)))
            device = None
    if device is None or not device.confirmed or device.user_id != user.pk:
        record(
            action="accounts.mfa_failed",
            outcome=Outcome.FAILURE,
            actor=user,
            target=user,
            request=request,
            details={"method": Method.PASSKEY},
        )
        raise InvalidPasskey()
    record(
        action="accounts.mfa_verified",
        actor=user,
        target=user,
        request=request,
        details={"method": Method.PASSKEY},
    )
    return device
