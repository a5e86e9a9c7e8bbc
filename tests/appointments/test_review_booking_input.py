"""Review of the booking shortcuts: BookRequest (the input's ids in one raw query) refuses what
BookInput refuses, and slot_check answers as a day's search at the edges of its rules."""

from __future__ import annotations

import datetime

import pytest

from appointments.models import AvailabilityException
from appointments.selectors.slots import _slot_is_free_searched, slot_check
from appointments.serializers.book_request import BookRequest
from appointments.serializers.bookings import BookInput
from tests.appointments.conftest import MONDAY, NOW, at, book
from tests.factories import PatientProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


def _body(practitioner, appointment_type, start) -> dict[str, str]:
    return {
        "appointment_type": str(appointment_type.public_id),
        "practitioner": str(practitioner.public_id),
        "start": start.isoformat(),
    }


def _both(data):
    fast, slow = BookRequest(data=data), BookInput(data=data)
    return (fast.is_valid(), fast), (slow.is_valid(), slow)


def _fields(instance) -> dict[str, object]:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


def _same_answer(body) -> tuple[bool, dict]:
    (fast_ok, fast), (slow_ok, slow) = _both(body)
    assert fast_ok == slow_ok
    assert fast.errors == slow.errors
    if fast_ok:
        assert fast.validated_data.keys() == slow.validated_data.keys()
        for name, value in fast.validated_data.items():
            other = slow.validated_data[name]
            if hasattr(value, "_meta"):
                assert _fields(value) == _fields(other), name
            else:
                assert value == other, name
    return fast_ok, dict(fast.errors)


def test_an_inactive_type_is_not_found(patient, practitioner, consultation):
    consultation.is_active = False
    consultation.save(update_fields=["is_active"])

    ok, errors = _same_answer(_body(practitioner, consultation, at(MONDAY, 9)))

    assert not ok
    assert errors == {"appointment_type": ["No such appointment type."]}


def test_an_inactive_patient_is_not_found(patient, practitioner, consultation):
    gone = PatientProfileFactory.create().user
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    body = {**_body(practitioner, consultation, at(MONDAY, 9)), "patient": str(gone.public_id)}

    ok, errors = _same_answer(body)

    assert not ok
    assert errors == {"patient": ["No such patient."]}


@pytest.mark.parametrize("role", ["doctor", "nurse", "receptionist", "admin"])
def test_a_non_patient_is_not_a_patient_to_book_for(practitioner, consultation, role):
    staff = UserFactory.create(role=role)
    body = {**_body(practitioner, consultation, at(MONDAY, 9)), "patient": str(staff.public_id)}

    ok, errors = _same_answer(body)

    assert not ok
    assert errors == {"patient": ["No such patient."]}


@pytest.mark.parametrize(
    "swap",
    [
        "practitioner=its user",
        "practitioner=the type",
        "appointment_type=the practitioner",
        "appointment_type=the department",
        "patient=the practitioner",
        "patient=the type",
    ],
)
def test_ids_of_another_kind_are_not_found(patient, practitioner, consultation, swap):
    ids = {
        "its user": practitioner.user.public_id,
        "the type": consultation.public_id,
        "the practitioner": practitioner.public_id,
        "the department": consultation.department.public_id,
    }
    field, named = swap.split("=")
    body = {**_body(practitioner, consultation, at(MONDAY, 9)), field: str(ids[named])}

    ok, errors = _same_answer(body)

    assert not ok
    assert list(errors) == [field]


@pytest.mark.parametrize(
    "spelling",
    [
        lambda value: str(value).upper(),
        lambda value: value.hex,
        lambda value: "{" + str(value) + "}",
        lambda value: "urn:uuid:" + str(value),
        lambda value: " " + str(value),
    ],
)
def test_any_spelling_of_an_id_gets_book_inputs_answer(
    patient, practitioner, consultation, spelling
):
    body = {
        "appointment_type": spelling(consultation.public_id),
        "practitioner": spelling(practitioner.public_id),
        "start": at(MONDAY, 9).isoformat(),
        "patient": spelling(patient.public_id),
    }

    _same_answer(body)


# --- slot_check at the edges: exactly the lead time, exactly touching leave and booked time ----


def _agrees(practitioner, appointment_type, start, now, *, patient_id=None) -> bool:
    check = slot_check(
        appointment_type=appointment_type,
        practitioner=practitioner,
        start=start,
        now=now,
        patient_id=patient_id,
    )
    searched = _slot_is_free_searched(
        appointment_type=appointment_type, practitioner=practitioner, start=start, now=now
    )
    assert check.free == searched, (start, now)
    return check.free


def test_slot_check_at_the_edges_agrees_with_the_search(practitioner, consultation):
    consultation.buffer_after_minutes = 15
    consultation.lead_time_minutes = 60
    consultation.save(update_fields=["buffer_after_minutes", "lead_time_minutes"])
    other = PatientProfileFactory.create().user
    starts = [at(MONDAY, 8) + datetime.timedelta(minutes=5 * n) for n in range(12 * 10)]
    # Leave that ends exactly where a slot starts, and one that starts exactly where one ends.
    AvailabilityException.objects.create(
        practitioner=practitioner, start=at(MONDAY, 9, 15), end=at(MONDAY, 10, 0)
    )
    free_now = [start for start in starts if _agrees(practitioner, consultation, start, NOW)]
    assert free_now
    # A booking: its buffer blocks the next start only up to blocked_until.
    book(other, practitioner, consultation, free_now[len(free_now) // 2])
    for start in starts:
        _agrees(practitioner, consultation, start, NOW)
        # Exactly the lead time before it, a second before, a second after.
        for offset in (0, 1, -1):
            _agrees(
                practitioner,
                consultation,
                start,
                start - datetime.timedelta(minutes=60, seconds=offset),
            )
