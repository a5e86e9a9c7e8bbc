"""The scheduling fixtures of the appointments tests, for messages about appointments; and
helpers that make in-app messages and verified phones for the notifications tests."""

from __future__ import annotations

import datetime

from django.utils import timezone

from accounts.models import SmsDevice, User
from notifications.models import Category, Notification
from tests.appointments.conftest import consultation, department, practitioner  # noqa: F401


def notification_for(
    user: User,
    *,
    title: str = "Appointment booked",
    kind: str = "appointment.booked",
    category: str = Category.APPOINTMENTS,
    read: bool = False,
    minutes_ago: int = 0,
) -> Notification:
    """An in-app message under ``user``'s bell, as notifications.services.dispatch leaves it."""
    created = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    return Notification.objects.create(
        recipient=user,
        kind=kind,
        category=category,
        title=title,
        body=f"{title}: the body.",
        link="/appointments/",
        created_at=created,
        read_at=created if read else None,
    )


def verified_phone_for(user: User, number: str = "+447911123456") -> SmsDevice:
    """A confirmed text-message sign-in factor: the number is the person's, proven."""
    return SmsDevice.objects.create(user=user, name="Phone", number=number, confirmed=True)
