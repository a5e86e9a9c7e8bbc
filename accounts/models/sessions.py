"""Signed-in devices: a browser session or an API token family, listed and revocable alike."""

from __future__ import annotations

import hashlib
import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def token_digest(token: str) -> str:
    """Tokens are 256-bit random strings: SHA-256 is a safe, indexable digest."""
    return hashlib.sha256(token.encode()).hexdigest()


class AuthSession(models.Model):
    class Kind(models.TextChoices):
        WEB = "web", _("Browser")
        API = "api", _("App")

    class EndReason(models.TextChoices):
        LOGOUT = "logout", _("Signed out")
        REVOKED = "revoked", _("Revoked by the user")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        IDLE = "idle", _("Idle timeout")
        EXPIRED = "expired", _("Lifetime reached")
        REFRESH_REUSE = "refresh_reuse", _("Refresh token reused")
        DEACTIVATED = "deactivated", _("Account deactivated")
        ADMIN = "admin", _("Ended by an administrator")
        ROLE_CHANGED = "role_changed", _("Role changed")

    public_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, verbose_name=_("public ID")
    )
    # Indexed by (user, ended_at) in Meta.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="auth_sessions",
        db_index=False,
        verbose_name=_("user"),
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, verbose_name=_("kind"))
    session_key = models.CharField(
        max_length=64, null=True, blank=True, unique=True, verbose_name=_("session key")
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("IP address"))
    user_agent = models.CharField(max_length=512, blank=True, verbose_name=_("user agent"))
    mfa_device = models.CharField(
        max_length=128,
        blank=True,
        help_text=_("Persistent id of the OTP device that verified it."),
        verbose_name=_("MFA device"),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))
    last_seen_at = models.DateTimeField(verbose_name=_("last seen at"))
    expires_at = models.DateTimeField(
        help_text=_("Absolute end of life."), verbose_name=_("expires at")
    )
    ended_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ended at"))
    end_reason = models.CharField(
        max_length=24, choices=EndReason.choices, blank=True, verbose_name=_("end reason")
    )

    class Meta:
        ordering: ClassVar = ["-last_seen_at"]
        indexes: ClassVar = [
            models.Index(fields=["user", "ended_at"], name="accounts_session_user_idx")
        ]

    def __str__(self) -> str:
        # Translators: the kind is "Browser" or "App", then the session's id.
        return gettext("%(kind)s session %(id)s") % {
            "kind": self.get_kind_display(),
            "id": self.public_id,
        }

    @property
    def is_active(self) -> bool:
        return self.ended_at is None

    @property
    def is_mfa_verified(self) -> bool:
        return bool(self.mfa_device)


class ApiToken(models.Model):
    class Kind(models.TextChoices):
        ACCESS = "access", _("Access")
        REFRESH = "refresh", _("Refresh")

    # Indexed by (session, kind) in Meta.
    session = models.ForeignKey(
        AuthSession,
        on_delete=models.CASCADE,
        related_name="tokens",
        db_index=False,
        verbose_name=_("session"),
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, verbose_name=_("kind"))
    digest = models.CharField(max_length=64, unique=True, verbose_name=_("digest"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    rotated_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("Refresh tokens: when exchanged."),
        verbose_name=_("rotated at"),
    )

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["session", "kind"], name="accounts_token_session_idx")
        ]

    def __str__(self) -> str:
        # Translators: the kind is "Access" or "Refresh".
        return gettext("%(kind)s token") % {"kind": self.get_kind_display()}
