"""MFA devices beyond django-otp's own TOTP device: hashed recovery codes and SMS.

All factors live in django-otp's device framework (one store): TOTPDevice
(django_otp.plugins.otp_totp), the two devices below, and WebAuthn credentials
(django_otp_webauthn). The web login, the API login and the admin all ask it.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, gettext_lazy, ngettext
from django_otp.models import Device, SideChannelDevice, ThrottlingMixin, TimestampMixin

from accounts.validators import validate_e164


def recovery_code_digest(code: str) -> str:
    """Keyed hash of a recovery code. Codes carry 40 random bits, so a keyed fast hash
    (not a slow password hash) is enough and allows an indexed lookup."""
    normalised = code.strip().replace("-", "").replace(" ", "").lower()
    key = settings.MFA_RECOVERY_CODE_KEY.encode()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """Ten single-use recovery codes, stored only as keyed hashes."""

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_RECOVERY_THROTTLE_FACTOR", 1))

    def verify_token(self, token: object) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        deleted, _ = self.codes.filter(digest=recovery_code_digest(str(token))).delete()
        if deleted:
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
            return True
        self.throttle_increment()
        return False

    @property
    def remaining(self) -> int:
        return self.codes.count()


class RecoveryCode(models.Model):
    # Indexed by the (device, digest) unique constraint in Meta.
    device = models.ForeignKey(
        RecoveryCodeDevice,
        related_name="codes",
        on_delete=models.CASCADE,
        db_index=False,
        verbose_name=gettext_lazy("device"),
    )
    digest = models.CharField(max_length=64, db_index=True, verbose_name=gettext_lazy("digest"))

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["device", "digest"], name="accounts_recovery_code_unique"
            )
        ]

    def __str__(self) -> str:
        return gettext("Recovery code (hashed)")


class SmsDevice(TimestampMixin, ThrottlingMixin, SideChannelDevice):
    """One-time codes by SMS, a backup factor. Sent through the SMS adapter (core.sms)."""

    number: models.CharField[str, str] = models.CharField(
        max_length=16, validators=[validate_e164], verbose_name=gettext_lazy("number")
    )

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_SMS_THROTTLE_FACTOR", 1))

    def generate_challenge(self) -> str:
        from core.sms import send_sms  # infrastructure, imported lazily

        self.generate_token(valid_secs=settings.OTP_SMS_TOKEN_VALIDITY)
        minutes = settings.OTP_SMS_TOKEN_VALIDITY // 60
        send_sms(
            to=self.number,
            body=ngettext(
                "Your %(site_name)s sign-in code is %(code)s. It expires in %(minutes)d "
                "minute. Never share it.",
                "Your %(site_name)s sign-in code is %(code)s. It expires in %(minutes)d "
                "minutes. Never share it.",
                minutes,
            )
            % {"site_name": settings.SITE_NAME, "code": self.token, "minutes": minutes},
        )
        return gettext("A code was sent by SMS.")

    def verify_token(self, token: object) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        if super().verify_token(str(token).strip()):
            self.throttle_reset()
            return True
        self.throttle_increment()
        return False

    @property
    def masked_number(self) -> str:
        return f"{self.number[:3]}••••{self.number[-2:]}" if self.number else ""
