"""Schedules: appointment types, practitioners, their weekly working hours and the time
taken out of them. Working hours are wall-clock times in the practitioner's IANA time zone.
"""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Department
from accounts.roles import CLINICAL_ROLES


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            # Translators: value is what was entered, in quotes.
            _("%(value)s is not a known IANA time zone, e.g. Europe/London.")
            % {"value": repr(value)}
        ) from None


NO_REMINDERS = "none"


def reminder_hours(value: str) -> list[int] | None:
    """The hours of an appointment type's ``reminder_hours_before``: None for the hospital's
    default (blank), [] for none ("none"), else the hours ("24, 2" -> [24, 2])."""
    text = value.strip().lower()
    if not text:
        return None
    if text == NO_REMINDERS:
        return []
    return [int(part) for part in text.replace(" ", "").split(",") if part]


def validate_reminder_hours(value: str) -> None:
    try:
        hours = reminder_hours(value)
    except ValueError:
        hours = [-1]
    if hours is None:
        return
    if not all(1 <= hour <= 24 * 14 for hour in hours):
        raise ValidationError(
            # Translators: "none" is the word to type for no reminders; keep it in English.
            _('Give whole hours between 1 and 336 separated by commas, e.g. "24, 2", or "none".'),
            code="invalid",
        )
    if len(hours) > 5:
        raise ValidationError(_("At most five reminders."), code="too_many")


class AppointmentType(models.Model):
    public_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, verbose_name=gettext_lazy("public ID")
    )
    name = models.CharField(max_length=120, verbose_name=gettext_lazy("name"))
    # Indexed by the (department, name) unique constraint in Meta.
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="appointment_types",
        db_index=False,
        verbose_name=gettext_lazy("department"),
    )
    duration_minutes = models.PositiveSmallIntegerField(
        verbose_name=gettext_lazy("duration minutes")
    )
    buffer_after_minutes = models.PositiveSmallIntegerField(
        default=0,
        help_text=gettext_lazy("Kept free after each visit."),
        verbose_name=gettext_lazy("buffer after minutes"),
    )
    patient_bookable = models.BooleanField(
        default=True,
        help_text=gettext_lazy("Patients may book it themselves."),
        verbose_name=gettext_lazy("patient bookable"),
    )
    lead_time_minutes = models.PositiveIntegerField(
        default=60,
        help_text=gettext_lazy("Bookable no sooner than this before the start."),
        verbose_name=gettext_lazy("lead time minutes"),
    )
    booking_horizon_days = models.PositiveSmallIntegerField(
        default=60,
        help_text=gettext_lazy("How far ahead booking opens."),
        verbose_name=gettext_lazy("booking horizon days"),
    )
    # Text, not JSON: the booking's fast path builds these rows without database converters
    # (appointments.selectors.booking). Read it with ``reminder_hours``.
    reminder_hours_before = models.CharField(
        max_length=40,
        blank=True,
        default="",
        validators=[validate_reminder_hours],
        help_text=gettext_lazy(
            'Hours before the visit to remind the patient, e.g. "24, 2". Empty for the '
            'hospital\'s default (NOTIFICATIONS_DEFAULT_REMINDER_HOURS); "none" for no reminders.'
        ),
        verbose_name=gettext_lazy("reminder hours before"),
    )
    preparation = models.TextField(
        blank=True,
        db_default="",
        max_length=1000,
        help_text=gettext_lazy(
            "What to bring and how to prepare (patients see it before the visit). Empty: "
            "photo ID and a list of the medicines you take."
        ),
        verbose_name=gettext_lazy("preparation"),
    )
    is_active = models.BooleanField(default=True, verbose_name=gettext_lazy("is active"))

    class Meta:
        ordering: ClassVar = ["department__name", "name"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["department", "name"], name="appointments_type_name_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=5, duration_minutes__lte=480),
                name="appointments_type_duration_range",
                violation_error_message=gettext_lazy(
                    "A visit lasts between 5 minutes and 8 hours."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(booking_horizon_days__gte=1, booking_horizon_days__lte=730),
                name="appointments_type_horizon_range",
            ),
            models.CheckConstraint(
                condition=models.Q(buffer_after_minutes__lte=240),
                name="appointments_type_buffer_range",
                violation_error_message=gettext_lazy(
                    "The buffer after a visit is at most 4 hours."
                ),
            ),
        ]

    def __str__(self) -> str:
        # Translators: an appointment type and its length, e.g. "GP consultation (15 min)".
        return _("%(name)s (%(minutes)s min)") % {
            "name": self.name,
            "minutes": self.duration_minutes,
        }


