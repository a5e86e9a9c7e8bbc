"""Second factors: which a person has, what they may see of them, what a login may offer.

Every kind of factor is a django-otp device (one store for web, API and admin): TOTP
(authenticator app), SMS codes (backup), recovery codes (ten, single use, hashed) and
passkeys (WebAuthn credentials of django-otp-webauthn).
"""

from __future__ import annotations

import base64
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext, gettext_noop, ngettext
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import RecoveryCodeDevice, SmsDevice, User


class Method:
    """The kinds of second factor, as the API and the pages name them."""

    TOTP = "totp"
    SMS = "sms"
    RECOVERY = "recovery"
    PASSKEY = "passkey"


_DEVICE_METHOD: dict[type[Device], str] = {
    TOTPDevice: Method.TOTP,
    SmsDevice: Method.SMS,
    RecoveryCodeDevice: Method.RECOVERY,
    WebAuthnCredential: Method.PASSKEY,
}
# Factors to sign in with day to day; recovery codes alone are not one.
PRIMARY_METHODS = frozenset({Method.TOTP, Method.SMS, Method.PASSKEY})
_PRIMARY_DEVICE_MODELS = tuple(
    model for model, method in _DEVICE_METHOD.items() if method in PRIMARY_METHODS
)
# The names the services give the devices they create (stored in English, as django-otp
# keeps them): shown in the reader's language. A passkey's name is the person's own.
DEVICE_NAMES = frozenset(
    {
        gettext_noop("Authenticator app"),
        gettext_noop("Phone"),
        gettext_noop("Recovery codes"),
    }
)


@dataclass(frozen=True)
class DeviceSummary:
    """What a person may see of a device: never secrets or full phone numbers."""

    id: str
    method: str
    name: str
    created_at: datetime.datetime | None
    last_used_at: datetime.datetime | None
    detail: str


def device_public_id(*, device: Device) -> str:
    """How a device is named outside the database: a keyed digest of django-otp's
    persistent id ("otp_totp.totpdevice/12"), so no integer key or device count leaves it."""
    return salted_hmac("accounts.device", device.persistent_id).hexdigest()[:32]


def device_of(*, user: User, public_id: str) -> Device | None:
    """One of the user's confirmed devices by its public id, or None."""
    return next((d for d in devices_of(user=user) if device_public_id(device=d) == public_id), None)


def method_of(*, device: Device) -> str:
    """The kind of factor a device is (one of :class:`Method`)."""
    return _DEVICE_METHOD[type(device)]


def devices_of(*, user: User) -> list[Device]:
    """The user's confirmed devices of every kind."""
    return list(devices_for_user(user, confirmed=True))


def device_summaries(*, user: User) -> list[DeviceSummary]:
    """The user's confirmed devices as the security page and the API list them."""
    summaries = []
    for device in devices_of(user=user):
        if isinstance(device, SmsDevice):
            # Translators: a phone number with its middle hidden, e.g. "Phone +44••••58".
            detail = gettext("Phone %(number)s") % {"number": device.masked_number}
        elif isinstance(device, RecoveryCodeDevice):
            total = settings.MFA_RECOVERY_CODE_COUNT
            detail = ngettext(
                "%(remaining)d of %(total)d code left",
                "%(remaining)d of %(total)d codes left",
                total,
            ) % {"remaining": device.remaining, "total": total}
        else:
            detail = ""
        summaries.append(
            DeviceSummary(
                id=device_public_id(device=device),
                method=method_of(device=device),
                name=gettext(device.name) if device.name in DEVICE_NAMES else device.name,
                created_at=getattr(device, "created_at", None),
                last_used_at=getattr(device, "last_used_at", None),
                detail=detail,
            )
        )
    return summaries


def methods_available(*, user: User) -> list[str]:
    """Factors this user can use to finish a login, in the order to offer them."""
    present = {method_of(device=device) for device in devices_of(user=user)}
    order = [Method.PASSKEY, Method.TOTP, Method.SMS, Method.RECOVERY]
    return [method for method in order if method in present]


_HAS_MFA_SQL: dict[str, str] = {}  # by database vendor


def has_mfa_condition(connection: BaseDatabaseWrapper) -> tuple[str, int]:
    """SQL true when the user (a ``%s`` parameter per kind) has a confirmed primary factor,
    and how many times the user's key is passed.

    Written once from the models' metadata: it is asked on every /me and by the staff-MFA
    middleware, and the ORM spends more building three EXISTS than the database answering.
    """
    if connection.vendor not in _HAS_MFA_SQL:
        quote = connection.ops.quote_name
        checks = [
            # Names from the models, quoted; the user's key is a parameter.
            f"EXISTS (SELECT 1 FROM {quote(model._meta.db_table)} "  # noqa: S608
            f"WHERE {quote(model._meta.get_field('user').column)} = %s "
            f"AND {quote(model._meta.get_field('confirmed').column)})"
            for model in _PRIMARY_DEVICE_MODELS
        ]
        _HAS_MFA_SQL[connection.vendor] = "(" + " OR ".join(checks) + ")"
    return _HAS_MFA_SQL[connection.vendor], len(_PRIMARY_DEVICE_MODELS)


def user_has_mfa(*, user: User) -> bool:
    """Whether the user has a factor to sign in with (recovery codes alone do not count):
    a confirmed device of a primary kind. One query (an EXISTS per kind), no device loaded."""
    if user.pk is None or user.is_anonymous:
        return False
    connection = connections[router.db_for_read(_PRIMARY_DEVICE_MODELS[0])]
    condition, parameters = has_mfa_condition(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + condition, [user.pk] * parameters)
        row = cursor.fetchone()
    return bool(row and row[0])


@dataclass(frozen=True)
class MfaStatus:
    """Whether a person has a factor to sign in with, and whether they must set one up."""

    has_mfa: bool
    enrolment_required: bool  # staff without a factor: only enrolment is open to them


def mfa_status_of(*, user: User) -> MfaStatus:
    """The user's second-factor status, as the account pages show it."""
    has_mfa = user_has_mfa(user=user)
    return MfaStatus(has_mfa=has_mfa, enrolment_required=user.is_staff_member and not has_mfa)


def pending_totp_device(*, user: User) -> TOTPDevice | None:
    """The authenticator app being set up (its secret still shown), if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def totp_secret(*, device: TOTPDevice) -> str:
    """The device's key as a person types it into an authenticator app (base32)."""
    return base64.b32encode(device.bin_key).decode()


def recovery_device_of(*, user: User) -> RecoveryCodeDevice | None:
    """The user's confirmed set of recovery codes, if they have one."""
    return RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()
