"""Writes on second factors: setting them up, recovery codes, removal. The kinds of factor
and the reads are in accounts.selectors.mfa; checking one at sign-in is in
accounts.services.mfa_verification.

Staff must keep one primary factor (TOTP, passkey or SMS); recovery codes alone are not
a factor to log in with day to day.
"""

from __future__ import annotations

import secrets
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import ratelimits
from accounts.errors import (
    DeviceNotFound,
    InvalidOtp,
    LastFactorRemoval,
    MfaNotEnabled,
    MfaRequired,
)
from accounts.events import FactorAdded, FactorRemoved
from accounts.models import RecoveryCode, RecoveryCodeDevice, SmsDevice, User
from accounts.models.mfa import recovery_code_digest
from accounts.selectors.mfa import (
    PRIMARY_METHODS,
    Method,
    device_of,
    devices_of,
    method_of,
    recovery_device_of,
    user_has_mfa,
)
from accounts.validators import normalize_phone
from audit.services import Outcome, record
from core.caller import client_ip
from core.events import publish

# --- Who may change factors ------------------------------------------------------------


def factor_change_allowed(
    *, user: User, session_verified: bool, change: str, method: str, request: HttpRequest | None
) -> None:
    """Factors change only from a session that passed a second factor, unless the account has
    none yet (its first factor, e.g. staff enrolling). Otherwise a password alone could add a
    factor and turn its session into a verified one. A refusal is audited (and kept: called
    before the change's transaction)."""
    if session_verified or not user_has_mfa(user=user):
        return
    record(
        action="accounts.mfa_change_refused",
        outcome=Outcome.DENIED,
        actor=user,
        target=user,
        request=request,
        details={"change": change, "method": method, "reason": "session_not_verified"},
    )
    raise MfaRequired()


# --- Enrolment --------------------------------------------------------------------------


def _confirmation_attempt(*, user: User, request: HttpRequest | None) -> None:
    """A code confirming a new device is limited like a sign-in code (django-otp's own
    per-device throttle is off, see hospital/settings/auth.py)."""
    ratelimits.otp_attempt(ip=client_ip(request) if request else None, user_id=user.pk)


_SetUpDevice = TypeVar("_SetUpDevice", bound=Device)


def _pending_device_new(model: type[_SetUpDevice], *, user: User, **fields: Any) -> _SetUpDevice:
    """A device to set up, unconfirmed, replacing any unfinished set-up of the same kind."""
    model.objects.filter(user=user, confirmed=False).delete()
    return model.objects.create(user=user, confirmed=False, **fields)


def _pending_device_confirm(
    model: type[_SetUpDevice],
    *,
    user: User,
    code: str,
    missing: str,
    mismatch: str,
    request: HttpRequest | None,
) -> _SetUpDevice:
    """Confirm the newest device of this kind being set up with a code it produced: it
    replaces the user's confirmed one of that kind (one app, one phone). Audited."""
    device = (
        model.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
    )
    if device is None:
        raise DeviceNotFound(missing)
    if not device.verify_token(code):
        raise InvalidOtp(mismatch)
    model.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record(
        action="accounts.mfa_enrolled",
        actor=user,
        target=user,
        request=request,
        details={"method": method_of(device=device)},
    )
    publish(FactorAdded(user_id=user.public_id, at=timezone.now(), method=method_of(device=device)))
    return device


def totp_enrolment_start(
    *, user: User, session_verified: bool, request: HttpRequest | None = None
) -> TOTPDevice:
    """An unconfirmed TOTP device whose secret is shown (QR code) until it is confirmed."""
    factor_change_allowed(
        user=user, session_verified=session_verified, change="enrol", method="totp", request=request
    )
    with transaction.atomic():
        return _pending_device_new(TOTPDevice, user=user, name="Authenticator app", tolerance=1)


