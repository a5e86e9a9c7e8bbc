"""The booking POST's input: ``BookInput``, its ids resolved in one query.

``BookInput`` looks up the type, the practitioner (with their user, staff profile and
department, for the answer) and the patient one query each, through DRF's field machinery:
about a fifth of a booking's CPU. ``BookRequest`` reads a well-formed body (a JSON object
whose ids are UUID strings and whose start is an aware ISO time) in one query on PostgreSQL,
the same rows the selectors give (``appointment_types_active``, ``practitioners_for``,
``patients_active``); anything else (an unknown or inactive id, a malformed field, another
database) goes through ``BookInput`` itself, so every answer and message stays its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
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


@cache
def _columns(model: type[Model], alias: str) -> tuple[str, list[str]]:
    """The select list of a model's concrete columns under ``alias``, and their attnames."""
    fields = model._meta.concrete_fields
    names = ", ".join(f'{alias}."{field.column}"' for field in fields)
    return names, [field.attname for field in fields]


def _instance(model: type[Model], attnames: list[str], values: Sequence[Any]) -> Any:
    # No field of these models converts its database value (checked by the tests).
    return model.from_db(connection.alias, attnames, values)


@cache
def _lookup_sql() -> tuple[str, list[tuple[type[Model], int, int]]]:
    """The query and, per model in its order, the slice of the row that holds it."""
    parts = [
        (AppointmentType, "t"),
        (Practitioner, "p"),
        (User, "u"),
        (StaffProfile, "sp"),
        (Department, "d"),
        (User, "pat"),
    ]
    selects, slices, offset = [], [], 0
    for model, alias in parts:
        names, attnames = _columns(model, alias)
        selects.append(names)
        slices.append((model, offset, offset + len(attnames)))
        offset += len(attnames)
    sql = (
        f"SELECT {', '.join(selects)} FROM (SELECT 1) AS one "  # noqa: S608 - names from the models
        # appointment_types_active()
        f'LEFT JOIN "{AppointmentType._meta.db_table}" t ON t.public_id = %s AND t.is_active '
        # practitioners_for(): active, with the user, staff profile and department
        f'LEFT JOIN "{Practitioner._meta.db_table}" p ON p.public_id = %s AND p.is_active '
        f'LEFT JOIN "{User._meta.db_table}" u ON u.id = p.user_id '
        f'LEFT JOIN "{StaffProfile._meta.db_table}" sp ON sp.user_id = u.id '
        f'LEFT JOIN "{Department._meta.db_table}" d ON d.id = p.department_id '
        # patients_active()
        f'LEFT JOIN "{User._meta.db_table}" pat ON pat.public_id = %s AND pat.role = %s '
        "AND pat.is_active"
    )
    return sql, slices


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
    sql, slices = _lookup_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [type_id, practitioner_id, patient_id, str(Role.PATIENT.value)])
        row = cursor.fetchone()
    rows = [row[first:last] for _model, first, last in slices]
    type_row, practitioner_row, user_row, profile_row, department_row, patient_row = rows
    if type_row[0] is None or practitioner_row[0] is None:
        return None
    if patient_id is not None and patient_row[0] is None:
        return None
    attnames = {model: _columns(model, "")[1] for model, _first, _last in slices}
    practitioner = _instance(Practitioner, attnames[Practitioner], practitioner_row)
    user = _instance(User, attnames[User], user_row)
    profile = (
        None
        if profile_row[0] is None
        else _instance(StaffProfile, attnames[StaffProfile], profile_row)
    )
    # As select_related("user__staff_profile", "department") leaves them.
    Practitioner.user.field.set_cached_value(practitioner, user)
    User.staff_profile.related.set_cached_value(user, profile)
    if profile is not None:
        StaffProfile.user.field.set_cached_value(profile, user)
    Practitioner.department.field.set_cached_value(
        practitioner, _instance(Department, attnames[Department], department_row)
    )
    validated: dict[str, Any] = {
        "appointment_type": _instance(AppointmentType, attnames[AppointmentType], type_row),
        "practitioner": practitioner,
        "start": start,
        "reason": reason,
    }
    if patient_id is not None:
        validated["patient"] = _instance(User, attnames[User], patient_row)
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
