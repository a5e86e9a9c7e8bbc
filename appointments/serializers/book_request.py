"""The booking POST's input: ``BookInput``, its ids resolved in one query.

``BookInput`` looks up the type, the practitioner (with their user, staff profile and
department, for the answer) and the patient one query each, through DRF's field machinery:
about a fifth of a booking's CPU. ``BookRequest`` reads a well-formed body (a JSON object
whose ids are UUID strings and whose start is an aware ISO time) in one query on PostgreSQL
(single-table lookups, each row as JSON), the same rows the selectors give
(``appointment_types_active``, ``practitioners_for``, ``patients_active``); anything else
(an unknown or inactive id, a malformed field, another database) goes through ``BookInput`` itself, so every answer and message stays its own.
"""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Model
from rest_framework import serializers

from accounts.models import Department, StaffProfile, User
from accounts.roles import Role
from appointments.models import AppointmentType, Practitioner
from appointments.serializers.bookings import BookInput
from appointments.serializers.fields import AwareDateTimeField

_FIELDS = frozenset({"appointment_type", "practitioner", "start", "reason", "patient"})
# Stateless fields used without binding (their errors send the body the long way).
_START = AwareDateTimeField()
_REASON = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


# One statement of single-table lookups, each row as JSON: no join for the planner to order
# (the same rows joined took PostgreSQL ~0.3 ms to plan; these ~0.05 ms). None where a row is
# missing. Table names are the models'.
_LOOKUP_SQL = (
    "SELECT row_to_json(p), "
    "(SELECT row_to_json(u) FROM {user} u WHERE u.id = p.user_id), "
    "(SELECT row_to_json(sp) FROM {profile} sp WHERE sp.user_id = p.user_id), "
    "(SELECT row_to_json(d) FROM {department} d WHERE d.id = p.department_id), "
    # appointment_types_active()
    "(SELECT row_to_json(t) FROM {type} t WHERE t.public_id = %s AND t.is_active), "
    # patients_active()
    "(SELECT row_to_json(pat) FROM {user} pat WHERE pat.public_id = %s AND pat.role = %s "
    "AND pat.is_active) "
    # practitioners_for(): active (with the user, staff profile and department)
    "FROM {practitioner} p WHERE p.public_id = %s AND p.is_active"
)


@cache
def _lookup_sql() -> str:
    return _LOOKUP_SQL.format(
        user=User._meta.db_table,
        profile=StaffProfile._meta.db_table,
        department=Department._meta.db_table,
        type=AppointmentType._meta.db_table,
        practitioner=Practitioner._meta.db_table,
    )


@cache
def _fields(model: type[Model]) -> tuple[list[str], list[tuple[str, Any]]]:
    fields = model._meta.concrete_fields
    return [field.attname for field in fields], [
        (field.column, field.to_python) for field in fields
    ]


def _instance(model: type[Model], row: dict[str, Any]) -> Any:
    """The instance the ORM would read, from the row's JSON (text for uuids and times)."""
    attnames, columns = _fields(model)
    return model.from_db(
        connection.alias, attnames, [to_python(row[column]) for column, to_python in columns]
    )


def _uuid(value: object) -> uuid.UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(hex=value)
    except ValueError:
        return None


def _resolved(data: object) -> dict[str, Any] | None:
    """BookInput's validated data for a well-formed body whose ids all name a row, or None."""
    if connection.vendor != "postgresql" or type(data) is not dict or not data.keys() <= _FIELDS:
        return None
    type_id, practitioner_id = _uuid(data.get("appointment_type")), _uuid(data.get("practitioner"))
    patient_id = _uuid(data["patient"]) if "patient" in data else None
    if type_id is None or practitioner_id is None or ("patient" in data and patient_id is None):
        return None
    try:
        start = _START.run_validation(data.get("start", serializers.empty))
        reason = _REASON.run_validation(data.get("reason", serializers.empty))
    except serializers.ValidationError:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            _lookup_sql(), [type_id, patient_id, str(Role.PATIENT.value), practitioner_id]
        )
        row = cursor.fetchone()
    if row is None:
        return None
    practitioner_row, user_row, profile_row, department_row, type_row, patient_row = row
    if type_row is None or (patient_id is not None and patient_row is None):
        return None
    practitioner = _instance(Practitioner, practitioner_row)
    user = _instance(User, user_row)
    profile = None if profile_row is None else _instance(StaffProfile, profile_row)
    # As select_related("user__staff_profile", "department") leaves them.
    Practitioner.user.field.set_cached_value(practitioner, user)
    User.staff_profile.related.set_cached_value(user, profile)
    if profile is not None:
        StaffProfile.user.field.set_cached_value(profile, user)
    Practitioner.department.field.set_cached_value(
        practitioner, _instance(Department, department_row)
    )
    validated: dict[str, Any] = {
        "appointment_type": _instance(AppointmentType, type_row),
        "practitioner": practitioner,
        "start": start,
        "reason": reason,
    }
    if patient_id is not None:
        validated["patient"] = _instance(User, patient_row)
    return validated


class BookRequest(BookInput):
    """``BookInput`` (the documented request body), read in one query when well formed."""

    def run_validation(self, data: Any = serializers.empty) -> Any:
        # BookInput has no validators and no validate(): the resolved body is its validated
        # data as they stand (DRF's validators would copy every declared field to find none).
        if type(self).validate is serializers.Serializer.validate and not self.validators:
            resolved = _resolved(data)
            if resolved is not None:
                return resolved
        return super().run_validation(data)
