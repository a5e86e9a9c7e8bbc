"""Schedule management: weekly working hours, and leave and blocked time."""

from __future__ import annotations

from rest_framework import serializers

from appointments.models import AvailabilityException, WorkingHours
from appointments.serializers.fields import AwareDateTimeField


class WorkingHoursSerializer(serializers.ModelSerializer[WorkingHours]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    ends_next_day = serializers.BooleanField(
        read_only=True,
        help_text="The end is at or before the start: the hours run past midnight and end "
        "the next morning (a night shift).",
    )

    class Meta:
        model = WorkingHours
        fields = (
            "id",
            "weekday",
            "start_time",
            "end_time",
            "ends_next_day",
            "valid_from",
            "valid_until",
        )


class ScheduleExceptionSerializer(serializers.ModelSerializer[AvailabilityException]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    start = AwareDateTimeField()
    end = AwareDateTimeField()

    class Meta:
        model = AvailabilityException
        fields = ("id", "kind", "start", "end", "reason")


# What the API answers with: every field is always present.
class WorkingHoursOutput(WorkingHoursSerializer):
    class Meta(WorkingHoursSerializer.Meta):
        read_only_fields = WorkingHoursSerializer.Meta.fields


class ScheduleExceptionOutput(ScheduleExceptionSerializer):
    class Meta(ScheduleExceptionSerializer.Meta):
        read_only_fields = ScheduleExceptionSerializer.Meta.fields
