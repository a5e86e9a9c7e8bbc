"""Multi-factor authentication on django-otp's devices (one store for web, API and admin).

Factors: TOTP (authenticator app), SMS codes (backup), recovery codes (ten, single use,
hashed), passkeys (WebAuthn credentials of django-otp-webauthn). Staff must keep one
primary factor (TOTP, passkey or SMS); recovery codes alone are not a factor to log in
with day to day.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts import ratelimits
from accounts.errors import DeviceNotFound, InvalidOtp, LastFactorRemoval
from accounts.models import RecoveryCode, RecoveryCodeDevice, SmsDevice, User
from accounts.models.mfa import recovery_code_digest
from accounts.validators import normalize_phone
from audit.services import Outcome, record
from core.caller import client_ip


class Method:
    TOTP = "totp"
    SMS = "sms"
    RECOVERY = "recovery"
    PASSKEY = "passkey"


_DEVICE_METHOD = {
    TOTPDevice: Method.TOTP,
    SmsDevice: Method.SMS,
    RecoveryCodeDevice: Method.RECOVERY,
    WebAuthnCredential: Method.PASSKEY,
}
PRIMARY_METHODS = frozenset({Method.TOTP, Method.SMS, Method.PASSKEY})


def method_of(device: Device) -> str:
    return _DEVICE_METHOD[type(device)]


@dataclass(frozen=True)
class DeviceSummary:
    """What a person may see of a device: never secrets or full phone numbers."""

    id: str
    method: str
    name: str
    created_at: object
    last_used_at: object
    detail: str


def devices_of(user: User) -> list[Device]:
    """The user's confirmed devices of every kind."""
    return list(devices_for_user(user, confirmed=True))


def device_summaries(user: User) -> list[DeviceSummary]:
    summaries = []
    for device in devices_of(user):
        method = method_of(device)
        if method == Method.SMS:
            detail = f"Phone {device.masked_number}"
        elif method == Method.RECOVERY:
            detail = f"{device.remaining} of {settings.MFA_RECOVERY_CODE_COUNT} codes left"
        else:
            detail = ""
        summaries.append(
            DeviceSummary(
                id=device.persistent_id,
                method=method,
                name=device.name,
                created_at=getattr(device, "created_at", None),
                last_used_at=getattr(device, "last_used_at", None),
                detail=detail,
            )
        )
    return summaries


def methods_available(user: User) -> list[str]:
    """Factors this user can use to finish a login, in the order to offer them."""
    present = {method_of(device) for device in devices_of(user)}
    order = [Method.PASSKEY, Method.TOTP, Method.SMS, Method.RECOVERY]
    return [method for method in order if method in present]


def user_has_mfa(user: User) -> bool:
    return any(method_of(device) in PRIMARY_METHODS for device in devices_of(user))


# --- Enrolment --------------------------------------------------------------------------


@transaction.atomic
def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """An unconfirmed TOTP device whose secret is shown (QR code) until it is confirmed."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(
        user=user, name="Authenticator app", confirmed=False, tolerance=1
    )


def pending_totp_device(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


@transaction.atomic
def totp_enrolment_confirm(
    *, user: User, code: str, request: HttpRequest | None = None
) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending TOTP device with a code from the app. Returns the device and,
    the first time the user gets a factor, freshly generated recovery codes."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("-pk")
        .first()
    )
    if device is None:
        raise DeviceNotFound("Start setting up the authenticator app again.")
    if not device.verify_token(code.strip().replace(" ", "")):
        raise InvalidOtp(
            "That code did not match. Check the time on your phone and try the newest code."
        )
    had_mfa = user_has_mfa(user)
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()  # one authenticator app at a time
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record(
        action="accounts.mfa_enrolled",
        actor=user,
        target=user,
        request=request,
        details={"method": Method.TOTP},
    )
    codes = (
        []
        if had_mfa and _recovery_device(user)
        else recovery_codes_generate(user=user, request=request)
    )
    return device, codes


def _recovery_device(user: User) -> RecoveryCodeDevice | None:
    return RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()


def _new_recovery_code() -> str:
    raw = secrets.token_hex(5)  # 40 bits, shown as two groups of five hex digits
    return f"{raw[:5]}-{raw[5:]}"


@transaction.atomic
def recovery_codes_generate(*, user: User, request: HttpRequest | None = None) -> list[str]:
    """Replace the user's recovery codes with ten new ones, returned once and stored hashed."""
    device, _ = RecoveryCodeDevice.objects.get_or_create(
        user=user, defaults={"name": "Recovery codes", "confirmed": True}
    )
    device.codes.all().delete()
    codes = [_new_recovery_code() for _ in range(settings.MFA_RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, digest=recovery_code_digest(code)) for code in codes
    )
    record(
        action="accounts.recovery_codes_generated",
        actor=user,
        target=user,
        request=request,
        details={"count": len(codes)},
    )
    return codes


@transaction.atomic
def sms_enrolment_start(*, user: User, phone: str, request: HttpRequest | None = None) -> SmsDevice:
    """Register a phone (unconfirmed) and text it a code to prove it is the user's."""
    number = normalize_phone(phone)
    ratelimits.sms_send_attempt(user_id=user.pk)
    SmsDevice.objects.filter(user=user, confirmed=False).delete()
    device = SmsDevice.objects.create(user=user, name="Phone", number=number, confirmed=False)
    transaction.on_commit(device.generate_challenge)
    return device


@transaction.atomic
def sms_enrolment_confirm(
    *, user: User, code: str, request: HttpRequest | None = None
) -> SmsDevice:
    device = (
        SmsDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("-pk")
        .first()
    )
    if device is None:
        raise DeviceNotFound("Start adding the phone again.")
    if not device.verify_token(code):
        raise InvalidOtp("That code did not match the one we sent. Check it or send a new one.")
    SmsDevice.objects.filter(user=user, confirmed=True).delete()  # one phone at a time
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record(
        action="accounts.mfa_enrolled",
        actor=user,
        target=user,
        request=request,
        details={"method": Method.SMS},
    )
    if _recovery_device(user) is None:
        recovery_codes_generate(user=user, request=request)
    return device


@transaction.atomic
def device_remove(*, user: User, device_id: str, request: HttpRequest | None = None) -> None:
    """Remove one of the user's factors. Staff keep at least one primary factor."""
    device = next((d for d in devices_of(user) if d.persistent_id == device_id), None)
    if device is None:
        raise DeviceNotFound()
    method = method_of(device)
    remaining_primary = [
        d
        for d in devices_of(user)
        if d.persistent_id != device_id and method_of(d) in PRIMARY_METHODS
    ]
    if user.is_staff_member and method in PRIMARY_METHODS and not remaining_primary:
        raise LastFactorRemoval()
    device.delete()
    if not remaining_primary:
        RecoveryCodeDevice.objects.filter(user=user).delete()  # codes without a factor mean nothing
    record(
        action="accounts.mfa_removed",
        actor=user,
        target=user,
        request=request,
        details={"method": method},
    )


# --- Verification -----------------------------------------------------------------------


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
    model = {
        Method.TOTP: TOTPDevice,
        Method.SMS: SmsDevice,
        Method.RECOVERY: RecoveryCodeDevice,
    }.get(method)
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
