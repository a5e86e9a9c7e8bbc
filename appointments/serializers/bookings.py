"""Appointments: the list's filter, booking, moving, cancelling, and the appointment itself."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple, cast

from django.db.models.manager import BaseManager
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from accounts.models import User
from accounts.selectors.users import patients_active
from appointments import permissions
from appointments.models import Appointment
from appointments.selectors.appointments import (
    LISTED_INSTANTS,
    ListedPractitioner,
    practitioners_listed,
)
from appointments.selectors.schedules import appointment_types_active, practitioners_for
from appointments.serializers.fields import AwareDateTimeField, PublicIdField
from appointments.serializers.slots import PractitionerSummary
from core.api import QueryParameters, ReferenceSerializer

ME = "me"
PRACTITIONER_OR_ME = (
    r"^(me|[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})$"
)


def _one_of(values: list[str]) -> str:
    # Translators: choices are codes, e.g. "booked, cancelled"; keep them as they are.
    return _("One of %(choices)s.") % {"choices": ", ".join(values)}


class AppointmentFilter(QueryParameters):
    when = serializers.ChoiceField(
        choices=["upcoming", "past"],
        required=False,
        allow_blank=True,
        # Translators: 'upcoming' and 'past' are the values to send; keep them as they are.
        error_messages={"invalid_choice": gettext_lazy("Use 'upcoming' or 'past'.")},
    )
    status = serializers.ChoiceField(
        choices=Appointment.Status.values,
        required=False,
        allow_blank=True,
        error_messages={"invalid_choice": lazy(_one_of, str)(Appointment.Status.values)},
    )
    date_from = serializers.DateField(
        required=False,
        help_text="Appointments starting on or after this day (in the practitioner's time zone "
        "when `practitioner` is given, else the hospital's).",
    )
    date_to = serializers.DateField(
        required=False, help_text="Appointments starting on or before this day (inclusive)."
    )
    practitioner = serializers.RegexField(
        PRACTITIONER_OR_ME,
        required=False,
        max_length=36,
        help_text="A practitioner's id, or `me` for your own schedule (practitioners only).",
        # Translators: 'me' is the value to send; keep it as it is.
        error_messages={"invalid": gettext_lazy("A practitioner's id, or 'me'.")},
    )
    patient = serializers.UUIDField(required=False, help_text="A patient's id.")
    updated_since = AwareDateTimeField(
        required=False,
        help_text="Only appointments changed at or after this time (for synchronising a copy).",
    )

    def validate_practitioner(self, value: str) -> str:
        if value == ME:
            return value
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise serializers.ValidationError(_("A practitioner's id, or 'me'.")) from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (
            attrs.get("date_from")
            and attrs.get("date_to")
            and attrs["date_to"] < attrs["date_from"]
        ):
            raise serializers.ValidationError({"date_to": _("Must not be before date_from.")})
        return attrs


# The columns a listed appointment is rendered from (``appointments_listed``), of the rows of
# ``appointment_list``: its own and those of its patient and type, and its instants other
# than the start as text (``LISTED_INSTANTS``). A page is read as rows of these, not as model
# instances (seven of them per appointment, most of the list's cost); its practitioners are
# read apart (``practitioners_listed``: joined in, they made the page's plan a join of seven
# tables).
LISTED_COLUMNS = (
    "public_id",
    "patient_id",
    "practitioner_id",
    "appointment_type_id",
    "start",
    "status",
    "reason",
    "cancellation_reason",
    "visit_note",
    "channel",
    *(f"{name}_text" for name in LISTED_INSTANTS),
    "patient__public_id",
    "patient__full_name",
    "patient__email",
    "appointment_type__public_id",
    "appointment_type__name",
)


_LISTED_INSTANT_KEYS = cast(
    tuple[str, str, str, str], tuple(f"{name}_text" for name in LISTED_INSTANTS)
)
_UTC_KEYS = frozenset({"UTC", "Etc/UTC"})


class _ListedPractitioner(NamedTuple):
    user_id: int


class _Listed(NamedTuple):
    """What ``permissions.can_see_reason`` reads of an appointment, taken from a listed row."""

    patient_id: int
    practitioner: _ListedPractitioner


def _full_name(full_name: str, email: str) -> str:
    # User.get_full_name() from the row's columns.
    return full_name or email


class _Shown:
    """Renders appointments for one viewer as AppointmentOutput declares them, without DRF's
    per-field machinery: the references a page names (patients, practitioners, types) are
    built once each, the status labels and the time zone are looked up once. The JSON is the
    one the declared fields give (the schema is read from them); tests compare the two.

    From model instances (``__call__``) or from rows of ``LISTED_COLUMNS`` (``row``)."""

    def __init__(self, viewer: object) -> None:
        self.viewer = viewer if isinstance(viewer, User) else None
        # DRF renders an instant in the current zone (UTC on the API: ApiSpeaksUtcMiddleware).
        self.zone = timezone.get_current_timezone()
        self.in_utc = str(self.zone) in _UTC_KEYS
        self.status_labels = {value: str(label) for value, label in Appointment.Status.choices}
        self.patients: dict[int, dict[str, str]] = {}
        self.practitioners: dict[int, dict[str, Any]] = {}
        self.types: dict[int, dict[str, str]] = {}

    def instant(self, value: datetime.datetime | str | None) -> str | None:
        # DRF's DateTimeField: ISO 8601 in the current zone, "Z" for UTC.
        if value is None:
            return None
        if isinstance(value, str):
            # A row's text: UTC, the microseconds always written (isoformat() leaves out zero).
            if self.in_utc:
                return value[:-8] + "Z" if value.endswith(".000000Z") else value
            value = datetime.datetime.fromisoformat(value)
        text = value.astimezone(self.zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    def _reason_shown(self, appointment: Appointment | _Listed) -> bool:
        # Deny by default: without a viewer to ask about, nobody is shown the reason.
        return self.viewer is not None and permissions.can_see_reason(
            user=self.viewer, appointment=cast(Appointment, appointment)
        )

    def _shown(
        self,
        fields: Mapping[str, Any],
        *,
        patient: dict[str, str],
        practitioner: dict[str, Any],
        appointment_type: dict[str, str],
        reason_shown: bool,
        instants: tuple[str, str, str, str] = LISTED_INSTANTS,
    ) -> dict[str, Any]:
        """``fields``: the appointment's own columns by attribute name; ``instants``: the keys
        of its end, hold_expires_at, created_at and updated_at there."""
        status = fields["status"]
        end, hold_expires_at, created_at, updated_at = instants
        return {
            "id": str(fields["public_id"]),
            "patient": patient,
            "practitioner": practitioner,
            "appointment_type": appointment_type,
            "start": self.instant(fields["start"]),
            "end": self.instant(fields[end]),
            "status": str(status),
            "status_display": self.status_labels.get(status, str(status)),
            "reason": str(fields["reason"]) if reason_shown else "",
            "cancellation_reason": str(fields["cancellation_reason"]),
            "visit_note": str(fields["visit_note"]) if reason_shown else "",
            "channel": str(fields["channel"]),
            "hold_expires_at": self.instant(fields[hold_expires_at]),
            "created_at": self.instant(fields[created_at]),
            "updated_at": self.instant(fields[updated_at]),
        }

    def __call__(self, appointment: Appointment) -> dict[str, Any]:
        patient = self.patients.get(appointment.patient_id)
        if patient is None:
            person = appointment.patient
            patient = {"id": str(person.public_id), "name": str(person.get_full_name())}
            self.patients[appointment.patient_id] = patient
        practitioner = self.practitioners.get(appointment.practitioner_id)
        if practitioner is None:
            clinician = appointment.practitioner
            department = clinician.department
            practitioner = {
                "id": str(clinician.public_id),
                "name": str(clinician.display_name),
                "department": {"id": str(department.public_id), "name": str(department.name)},
                "time_zone": str(clinician.time_zone),
            }
            self.practitioners[appointment.practitioner_id] = practitioner
        appointment_type = self.types.get(appointment.appointment_type_id)
        if appointment_type is None:
            kind = appointment.appointment_type
            appointment_type = {"id": str(kind.public_id), "name": str(kind.name)}
            self.types[appointment.appointment_type_id] = appointment_type
        return self._shown(
            # The instance's loaded fields by attribute name, as a row names them.
            vars(appointment),
            patient=patient,
            practitioner=practitioner,
            appointment_type=appointment_type,
            reason_shown=self._reason_shown(appointment),
        )

    def row(
        self, row: Mapping[str, Any], practitioners: Mapping[int, ListedPractitioner]
    ) -> dict[str, Any]:
        patient = self.patients.get(row["patient_id"])
        if patient is None:
            patient = {
                "id": str(row["patient__public_id"]),
                "name": _full_name(row["patient__full_name"], row["patient__email"]),
            }
            self.patients[row["patient_id"]] = patient
        listed = practitioners[row["practitioner_id"]]
        practitioner = self.practitioners.get(row["practitioner_id"])
        if practitioner is None:
            # Practitioner.display_name: the staff title (if any) and the full name.
            name = _full_name(listed.full_name, listed.email)
            practitioner = {
                "id": str(listed.public_id),
                "name": f"{listed.title or ''} {name}".strip(),
                "department": {
                    "id": str(listed.department_public_id),
                    "name": listed.department_name,
                },
                "time_zone": listed.time_zone,
            }
            self.practitioners[row["practitioner_id"]] = practitioner
        appointment_type = self.types.get(row["appointment_type_id"])
        if appointment_type is None:
            appointment_type = {
                "id": str(row["appointment_type__public_id"]),
                "name": row["appointment_type__name"],
            }
            self.types[row["appointment_type_id"]] = appointment_type
        return self._shown(
            row,
            patient=patient,
            practitioner=practitioner,
            appointment_type=appointment_type,
            reason_shown=self._reason_shown(
                _Listed(row["patient_id"], _ListedPractitioner(listed.user_id))
            ),
            instants=_LISTED_INSTANT_KEYS,
        )


def appointment_shown(appointment: Appointment, *, viewer: object) -> dict[str, Any]:
    """AppointmentOutput's JSON of one appointment, as ``viewer`` may see it."""
    return _Shown(viewer)(appointment)


