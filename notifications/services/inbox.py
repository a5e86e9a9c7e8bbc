"""The person's own side: reading messages, choosing what arrives where and when."""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import record
from notifications.errors import NotificationNotFound
from notifications.models import NotificationPreference, NotificationSettings
from notifications.selectors import notification_of, preference_choices_of, unread_count_of
from notifications.services import push
from notifications.services.unread import unread_count_forget

logger = logging.getLogger(__name__)


def notification_mark_read(*, user: User, notification_id: uuid.UUID) -> None:
    """Mark one of the person's messages read (another person's is not found)."""
    notification = notification_of(user=user, public_id=notification_id)
    if notification is None:
        raise NotificationNotFound()
    if notification.read_at is None:
        with transaction.atomic():
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
            unread_count_forget(user_id=user.pk)
        _tell_other_pages(user)


def notifications_mark_all_read(*, user: User) -> int:
    with transaction.atomic():
        changed = user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
        unread_count_forget(user_id=user.pk)
    if changed:
        _tell_other_pages(user)
    return changed


def _tell_other_pages(user: User) -> None:
    transaction.on_commit(
        lambda: push.unread_count_push(user_id=user.pk, unread=unread_count_of(user=user)),
        robust=True,
    )


def preferences_update(
    *,
    user: User,
    enabled: Mapping[str, bool],
    quiet_hours_start: datetime.time | None,
    quiet_hours_end: datetime.time | None,
    request: HttpRequest | None = None,
) -> list[str]:
    """Set the person's choices (``{"reminders.sms": True, ...}``) and quiet hours; returns
    the names of what changed. Audited. Security messages stay on; SMS needs a verified
    phone; an unknown choice is refused and nothing changes."""
    choices = {choice.field_name: choice for choice in preference_choices_of(user=user)}
    errors: dict[str, list[str]] = {}
    for name, on in enabled.items():
        choice = choices.get(name)
        if choice is None:
            errors[name] = [_("There is no such choice.")]
        elif choice.locked and not on:
            errors[name] = [_("Security messages cannot be switched off.")]
        elif not choice.available and on:
            errors[name] = [_("Verify a mobile number first (Security, text-message sign-in).")]
    if (quiet_hours_start is None) != (quiet_hours_end is None):
        errors["quiet_hours"] = [
            _("Give both the start and the end of the quiet hours, or neither.")
        ]
    elif quiet_hours_start is not None and quiet_hours_start == quiet_hours_end:
        errors["quiet_hours"] = [_("The quiet hours must start and end at different times.")]
    if errors:
        raise ValidationError(errors)

    changed: list[str] = []
    now = timezone.now()
    with transaction.atomic():
        stored = {
            (preference.category, preference.channel): preference
            for preference in NotificationPreference.objects.select_for_update().filter(user=user)
        }
        new, updated = [], []
        for name, on in enabled.items():
            choice = choices[name]
            if choice.locked or choice.enabled == on:
                continue
            preference = stored.get((choice.category, choice.channel))
            if preference is None:
                new.append(
                    NotificationPreference(
                        user=user,
                        category=choice.category,
                        channel=choice.channel,
                        enabled=on,
                        updated_at=now,
                    )
                )
            else:
                preference.enabled, preference.updated_at = on, now
                updated.append(preference)
            changed.append(name)
        # All the choices of one save in at most two statements.
        NotificationPreference.objects.bulk_create(new)
        NotificationPreference.objects.bulk_update(updated, ["enabled", "updated_at"])
        current = NotificationSettings.objects.filter(user=user).first()
        before = (current.quiet_hours_start, current.quiet_hours_end) if current else (None, None)
        if before != (quiet_hours_start, quiet_hours_end):
            NotificationSettings.objects.update_or_create(
                user=user,
                defaults={
                    "quiet_hours_start": quiet_hours_start,
                    "quiet_hours_end": quiet_hours_end,
                    "updated_at": now,
                },
            )
            changed.append("quiet_hours")
        if changed:
            record(
                action="notifications.preferences_changed",
                actor=user,
                target=user,
                patient=user if user.is_patient else None,
                request=request,
                details={"changed": changed},
            )
    return changed
