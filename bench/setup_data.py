"""Benchmark data: a department of 50 practitioners with 100,000 appointments.

Uses its own PostgreSQL database (BENCH_DATABASE_URL, default hospital_bench), recreated
from scratch by `make bench`. Never point it at a database you care about.
"""

from __future__ import annotations

import datetime
import os
import random
import sys
from typing import Any

PRACTITIONERS = 50
RECEPTIONISTS = 10
APPOINTMENTS = 100_000


def django_setup() -> None:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hospital_bench"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hospital.settings")
    os.environ.setdefault("RATE_LIMITS_ENABLED", "false")
    import django

    django.setup()


def build() -> dict[str, object]:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Department, StaffProfile, User
    from appointments.models import Appointment, AppointmentType, Practitioner, WorkingHours

    call_command("migrate", verbosity=0)
    rng = random.Random(20260302)  # repeatable data  # noqa: S311
    password = make_password("bench-passphrase-for-all-users")
    department = Department.objects.create(code="bench", name="Benchmark department")
    consultation = AppointmentType.objects.create(
        department=department,
        name="Consultation",
        duration_minutes=20,
        buffer_after_minutes=10,
        lead_time_minutes=0,
        booking_horizon_days=365,
    )
    doctors = User.objects.bulk_create(
        [
            User(
                email=f"doctor{n}@bench.test",
                full_name=f"Doctor {n}",
                role="doctor",
                password=password,
            )
            for n in range(PRACTITIONERS)
        ]
    )
    StaffProfile.objects.bulk_create(
        [StaffProfile(user=user, department=department, title="Dr") for user in doctors]
    )
    practitioners = Practitioner.objects.bulk_create(
        [Practitioner(user=user, department=department) for user in doctors]
    )
    for practitioner in practitioners:
        practitioner.appointment_types.add(consultation)
    today = timezone.localdate()
    WorkingHours.objects.bulk_create(
        [
            WorkingHours(
                practitioner=p,
                weekday=d,
                start_time=start,
                end_time=end,
                valid_from=today - datetime.timedelta(days=400),
            )
            for p in practitioners
            for d in range(5)
            for start, end in (
                (datetime.time(8), datetime.time(12)),
                (datetime.time(13), datetime.time(17)),
            )
        ]
    )
    patients = User.objects.bulk_create(
        [
            User(
                email=f"patient{n}@bench.test",
                full_name=f"Patient {n}",
                role="patient",
                password=password,
            )
            for n in range(5000)
        ]
    )
    # 100,000 appointments: 2,000 per practitioner on 30-minute boundaries, from a year ago to
    # two weeks ahead (the search window has a realistic ~40% of its time booked).
    start_day = today - datetime.timedelta(days=340)
    rows = []
    per_practitioner = APPOINTMENTS // PRACTITIONERS
    for practitioner in practitioners:
        used: set[datetime.datetime] = set()
        while len(used) < per_practitioner:
            day = start_day + datetime.timedelta(days=rng.randrange(354))
            if day.weekday() >= 5:
                continue
            hour = rng.choice([8, 9, 10, 11, 13, 14, 15, 16])
            start = datetime.datetime.combine(
                day, datetime.time(hour, rng.choice([0, 30])), tzinfo=datetime.UTC
            )
            if start in used:
                continue
            used.add(start)
            rows.append(
                Appointment(
                    patient=rng.choice(patients),
                    practitioner=practitioner,
                    appointment_type=consultation,
                    start=start,
                    end=start + datetime.timedelta(minutes=20),
                    blocked_until=start + datetime.timedelta(minutes=30),
                    status="completed" if start.date() < today else "booked",
                    channel="web",
                )
            )
    # The per-patient constraint would refuse random overlaps: give each row its own patient slot.
    seen: dict[tuple[int, datetime.datetime], int] = {}
    for row in rows:
        key = (row.patient.pk, row.start)
        while key in seen:
            row.patient = rng.choice(patients)
            key = (row.patient.pk, row.start)
        seen[key] = 1
    Appointment.objects.bulk_create(rows, batch_size=5000)
    receptionists = _sign_in_ready(
        doctors=doctors, patients=patients, department=department, password=password
    )
    # Measure a settled database, not one busy with autovacuum after a bulk load.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {
        "department": department.pk,
        "type": consultation.pk,
        "appointments": Appointment.objects.count(),
        "receptionists": len(receptionists),
    }


def _sign_in_ready(
    *, doctors: list[Any], patients: list[Any], department: Any, password: str
) -> list[Any]:
    """What a real sign-in needs (after the appointments, so the seeded data above stays the
    same): a verified address for everyone, an authenticator for staff (staff without a
    second factor reach only MFA enrolment), and a front desk for the check-ins."""
    from allauth.account.models import EmailAddress
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import StaffProfile, User

    receptionists = User.objects.bulk_create(
        [
            User(
                email=f"reception{n}@bench.test",
                full_name=f"Reception {n}",
                role="receptionist",
                password=password,
            )
            for n in range(RECEPTIONISTS)
        ]
    )
    StaffProfile.objects.bulk_create(
        [StaffProfile(user=user, department=department, title="") for user in receptionists]
    )
    everyone = [*doctors, *receptionists, *patients]
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user=user, email=user.email, verified=True, primary=True)
            for user in everyone
        ]
    )
    TOTPDevice.objects.bulk_create(
        [
            TOTPDevice(user=user, name="Bench authenticator", confirmed=True)
            for user in [*doctors, *receptionists]
        ]
    )
    return receptionists
