"""Finding a time: appointment types, practitioners, free slots."""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Sequence
from typing import Any

from rest_framework import serializers

from accounts.selectors.directory import departments_all
from appointments.models import AppointmentType, Practitioner
from appointments.selectors.schedules import (
    appointment_types_active,
    appointment_types_all,
    practitioners_for,
)
from appointments.selectors.slots import Slot, SlotPractitioner
from appointments.serializers.fields import PublicIdField
from core.api import QueryParameters, ReferenceSerializer


def _department_filter() -> PublicIdField[Any]:
    # Leave the parameter out for every department; an empty or malformed one is a 400, as the
    # schema (a UUID) says.
    return PublicIdField(
        queryset=departments_all(), not_found="No such department.", required=False
    )


# A practitioner wherever an output names one: a reference ({id, name}) with the department
# and the time zone its times are local to.
class PractitionerSummary(serializers.ModelSerializer[Practitioner]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)
    department = ReferenceSerializer()

    class Meta:
        model = Practitioner
        fields = ("id", "name", "department", "time_zone")
        read_only_fields = fields


class AppointmentTypeFilter(QueryParameters):
    paginated = False  # a short list: every type at once
    department = _department_filter()


class AppointmentTypeOutput(serializers.ModelSerializer[AppointmentType]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    department = ReferenceSerializer()

    class Meta:
        model = AppointmentType
        fields = (
            "id",
            "name",
            "department",
            "duration_minutes",
            "buffer_after_minutes",
            "patient_bookable",
            "lead_time_minutes",
            "booking_horizon_days",
        )
        read_only_fields = fields


class PractitionerFilter(QueryParameters):
    department = _department_filter()
    appointment_type = PublicIdField(
        queryset=appointment_types_all(),
        not_found="No such appointment type.",
        required=False,
    )


class SlotQuery(QueryParameters):
    appointment_type = PublicIdField(
        queryset=appointment_types_active(), not_found="No such appointment type."
    )
    department = PublicIdField(
        queryset=departments_all(), not_found="No such department.", required=False
    )
    # Resolved in validate(): only a practitioner offering the type will do.
    practitioner = serializers.UUIDField(required=False)
    date_from = serializers.DateField()
    date_to = serializers.DateField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": "Must not be before date_from."})
        if (attrs["date_to"] - attrs["date_from"]).days > 30:
            raise serializers.ValidationError({"date_to": "Search at most 31 days at a time."})
        if attrs.get("practitioner"):
            attrs["practitioner"] = (
                practitioners_for(appointment_type=attrs["appointment_type"])
                .filter(public_id=attrs["practitioner"])
                .first()
            )
            if attrs["practitioner"] is None:
                raise serializers.ValidationError(
                    {"practitioner": "No such practitioner offering this appointment type."}
                )
        return attrs


# The instance is a slot, or a list of them (many=True), as ModelSerializer's typing allows.
class SlotOutput(serializers.Serializer[Slot | Sequence[Slot]]):
    start = serializers.DateTimeField(read_only=True)
    end = serializers.DateTimeField(read_only=True)
    local_start = serializers.SerializerMethodField(
        help_text="Wall-clock start in the practitioner's time zone."
    )
    practitioner = PractitionerSummary(read_only=True)

    def get_local_start(self, slot: Slot) -> str:
        return slot.start.astimezone(slot.practitioner.zone).isoformat()


# A slot as the API lists it: (start in epoch seconds, the practitioner's public id as text,
# the practitioner).
SlotRow = tuple[float, str, SlotPractitioner]


def _utc_text(instant: datetime.datetime) -> str:
    # DRF's DateTimeField in UTC (the API's zone): ISO 8601 with "Z".
    text = instant.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def slot_key(row: SlotRow) -> tuple[str, str]:
    """The order of the slot list and its cursor: the UTC start as ISO 8601 (sorts like the
    times), then the practitioner."""
    return (datetime.datetime.fromtimestamp(row[0], datetime.UTC).isoformat(), row[1])


def slot_rows_output(rows: Sequence[SlotRow], *, duration_minutes: int) -> list[dict[str, Any]]:
    """SlotOutput's JSON for a page of slots, as plain dicts: each practitioner's summary is
    built once per page, not per slot (a page lists a hundred)."""
    summaries: dict[str, dict[str, Any]] = {}
    duration = duration_minutes * 60.0
    from_timestamp = datetime.datetime.fromtimestamp
    output = []
    for start, practitioner_id, practitioner in rows:
        summary = summaries.get(practitioner_id)
        if summary is None:
            summary = summaries[practitioner_id] = {
                "id": practitioner_id,
                "name": practitioner.display_name,
                "department": {
                    "id": str(practitioner.department_public_id),
                    "name": practitioner.department_name,
                },
                "time_zone": practitioner.time_zone,
            }
        output.append(
            {
                "start": _utc_text(from_timestamp(start, datetime.UTC)),
                "end": _utc_text(from_timestamp(start + duration, datetime.UTC)),
                "local_start": from_timestamp(
                    start, zoneinfo.ZoneInfo(practitioner.time_zone)
                ).isoformat(),
                "practitioner": summary,
            }
        )
    return output
