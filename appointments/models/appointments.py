"""Appointments: a patient's time with a practitioner, from booking (or a waitlist hold) to
the end of the visit. Times are stored in UTC; no double booking is guaranteed by the
database (see migration 0002).
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appointments.models.schedules import AppointmentType, Practitioner

# Whose time an appointment takes, and which: (practitioner id, start, blocked until).
TimeTaken = tuple[int, datetime.datetime, datetime.datetime]
_TIME_TAKEN_COLUMNS = frozenset({"practitioner_id", "start", "blocked_until", "status"})


class Appointment(models.Model):
    class Status(models.TextChoices):
        HELD = "held", gettext_lazy("Offered from the waitlist")
        BOOKED = "booked", gettext_lazy("Booked")
        CHECKED_IN = "checked_in", gettext_lazy("Checked in")
        IN_PROGRESS = "in_progress", gettext_lazy("In progress")
        COMPLETED = "completed", gettext_lazy("Completed")
        CANCELLED = "cancelled", gettext_lazy("Cancelled")
        NO_SHOW = "no_show", gettext_lazy("No-show")

    class Channel(models.TextChoices):
        WEB = "web", gettext_lazy("Website")
        API = "api", gettext_lazy("App")
        RECEPTION = "reception", gettext_lazy("Reception")
        WAITLIST = "waitlist", gettext_lazy("Waitlist")
        ADMIN = "admin", gettext_lazy("Administration")

    # Statuses that occupy the practitioner's and the patient's time.
    ACTIVE_STATUSES: ClassVar[tuple[str, ...]] = (
        "held",
        "booked",
        "checked_in",
        "in_progress",
        "completed",
    )

    # What the row took of the practitioner's time when it was read from the database
    # (``time_taken``), if it was read with those columns: a save that leaves it as it was (a
    # check-in, a completed visit, a note) need not make the slot cache recompute the
    # practitioner's free times (appointments.subscribers).
    time_taken_known: bool = False
    time_taken_when_read: TimeTaken | None = None

    public_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, verbose_name=gettext_lazy("public ID")
    )
    # Both indexed by (patient, start) and (practitioner, start) in Meta.
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments",
        db_index=False,
        verbose_name=gettext_lazy("patient"),
    )
    practitioner = models.ForeignKey(
        Practitioner,
        on_delete=models.PROTECT,
        related_name="appointments",
        db_index=False,
        verbose_name=gettext_lazy("practitioner"),
    )
    appointment_type = models.ForeignKey(
        AppointmentType,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=gettext_lazy("appointment type"),
    )
    start = models.DateTimeField(verbose_name=gettext_lazy("start"))
    end = models.DateTimeField(verbose_name=gettext_lazy("end"))
    blocked_until = models.DateTimeField(
        help_text=gettext_lazy("End plus the type's buffer: the practitioner's time it takes."),
        verbose_name=gettext_lazy("blocked until"),
    )
    status = models.CharField(
        max_length=16,
        choices=Status.choices,
        default=Status.BOOKED,
        verbose_name=gettext_lazy("status"),
    )
    reason = models.CharField(gettext_lazy("reason for visit"), max_length=500, blank=True)
    cancellation_reason = models.CharField(
        max_length=500, blank=True, verbose_name=gettext_lazy("cancellation reason")
    )
    # What the clinician wrote on completing the visit: clinical, shown as the reason is
    # (permissions.can_see_reason: the patient and the visit's practitioner only). The
    # database default serves code that does not know the column yet (during a deploy).
    visit_note = models.TextField(
        blank=True,
        max_length=4000,
        default="",
        db_default="",
        verbose_name=gettext_lazy("visit note"),
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("booked by"),
    )
    channel = models.CharField(
        max_length=16, choices=Channel.choices, verbose_name=gettext_lazy("channel")
    )
    # Counts the changes of time and status (the calendar's SEQUENCE): the services that make
    # them raise it on the locked row (lifecycle.appointment_revised).
    revision = models.PositiveIntegerField(
        default=0, editable=False, verbose_name=gettext_lazy("revision")
    )
    hold_expires_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("hold expires at")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))
    cancelled_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("cancelled at")
    )
    checked_in_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("checked in at")
    )
    started_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("started at")
    )
    completed_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("completed at")
    )

    class Meta:
        ordering: ClassVar = ["start"]
        indexes: ClassVar = [
            models.Index(fields=["practitioner", "start"], name="appointments_pract_start_idx"),
            models.Index(fields=["patient", "start"], name="appointments_patient_start_idx"),
            models.Index(fields=["status", "start"], name="appointments_status_start_idx"),
            # Slot search reads booked time of many practitioners at once: an index-only scan
            # on PostgreSQL (INCLUDE is ignored elsewhere).
            models.Index(
                fields=["start"],
                include=["practitioner", "blocked_until"],
                condition=models.Q(
                    status__in=["held", "booked", "checked_in", "in_progress", "completed"]
                ),
                name="appointments_busy_idx",
            ),
            # Every list is a cursor page by (start, id): read in that order, a page stops
            # after its rows instead of sorting all the rows the person may see.
            models.Index(fields=["start"], name="appointments_start_idx"),
            # Also, on PostgreSQL only, appointments_length_idx on ("end" - "start"): see
            # migration 0011 (on SQLite it would name a function only Django defines).
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="appointments_end_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(blocked_until__gte=models.F("end")),
                name="appointments_blocked_after_end",
            ),
        ]

    def __str__(self) -> str:
        return _("Appointment %(id)s") % {"id": self.public_id}

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Appointment:
        instance = super().from_db(db, field_names, values)
        if _TIME_TAKEN_COLUMNS.issubset(field_names):
            instance.time_taken_known = True
            instance.time_taken_when_read = instance.time_taken()
        return instance

    def refresh_from_db(
        self, using: str | None = None, fields: Any = None, from_queryset: Any = None
    ) -> None:
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        # Known again if every column of it was read again; else not known (a save then
        # always counts as a change, which is never wrong).
        self.time_taken_known = fields is None or _TIME_TAKEN_COLUMNS.issubset(
            {"practitioner_id" if name == "practitioner" else name for name in fields}
        )
        self.time_taken_when_read = self.time_taken() if self.time_taken_known else None

    def time_taken(self) -> TimeTaken | None:
        """(practitioner id, start, blocked until) while the status occupies that time; None
        when it occupies none (cancelled, no-show)."""
        if self.status not in self.ACTIVE_STATUSES:
            return None
        return (self.practitioner_id, self.start, self.blocked_until)
