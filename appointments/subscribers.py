"""Domain-event handlers of the appointments app (registered in AppConfig.ready).

They run from the outbox (``core.events``): in a worker, inside the transaction that marks
their outbox row handled, so a redelivered message finds the row handled and does nothing.

Below them, the slot cache's invalidation: model signals, as an infrastructure hook (no
business rule), so that no path that changes a practitioner's free time can forget it
(services, the admin, operators' commands, demo data).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.models import Department, StaffProfile, User
from appointments.events import AppointmentCancelled, WaitlistHoldReleased
from appointments.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    Practitioner,
    WorkingHours,
)
from appointments.selectors import slot_cache
from appointments.services import waitlist
from core.events import subscribe


@subscribe(AppointmentCancelled)
def offer_cancelled_time_to_the_waitlist(event: AppointmentCancelled) -> None:
    _offer_the_time_of(event.appointment_id)


@subscribe(WaitlistHoldReleased)
def offer_released_hold_to_the_next_patient(event: WaitlistHoldReleased) -> None:
    _offer_the_time_of(event.appointment_id)


def _offer_the_time_of(appointment_id: uuid.UUID) -> None:
    appointment = (
        Appointment.objects.filter(public_id=appointment_id)
        .values("practitioner_id", "appointment_type_id", "start")
        .first()
    )
    if appointment is not None:
        # Idempotent on its own too: a time already held or booked is not free, so it is
        # not offered again.
        waitlist.waitlist_offer_time(
            practitioner_id=appointment["practitioner_id"],
            appointment_type_id=appointment["appointment_type_id"],
            start=appointment["start"],
        )


# The columns of an appointment that decide whose time it takes, and when.
_TIME_TAKEN_FIELDS = frozenset(
    {"practitioner", "practitioner_id", "start", "end", "blocked_until", "status"}
)


def _appointment_changed(sender: type[Appointment], instance: Appointment, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not _TIME_TAKEN_FIELDS.intersection(update_fields):
        return  # e.g. a note or a calendar revision only
    if kwargs.get("signal") is post_save and not kwargs.get("created"):
        taken = instance.time_taken()
        unchanged = instance.time_taken_known and taken == instance.time_taken_when_read
        # What the next save of this instance compares with.
        instance.time_taken_known, instance.time_taken_when_read = True, taken
        if unchanged:
            return  # a check-in, a started or completed visit: the same time, still taken
    # A move to another practitioner frees the first one's time too: the reschedule service
    # names them (this instance knows only where the appointment is now).
    slot_cache.availability_changed(practitioner_ids=[instance.practitioner_id])


def _schedule_changed(
    sender: type[WorkingHours | AvailabilityException],
    instance: WorkingHours | AvailabilityException,
    **kwargs: Any,
) -> None:
    slot_cache.availability_changed(practitioner_ids=[instance.practitioner_id])


def _practitioner_changed(
    sender: type[Practitioner], instance: Practitioner, **kwargs: Any
) -> None:
    # Name, department, time zone, active or not: what a search lists (the catalog). Their
    # time zone is part of the slot keys too: the availability bump is only for safety.
    slot_cache.catalog_changed()
    slot_cache.availability_changed(practitioner_ids=[instance.pk])


def _catalog_changed(sender: type[Any], **kwargs: Any) -> None:
    # A type's rules, a department, a practitioner's title: what a search shows of them.
    slot_cache.catalog_changed()


def _offered_types_changed(sender: type[Any], action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        slot_cache.catalog_changed()


# The user columns a search shows (a practitioner's name: full name, else email).
_USER_SHOWN_FIELDS = frozenset({"full_name", "email"})


def _user_changed(sender: type[User], instance: User, **kwargs: Any) -> None:
    if kwargs.get("created"):
        return  # nobody's practitioner yet
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not _USER_SHOWN_FIELDS.intersection(update_fields):
        return  # e.g. the last login, a password rehash
    slot_cache.catalog_changed()


for _signal in (post_save, post_delete):
    _signal.connect(_appointment_changed, sender=Appointment, dispatch_uid="slots-appointment")
    _signal.connect(_schedule_changed, sender=WorkingHours, dispatch_uid="slots-working-hours")
    _signal.connect(_schedule_changed, sender=AvailabilityException, dispatch_uid="slots-exception")
    _signal.connect(_practitioner_changed, sender=Practitioner, dispatch_uid="slots-practitioner")
    _signal.connect(_catalog_changed, sender=AppointmentType, dispatch_uid="slots-catalog-type")
    _signal.connect(_catalog_changed, sender=Department, dispatch_uid="slots-catalog-department")
    _signal.connect(_catalog_changed, sender=StaffProfile, dispatch_uid="slots-catalog-staff")
    _signal.connect(_user_changed, sender=User, dispatch_uid="slots-catalog-user")
m2m_changed.connect(
    _offered_types_changed,
    sender=Practitioner.appointment_types.through,
    dispatch_uid="slots-catalog-offered-types",
)