class Practitioner(models.Model):
    """A doctor or nurse who sees patients; their schedule is in their own time zone."""

    public_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, verbose_name=gettext_lazy("public ID")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="practitioner",
        # The service's rule (practitioners are doctors or nurses), also what the admin's
        # person picker searches: it never lists patients.
        limit_choices_to={"role__in": sorted(CLINICAL_ROLES)},
        verbose_name=gettext_lazy("user"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="practitioners",
        verbose_name=gettext_lazy("department"),
    )
    time_zone = models.CharField(
        max_length=64,
        default="Europe/London",
        validators=[validate_time_zone],
        verbose_name=gettext_lazy("time zone"),
    )
    appointment_types: models.ManyToManyField[AppointmentType, Any] = models.ManyToManyField(
        AppointmentType,
        related_name="practitioners",
        blank=True,
        verbose_name=gettext_lazy("appointment types"),
    )
    is_active = models.BooleanField(default=True, verbose_name=gettext_lazy("is active"))

    class Meta:
        ordering: ClassVar = ["user__full_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        profile = getattr(self.user, "staff_profile", None)
        title = profile.title if profile is not None else ""
        return f"{title} {self.user.get_full_name()}".strip()

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class WorkingHours(models.Model):
    """A weekly recurring block of availability, in the practitioner's local time. An end at
    or before the start runs past midnight (a night shift, 18:00-08:00): the block belongs to
    the weekday it opens on and ends the next morning."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, gettext_lazy("Monday")
        TUESDAY = 1, gettext_lazy("Tuesday")
        WEDNESDAY = 2, gettext_lazy("Wednesday")
        THURSDAY = 3, gettext_lazy("Thursday")
        FRIDAY = 4, gettext_lazy("Friday")
        SATURDAY = 5, gettext_lazy("Saturday")
        SUNDAY = 6, gettext_lazy("Sunday")

    public_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, verbose_name=gettext_lazy("public ID")
    )
    practitioner = models.ForeignKey(
        Practitioner,
        on_delete=models.CASCADE,
        related_name="working_hours",
        verbose_name=gettext_lazy("practitioner"),
    )
    weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, verbose_name=gettext_lazy("weekday")
    )
    start_time = models.TimeField(verbose_name=gettext_lazy("start time"))
    end_time = models.TimeField(
        help_text=gettext_lazy(
            "An end at or before the start runs past midnight: 18:00 to 08:00 is a "
            "night shift ending the next morning."
        ),
        verbose_name=gettext_lazy("end time"),
    )
    valid_from = models.DateField(verbose_name=gettext_lazy("valid from"))
    valid_until = models.DateField(
        null=True,
        blank=True,
        help_text=gettext_lazy("Last day it applies; empty: no end."),
        verbose_name=gettext_lazy("valid until"),
    )

    class Meta:
        ordering: ClassVar = ["practitioner", "weekday", "start_time"]
        verbose_name_plural = gettext_lazy("working hours")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=~models.Q(end_time=models.F("start_time")),
                name="appointments_hours_not_empty",
                violation_error_message=gettext_lazy(
                    "The end time must differ from the start time (an "
                    "end before the start runs past midnight)."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="appointments_hours_valid_range",
                violation_error_message=gettext_lazy(
                    "The last day must not be before the first day."
                ),
            ),
        ]

    def __str__(self) -> str:
        hours = f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"
        if self.ends_next_day:
            # Translators: working hours that end the next morning, e.g. "Monday 18:00-08:00".
            return _("%(hours)s (next day)") % {"hours": hours}
        return hours

    @property
    def ends_next_day(self) -> bool:
        return ends_next_day(self.start_time, self.end_time)

    def minutes_of_the_week(self) -> tuple[int, int]:
        """[start, end) in minutes from Monday 00:00; the end may pass the week's end."""
        return week_minutes(self.weekday, self.start_time, self.end_time)


def ends_next_day(start_time: datetime.time, end_time: datetime.time) -> bool:
    """Do working hours from ``start_time`` to ``end_time`` run past midnight?"""
    return end_time <= start_time


def week_minutes(
    weekday: int, start_time: datetime.time, end_time: datetime.time
) -> tuple[int, int]:
    start = weekday * 1440 + start_time.hour * 60 + start_time.minute
    end = weekday * 1440 + end_time.hour * 60 + end_time.minute
    if ends_next_day(start_time, end_time):
        end += 1440
    return start, end


class AvailabilityException(models.Model):
    """Time taken out of the schedule: leave, a holiday, blocked time."""

    class Kind(models.TextChoices):
        LEAVE = "leave", gettext_lazy("Leave")
        HOLIDAY = "holiday", gettext_lazy("Public holiday")
        BLOCKED = "blocked", gettext_lazy("Blocked time")

    public_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, verbose_name=gettext_lazy("public ID")
    )
    # Indexed by (practitioner, start) in Meta.
    practitioner = models.ForeignKey(
        Practitioner,
        on_delete=models.CASCADE,
        related_name="exceptions",
        db_index=False,
        verbose_name=gettext_lazy("practitioner"),
    )
    kind = models.CharField(
        max_length=16, choices=Kind.choices, default=Kind.BLOCKED, verbose_name=gettext_lazy("kind")
    )
    start = models.DateTimeField(verbose_name=gettext_lazy("start"))
    end = models.DateTimeField(verbose_name=gettext_lazy("end"))
    reason = models.CharField(max_length=200, blank=True, verbose_name=gettext_lazy("reason"))

    class Meta:
        ordering: ClassVar = ["start"]
        indexes: ClassVar = [
            models.Index(fields=["practitioner", "start"], name="appointments_exc_start_idx")
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")),
                name="appointments_exception_end_after_start",
                violation_error_message=gettext_lazy("The end must be after the start."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start:%Y-%m-%d %H:%M}"
