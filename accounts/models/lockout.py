"""A locked sign-in: kept in the database, so that flushing the cache cannot lift it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class SignInLock(models.Model):
    """An account that reached LOGIN_LOCK_AFTER_FAILURES consecutive failed attempts. No
    password or code is checked until its owner opens the emailed link (whose signed payload
    carries ``nonce``, so an older link cannot lift a newer lock) or resets the password."""

    class Factor(models.TextChoices):
        PASSWORD = "password", _("Password")
        OTP = "otp", _("Second-factor code")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="sign_in_lock",
        verbose_name=_("user"),
    )
    nonce = models.CharField(max_length=32, verbose_name=_("nonce"))
    factor = models.CharField(max_length=16, choices=Factor.choices, verbose_name=_("factor"))
    locked_at = models.DateTimeField(default=timezone.now, verbose_name=_("locked at"))

    def __str__(self) -> str:
        # Translators: the time is in UTC, e.g. "2025-03-01 14:05".
        return gettext("Sign-in lock since %(time)s UTC") % {
            "time": format(self.locked_at, "%Y-%m-%d %H:%M")
        }
