"""Checking a second factor at sign-in (pages and API): a code (authenticator app, SMS,
recovery code) or a passkey assertion. Setting factors up is in accounts.services.mfa."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import ratelimits
from accounts.errors import InvalidOtp
from accounts.models import RecoveryCodeDevice, SmsDevice, User
from accounts.selectors.mfa import Method
from audit.services import Outcome, record
from core.caller import client_ip


def sms_challenge_send(*, user: User) -> bool:
    """Text a login code to the user's confirmed phone, if they have one."""
    device = SmsDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return False
    ratelimits.sms_send_attempt(user_id=user.pk)
    device.generate_challenge()
    return True


def otp_verify(*, user: User, method: str, code: str, request: HttpRequest | None = None) -> Device:
    """Check a second-factor code for a login; return the device that verified it.

    Rate limited per IP and per account; a TOTP code is accepted once (replay refused);
    a recovery code is spent. The outcome is audited either way.
    """
    ratelimits.otp_attempt(
        ip=client_ip(request) if request else None,
        user_id=user.pk,
        recovery=method == Method.RECOVERY,
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
    if not verified:
        record(
            action="accounts.mfa_failed",
            outcome=Outcome.FAILURE,
            actor=user,
            target=user,
            request=request,
            details={"method": method},
        )
        raise InvalidOtp()
    assert device is not None  # noqa: S101 - verified implies a device
    return device