def totp_enrolment_confirm(
    *, user: User, code: str, session_verified: bool, request: HttpRequest | None = None
) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending TOTP device with a code from the app. Returns the device and,
    the first time the user gets a factor, freshly generated recovery codes."""
    factor_change_allowed(
        user=user, session_verified=session_verified, change="enrol", method="totp", request=request
    )
    _confirmation_attempt(user=user, request=request)
    return _totp_confirm(user=user, code=code, request=request)


@transaction.atomic
def _totp_confirm(
    *, user: User, code: str, request: HttpRequest | None
) -> tuple[TOTPDevice, list[str]]:
    had_mfa = user_has_mfa(user=user)
    device = _pending_device_confirm(
        TOTPDevice,
        user=user,
        code=code.strip().replace(" ", ""),
        missing=_("Start setting up the authenticator app again."),
        mismatch=_(
            "That code did not match. Check the time on your phone and try the newest code."
        ),
        request=request,
    )
    codes = (
        []
        if had_mfa and recovery_device_of(user=user)
        else recovery_codes_generate(user=user, request=request)
    )
    return device, codes


def sms_enrolment_start(
    *, user: User, phone: str, session_verified: bool, request: HttpRequest | None = None
) -> SmsDevice:
    """Register a phone (unconfirmed) and text it a code to prove it is the user's."""
    factor_change_allowed(
        user=user, session_verified=session_verified, change="enrol", method="sms", request=request
    )
    number = normalize_phone(phone)
    ratelimits.sms_send_attempt(user_id=user.pk)
    with transaction.atomic():
        device = _pending_device_new(SmsDevice, user=user, name="Phone", number=number)
        transaction.on_commit(device.generate_challenge)
    return device


def sms_enrolment_confirm(
    *, user: User, code: str, session_verified: bool, request: HttpRequest | None = None
) -> SmsDevice:
    """Confirm the phone being added with the code texted to it. The first factor of an
    account comes with recovery codes (shown on the security page)."""
    factor_change_allowed(
        user=user, session_verified=session_verified, change="enrol", method="sms", request=request
    )
    _confirmation_attempt(user=user, request=request)
    return _sms_confirm(user=user, code=code, request=request)


@transaction.atomic
def _sms_confirm(*, user: User, code: str, request: HttpRequest | None) -> SmsDevice:
    device = _pending_device_confirm(
        SmsDevice,
        user=user,
        code=code,
        missing=_("Start adding the phone again."),
        mismatch=_("That code did not match the one we sent. Check it or send a new one."),
        request=request,
    )
    if recovery_device_of(user=user) is None:
        recovery_codes_generate(user=user, request=request)
    return device


def _new_recovery_code() -> str:
    raw = secrets.token_hex(5)  # 40 bits, shown as two groups of five hex digits
    return f"{raw[:5]}-{raw[5:]}"


@transaction.atomic
def recovery_codes_generate(*, user: User, request: HttpRequest | None = None) -> list[str]:
    """Replace the user's recovery codes with ten new ones, returned once and stored hashed."""
    device, _created = RecoveryCodeDevice.objects.get_or_create(
        user=user, defaults={"name": "Recovery codes", "confirmed": True}
    )
    device.codes.all().delete()
    codes = [_new_recovery_code() for _index in range(settings.MFA_RECOVERY_CODE_COUNT)]
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


def recovery_codes_regenerate(
    *, user: User, session_verified: bool, request: HttpRequest | None = None
) -> list[str]:
    """New recovery codes at the person's request; only an account with a factor to sign
    in with has any use for them."""
    if not user_has_mfa(user=user):
        raise MfaNotEnabled()
    factor_change_allowed(
        user=user,
        session_verified=session_verified,
        change="recovery_codes",
        method=Method.RECOVERY,
        request=request,
    )
    return recovery_codes_generate(user=user, request=request)


def device_remove(
    *, user: User, device_id: str, session_verified: bool, request: HttpRequest | None = None
) -> None:
    """Remove one of the user's factors. Staff keep at least one primary factor."""
    factor_change_allowed(
        user=user, session_verified=session_verified, change="remove", method="", request=request
    )
    _device_remove(user=user, device_id=device_id, request=request)


@transaction.atomic
def _device_remove(*, user: User, device_id: str, request: HttpRequest | None) -> None:
    device = device_of(user=user, public_id=device_id)
    if device is None:
        raise DeviceNotFound()
    method = method_of(device=device)
    remaining_primary = [
        d
        for d in devices_of(user=user)
        if d.persistent_id != device.persistent_id and method_of(device=d) in PRIMARY_METHODS
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
    publish(FactorRemoved(user_id=user.public_id, at=timezone.now(), method=method))
