"""The waitlist: patients waiting for a time to come free."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appointments.models.appointments import Appointment
from appointments.models.schedules import AppointmentType, Practitioner


class WaitlistEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", gettext_lazy("Waiting")
        OFFERED = "offered", gettext_lazy("Offered a time")
        BOOKED = "booked", gettext_lazy("Booked")
        CANCELLED = "cancelled", gettext_lazy("Left the waitlist")

    public_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, verbose_name=gettext_lazy("public ID")
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="waitlist_entries",
        verbose_name=gettext_lazy("patient"),
    )
    appointment_type = models.ForeignKey(
        AppointmentType,
        on_delete=models.PROTECT,
        related_name="waitlist",
        verbose_name=gettext_lazy("appointment type"),
    )
    practitioner = models.ForeignKey(
        Practitioner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="waitlist",
        help_text=gettext_lazy("Empty: any practitioner offering the type."),
        verbose_name=gettext_lazy("practitioner"),
    )
    date_from = models.DateField(verbose_name=gettext_lazy("date from"))
    date_to = models.DateField(verbose_name=gettext_lazy("date to"))
    status = models.CharField(
        max_length=16,
        choices=Status.choices,
        default=Status.WAITING,
        verbose_name=gettext_lazy("status"),
    )
    offered_appointment = models.ForeignKey(
        Appointment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("offered appointment"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))

    class Meta:
        verbose_name_plural = gettext_lazy("waitlist entries")
        ordering: ClassVar = ["created_at", "pk"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(date_to__gte=models.F("date_from")),
                name="appointments_waitlist_range",
                violation_error_message=gettext_lazy(
                    "The last day must not be before the first day."
                ),
            )
        ]

    def __str__(self) -> str:
        return _("Waitlist entry %(id)s") % {"id": self.public_id}

    @property
    def is_open(self) -> bool:
        """Still waiting or holding an offer: the patient may leave."""
        return self.status in (self.Status.WAITING, self.Status.OFFERED)

    @property
    def offer(self) -> Appointment | None:
        """The held time the patient may accept or decline, if one is offered."""
        return self.offered_appointment if self.status == self.Status.OFFERED else None
