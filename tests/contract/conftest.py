"""The contract checks' world: a live server (pytest-django's ``live_server``, a real HTTP
server on the test database), a clinic with bookable time, a patient, and a doctor whose
account has a confirmed authenticator app, so staff sign in through the second factor.

Sign-in goes through the API itself (password, then the TOTP code an authenticator app would
show), as a mobile app or an integrator does it.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

import httpx
import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from appointments.models import Appointment, AppointmentType, Practitioner
from tests.conftest import totp_code
from tests.factories import (
    TEST_PASSWORD,
    AppointmentTypeFactory,
    DepartmentFactory,
    PatientProfileFactory,
    PractitionerFactory,
    WorkingHoursFactory,
)


@dataclass(frozen=True)
class Clinic:
    appointment_type: AppointmentType
    practitioner: Practitioner
    doctor: User
    doctor_device: TOTPDevice
    patient: User


@pytest.fixture
def clinic(transactional_db) -> Clinic:
    """One department, one consultation type, a doctor who works every day from 08:00 to
    18:00 (Europe/London) with an authenticator app, and a patient with a profile."""
    department = DepartmentFactory.create(code="general", name="General Practice")
    consultation = AppointmentTypeFactory.create(
        department=department, name="Consultation", duration_minutes=30, lead_time_minutes=60
    )
    practitioner = PractitionerFactory.create(department=department, offers=[consultation])
    for weekday in range(7):
        WorkingHoursFactory.create(
            practitioner=practitioner,
            weekday=weekday,
            start_time=datetime.time(8),
            end_time=datetime.time(18),
        )
    doctor = practitioner.user
    device = TOTPDevice.objects.create(user=doctor, name="Authenticator", confirmed=True)
    patient = PatientProfileFactory.create().user
    return Clinic(
        appointment_type=consultation,
        practitioner=practitioner,
        doctor=doctor,
        doctor_device=device,
        patient=patient,
    )


def api_sign_in(base_url: str, user: User, device: TOTPDevice | None = None) -> dict[str, str]:
    """The token pair of ``user``, through POST /auth/login and (with a device) /auth/mfa."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        first = client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": TEST_PASSWORD}
        )
        assert first.status_code == 200, first.text
        body = first.json()
        if body["status"] == "mfa_required":
            assert device is not None, "the account has a second factor: give its device"
            second = client.post(
                "/api/v1/auth/mfa",
                json={"mfa_token": body["mfa_token"], "method": "totp", "code": totp_code(device)},
            )
            assert second.status_code == 200, second.text
            body = second.json()
        assert body["status"] == "authenticated", body
        tokens: dict[str, str] = body["tokens"]
        return tokens


def appointment_due_soon(clinic: Clinic, *, minutes: int = 30) -> Appointment:
    """A booked appointment of the clinic's patient with its doctor starting in ``minutes``
    minutes: inside the check-in window. Made with the ORM because no booking lead time lets
    anyone book this close to now, and a live server cannot travel in time."""
    start = (timezone.now() + datetime.timedelta(minutes=minutes)).replace(microsecond=0)
    return _appointment(clinic, start)


def _appointment(clinic: Clinic, start: datetime.datetime) -> Appointment:
    end = start + datetime.timedelta(minutes=clinic.appointment_type.duration_minutes)
    return Appointment.objects.create(
        patient=clinic.patient,
        practitioner=clinic.practitioner,
        appointment_type=clinic.appointment_type,
        start=start,
        end=end,
        blocked_until=end,
        status=Appointment.Status.BOOKED,
        booked_by=clinic.patient,
        channel=Appointment.Channel.RECEPTION,
    )


def appointment_booked(clinic: Clinic, *, days_ahead: int = 7) -> Appointment:
    """A booked appointment of the clinic's patient a week ahead, at 10:00 in the clinic."""
    day = timezone.localdate() + datetime.timedelta(days=days_ahead)
    start = datetime.datetime.combine(
        day, datetime.time(10), tzinfo=zoneinfo.ZoneInfo(clinic.practitioner.time_zone)
    )
    return _appointment(clinic, start)
