"""A change to the value something already has is a no-op: the current state is returned
(200), with no audit row, no event (so no notification) and no new calendar revision. A repeated
status step (cancel, check-in, complete) stays a refused transition (409), also with no audit
row and no event, as before."""

from __future__ import annotations

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.services import sessions
from appointments.events import (
    AppointmentCancelled,
    AppointmentRescheduled,
    AppointmentStatusChanged,
)
from appointments.models import Appointment
from appointments.services import booking
from audit.models import AuditEvent
from core import events
from tests.appointments.conftest import MONDAY, NOW, at, book
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

_received: list[object] = []


def _on_event(event: object) -> None:
    _received.append(event)


@pytest.fixture
def published():
    """The appointment events delivered to a subscriber, in order (run the act inside
    ``django_capture_on_commit_callbacks(execute=True)``: delivery follows the commit)."""
    kinds = (AppointmentRescheduled, AppointmentCancelled, AppointmentStatusChanged)
    for kind in kinds:
        events.subscribe(kind)(_on_event)
    _received.clear()
    try:
        yield _received
    finally:
        for kind in kinds:
            events._subscribers[kind].remove(_on_event)
        _received.clear()


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _api(user) -> APIClient:
    pair = sessions.api_session_start(
        user=user, request=None, mfa_device="test" if user.is_staff_member else ""
    )
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")


def _audited(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_ten_reschedules_to_the_current_time_change_nothing(
    patient, practitioner, consultation, published, django_capture_on_commit_callbacks
):
    appointment = book(patient, practitioner, consultation, at(MONDAY, 9))
    api = _api(patient)

    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            api.post(
                f"/api/v1/appointments/{appointment.public_id}/reschedule",
                {"start": at(MONDAY, 9).isoformat()},
                format="json",
            )
            for _ in range(10)
        ]
    stored = Appointment.objects.get(pk=appointment.pk)

    assert [answer.status_code for answer in answers] == [200] * 10
    assert {answer.json()["start"] for answer in answers} == {"2026-03-02T09:00:00Z"}
    assert _audited("appointments.rescheduled") == 0
    assert published == []
    assert stored.revision == 0
    assert stored.updated_at == appointment.updated_at


def test_ten_identical_reschedules_move_the_appointment_once(
    patient, practitioner, consultation, published, django_capture_on_commit_callbacks
):
    appointment = book(patient, practitioner, consultation, at(MONDAY, 9))
    api = _api(patient)

    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            api.post(
                f"/api/v1/appointments/{appointment.public_id}/reschedule",
                {"start": at(MONDAY, 11).isoformat()},
                format="json",
            )
            for _ in range(10)
        ]

    assert [answer.status_code for answer in answers] == [200] * 10
    assert {answer.json()["start"] for answer in answers} == {"2026-03-02T11:00:00Z"}
    assert _audited("appointments.rescheduled") == 1
    assert [type(event) for event in published] == [AppointmentRescheduled]
    assert Appointment.objects.get(pk=appointment.pk).revision == 1


def test_the_same_time_with_another_practitioner_is_a_move(
    patient, practitioner, consultation, department, published, django_capture_on_commit_callbacks
):
    from tests.factories import PractitionerFactory, WorkingHoursFactory

    colleague = PractitionerFactory.create(department=department, offers=[consultation])
    WorkingHoursFactory.create(practitioner=colleague, weekday=0)
    appointment = book(patient, practitioner, consultation, at(MONDAY, 9))

    with django_capture_on_commit_callbacks(execute=True):
        moved = booking.appointment_reschedule(
            actor=UserFactory.create(role="receptionist"),
            appointment=appointment,
            new_start=at(MONDAY, 9),
            new_practitioner=colleague,
            now=NOW,
        )

    assert moved.practitioner == colleague
    assert _audited("appointments.rescheduled") == 1
    assert [type(event) for event in published] == [AppointmentRescheduled]


def test_a_no_op_reschedule_still_checks_who_asks_and_the_status(
    patient, practitioner, consultation
):
    from appointments import errors
    from tests.factories import PatientProfileFactory

    appointment = book(patient, practitioner, consultation, at(MONDAY, 9))
    stranger = PatientProfileFactory.create().user

    with pytest.raises(errors.NotAllowed):
        booking.appointment_reschedule(
            actor=stranger, appointment=appointment, new_start=at(MONDAY, 9), now=NOW
        )
    cancelled = booking.appointment_cancel(actor=patient, appointment=appointment, now=NOW)
    with pytest.raises(errors.InvalidTransition):
        booking.appointment_reschedule(
            actor=patient, appointment=cancelled, new_start=at(MONDAY, 9), now=NOW
        )


def test_a_repeated_cancel_is_refused_once_audited_and_published_once(
    patient, practitioner, consultation, published, django_capture_on_commit_callbacks
):
    appointment = book(patient, practitioner, consultation, at(MONDAY, 9))
    api = _api(patient)
    url = f"/api/v1/appointments/{appointment.public_id}/cancel"

    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(url, {}, format="json")
        repeats = [api.post(url, {}, format="json") for _ in range(3)]

    assert first.status_code == 200
    assert {answer.status_code for answer in repeats} == {409}
    assert {answer.json()["code"] for answer in repeats} == {"INVALID_TRANSITION"}
    assert _audited("appointments.cancelled") == 1
    assert [type(event) for event in published] == [AppointmentCancelled]
    assert Appointment.objects.get(pk=appointment.pk).revision == 1


def test_a_repeated_check_in_is_refused_once_audited_and_published_once(
    patient, practitioner, consultation, published, django_capture_on_commit_callbacks
):
    appointment = book(patient, practitioner, consultation, at(MONDAY, 9))
    receptionist = UserFactory.create(role="receptionist")

    with (
        time_machine.travel(at(MONDAY, 8, 55), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        reception = _api(receptionist)
        url = f"/api/v1/appointments/{appointment.public_id}/check-in"
        answers = [reception.post(url) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 409, 409]
    assert _audited("appointments.checked_in") == 1
    assert [type(event) for event in published] == [AppointmentStatusChanged]
