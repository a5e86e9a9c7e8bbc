"""Finding a time: appointment types, practitioners, free slots."""

from __future__ import annotations

import datetime
import json
import re
import uuid
import zoneinfo
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
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
from core.api import CURSOR_PARAMETER, QueryParameters, ReferenceSerializer


def _department_filter() -> PublicIdField[Any]:
    # Leave the parameter out for every department; an empty or malformed one is a 400, as the
    # schema (a UUID) says.
    return PublicIdField(
        queryset=departments_all(), not_found=gettext_lazy("No such department."), required=False
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
            "preparation",
        )
        read_only_fields = fields


class PractitionerFilter(QueryParameters):
    department = _department_filter()
    appointment_type = PublicIdField(
        queryset=appointment_types_all(),
        not_found=gettext_lazy("No such appointment type."),
        required=False,
    )


class SlotQuery(QueryParameters):
    appointment_type = PublicIdField(
        queryset=appointment_types_active(), not_found=gettext_lazy("No such appointment type.")
    )
    department = PublicIdField(
        queryset=departments_all(), not_found=gettext_lazy("No such department."), required=False
    )
    # Resolved in validate(): only a practitioner offering the type will do.
    practitioner = serializers.UUIDField(required=False)
    date_from = serializers.DateField()
    date_to = serializers.DateField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": _("Must not be before date_from.")})
        if (attrs["date_to"] - attrs["date_from"]).days > 30:
            raise serializers.ValidationError({"date_to": _("Search at most 31 days at a time.")})
        if attrs.get("practitioner"):
            attrs["practitioner"] = (
                practitioners_for(appointment_type=attrs["appointment_type"])
                .filter(public_id=attrs["practitioner"])
                .first()
            )
            if attrs["practitioner"] is None:
                raise serializers.ValidationError(
                    {"practitioner": _("No such practitioner offering this appointment type.")}
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


# --- The common search without DRF's machinery ------------------------------------------------

_QUERY_NAMES = frozenset(
    {"appointment_type", "department", "practitioner", "date_from", "date_to", CURSOR_PARAMETER}
)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class PlainSlotQuery(NamedTuple):
    appointment_type: uuid.UUID
    department: uuid.UUID | None
    practitioner: uuid.UUID | None
    date_from: datetime.date
    date_to: datetime.date


def _plain_uuid(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value is not None and _UUID.fullmatch(value) else None


def _plain_date(value: str | None) -> datetime.date | None:
    if value is None or not _DATE.fullmatch(value):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def plain_slot_query(params: Mapping[str, str]) -> PlainSlotQuery | None:
    """A search's parameters when written as the schema shows them (lower-case UUIDs,
    YYYY-MM-DD, a window of at most 31 days), parsed without SlotQuery; None for anything
    else, which SlotQuery then reads (and answers with its errors). The ids are not looked up
    here (``slots.slot_catalog``)."""
    if not _QUERY_NAMES.issuperset(params):
        return None
    appointment_type = _plain_uuid(params.get("appointment_type"))
    date_from = _plain_date(params.get("date_from"))
    date_to = _plain_date(params.get("date_to"))
    if appointment_type is None or date_from is None or date_to is None:
        return None
    if date_to < date_from or (date_to - date_from).days > 30:
        return None
    department = practitioner = None
    if "department" in params:
        department = _plain_uuid(params.get("department"))
        if department is None:
            return None
    if "practitioner" in params:
        practitioner = _plain_uuid(params.get("practitioner"))
        if practitioner is None:
            return None
    return PlainSlotQuery(appointment_type, department, practitioner, date_from, date_to)


def _json(value: Any) -> str:
    # DRF's JSONRenderer as configured (compact, UNICODE_JSON, STRICT_JSON), for a fragment.
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


# A practitioner's summary as JSON, by the summary's facts (a search shows the same few
# dozen practitioners again and again).
_SUMMARIES: dict[tuple[str, str, str, str, str], str] = {}


def _summary_json(practitioner: SlotPractitioner) -> str:
    facts = (
        practitioner.public_id,
        practitioner.display_name,
        practitioner.department_public_id,
        practitioner.department_name,
        practitioner.time_zone,
    )
    text = _SUMMARIES.get(facts)
    if text is None:
        if len(_SUMMARIES) >= 10_000:
            _SUMMARIES.clear()
        text = _SUMMARIES[facts] = _json(
            {
                "id": facts[0],
                "name": facts[1],
                "department": {"id": facts[2], "name": facts[3]},
                "time_zone": facts[4],
            }
        )
    return text


# The times of a row as JSON, by (start, duration, time zone): the same slots are listed
# again and again (bounded: emptied when full).
_ROW_TIMES: dict[tuple[float, float, str], str] = {}


def _row_times(start: float, duration: float, time_zone: str) -> str:
    from_timestamp = datetime.datetime.fromtimestamp
    start_text = _utc_text(from_timestamp(start, datetime.UTC))
    end_text = _utc_text(from_timestamp(start + duration, datetime.UTC))
    local_text = from_timestamp(start, zoneinfo.ZoneInfo(time_zone)).isoformat()
    if len(_ROW_TIMES) >= 20_000:
        _ROW_TIMES.clear()
    text = _ROW_TIMES[start, duration, time_zone] = (
        f'"start":"{start_text}","end":"{end_text}","local_start":"{local_text}"'
    )
    return text


def slot_page_json(
    rows: Sequence[SlotRow], *, duration_minutes: int, next_url: str | None
) -> bytes:
    """The bytes DRF's JSONRenderer writes for ``{"next", "previous": null, "results":
    slot_rows_output(rows)}``, written directly: each row's times and each practitioner's
    summary encoded once per process."""
    duration = duration_minutes * 60.0
    times = _ROW_TIMES
    parts = []
    for start, _practitioner_id, practitioner in rows:
        time_zone = practitioner.time_zone
        row_times = times.get((start, duration, time_zone)) or _row_times(
            start, duration, time_zone
        )
        parts.append(f'{{{row_times},"practitioner":{_summary_json(practitioner)}}}')
    next_text = "null" if next_url is None else _json(next_url)
    results = ",".join(parts)
    return f'{{"next":{next_text},"previous":null,"results":[{results}]}}'.encode()