def appointments_shown(appointments: Iterable[Appointment], *, viewer: object) -> list[Any]:
    """AppointmentOutput's JSON of each appointment, as ``viewer`` may see it (a plain list:
    no serializer kept alive by the result)."""
    shown = _Shown(viewer)
    return [shown(appointment) for appointment in appointments]


def appointments_listed(rows: Iterable[Mapping[str, Any]], *, viewer: object) -> list[Any]:
    """The same from rows of ``LISTED_COLUMNS`` (``queryset.values(*LISTED_COLUMNS)``) of
    appointments ``viewer`` may see; their practitioners are read here (one query)."""
    rows = list(rows)
    practitioners = practitioners_listed({row["practitioner_id"] for row in rows})
    shown = _Shown(viewer)
    return [shown.row(row, practitioners) for row in rows]


class _AppointmentList(serializers.ListSerializer[Appointment]):
    def to_representation(self, data: Any) -> list[Any]:
        appointments = data.all() if isinstance(data, BaseManager) else data
        return appointments_shown(appointments, viewer=self.context.get("viewer"))


# The declared fields are the schema; the JSON is built by ``_Shown`` (the same shape, a
# fraction of the work). ``context["viewer"]``: who is looking (the reason is theirs to see or
# empty). (A docstring would become the schema's description.)
class AppointmentOutput(serializers.ModelSerializer[Appointment]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    patient = ReferenceSerializer(name_source="get_full_name")
    practitioner = PractitionerSummary()
    appointment_type = ReferenceSerializer()
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Appointment
        list_serializer_class: type[serializers.ListSerializer[Appointment]] = _AppointmentList
        fields = (
            "id",
            "patient",
            "practitioner",
            "appointment_type",
            "start",
            "end",
            "status",
            "status_display",
            "reason",
            "cancellation_reason",
            "visit_note",
            "channel",
            "hold_expires_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields
        extra_kwargs = {
            "reason": {
                "help_text": "The reason for the visit: only for the patient and the visit's "
                "practitioner; empty for everyone else."
            },
            "visit_note": {
                "help_text": "What the practitioner wrote on completing the visit: only for "
                "the patient and the visit's practitioner; empty for everyone else."
            },
        }

    def to_representation(self, instance: Appointment) -> dict[str, Any]:
        return _Shown(self.context.get("viewer"))(instance)


class BookInput(serializers.Serializer[None]):
    appointment_type = PublicIdField(
        queryset=appointment_types_active(), not_found=gettext_lazy("No such appointment type.")
    )
    practitioner = PublicIdField(
        queryset=practitioners_for(), not_found=gettext_lazy("No such practitioner.")
    )
    start = AwareDateTimeField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    patient = PublicIdField(
        queryset=patients_active(),
        not_found=gettext_lazy("No such patient."),
        required=False,
        help_text="Staff only: the patient to book for.",
    )


class RescheduleInput(serializers.Serializer[None]):
    start = AwareDateTimeField()
    practitioner = PublicIdField(
        queryset=practitioners_for(),
        not_found=gettext_lazy("No such practitioner."),
        required=False,
        help_text="Another practitioner offering the same type.",
    )


class CancelInput(serializers.Serializer[None]):
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for staff.",
    )


class CompleteInput(serializers.Serializer[None]):
    note = serializers.CharField(
        max_length=4000,
        required=False,
        allow_blank=True,
        default="",
        help_text="What was done and what comes next (optional); the patient sees it too.",
    )
