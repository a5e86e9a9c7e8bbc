"""Demo data of the appointments app: practitioners, appointment types, working hours, a day of
leave, and some appointments for the demo patients, so the schedule pages show a real week."""

from __future__ import annotations

import datetime

from django.utils import timezone

from accounts.models import User
from accounts.selectors.directory import department_get_by_code
from accounts.selectors.users import user_get_by_email
from appointments.errors import PatientBusy, PatientHasOverlap, SlotTaken, SlotUnavailable
from appointments.models import Appointment, AppointmentType, Practitioner, WorkingHours
from appointments.selectors.slots import free_slots
from appointments.services import availability, booking
from core.seeding import DemoLogin

# department code -> [(name, minutes, buffer, patient_bookable)]
TYPES = {
    "general-practice": [("GP consultation", 15, 5, True), ("Long GP consultation", 30, 5, True)],
    "cardiology": [("Cardiology consultation", 30, 10, True), ("ECG", 20, 10, False)],
    "paediatrics": [("Child health check", 20, 10, True)],
}
# type name -> what to bring (the others: the hospital's default)
PREPARATION = {
    "Cardiology consultation": "Bring a list of your medicines, any recent ECG or blood "
    "pressure readings, and wear a top that is easy to take off.",
    "Child health check": "Bring the child's red book (personal health record) and a list of "
    "any medicines they take.",
}
# practitioner email -> department code
PRACTITIONERS = {
    "dr.house@hospital.example": "general-practice",
    "dr.yang@hospital.example": "cardiology",
    "nurse.joy@hospital.example": "paediatrics",
}
HOURS = [(datetime.time(9), datetime.time(12, 30)), (datetime.time(13, 30), datetime.time(17))]


def seed() -> list[DemoLogin]:
    today = timezone.localdate()
    for code, types in TYPES.items():
        department = department_get_by_code(code=code)
        for name, minutes, buffer, bookable in types:
            if not AppointmentType.objects.filter(department=department, name=name).exists():
                availability.appointment_type_create(
                    actor=None,
                    department=department,
                    name=name,
                    duration_minutes=minutes,
                    buffer_after_minutes=buffer,
                    patient_bookable=bookable,
                    lead_time_minutes=60,
                    booking_horizon_days=60,
                    preparation=PREPARATION.get(name, ""),
                )
    for email, code in PRACTITIONERS.items():
        user = user_get_by_email(email=email)
        assert user is not None  # noqa: S101 - accounts' demo data creates the staff first
        practitioner = Practitioner.objects.filter(user=user).first()
        if practitioner is None:
            department = department_get_by_code(code=code)
            practitioner = availability.practitioner_create(
                user=user,
                department=department,
                appointment_types=list(AppointmentType.objects.filter(department=department)),
            )
        if not WorkingHours.objects.filter(practitioner=practitioner).exists():
            for weekday in range(5):
                for start, end in HOURS:
                    availability.working_hours_add(
                        actor=None,
                        practitioner=practitioner,
                        weekday=weekday,
                        start_time=start,
                        end_time=end,
                        valid_from=today - datetime.timedelta(days=30),
                    )
            leave_day = today + datetime.timedelta(days=10)
            leave_start = datetime.datetime.combine(
                leave_day, datetime.time(0), tzinfo=practitioner.zone
            )
            availability.exception_add(
                actor=None,
                practitioner=practitioner,
                start=leave_start,
                end=leave_start + datetime.timedelta(days=1),
                kind="leave",
                reason="Annual leave",
            )
    _book_demo_appointments(today)
    return []


def _book_demo_appointments(today: datetime.date) -> None:
    patients: list[User] = []
    for email in (  # in email order, as before: the seed must book the same times
        "ada.patient@hospital.example",
        "alan.patient@hospital.example",
        "grace.patient@hospital.example",
    ):
        patient = user_get_by_email(email=email)
        assert patient is not None  # noqa: S101 - accounts' demo data creates them
        patients.append(patient)
    if Appointment.objects.filter(patient__in=patients).exists():
        return  # seeded before: leave the schedule as it is now
    receptionist = user_get_by_email(email="reception@hospital.example")
    assert receptionist is not None  # noqa: S101 - accounts' demo data creates it
    now = timezone.now()
    for index, practitioner in enumerate(
        Practitioner.objects.select_related("user").order_by("pk")
    ):
        appointment_type = practitioner.appointment_types.order_by("pk").first()
        assert appointment_type is not None  # noqa: S101 - created above
        slots = free_slots(
            appointment_type=appointment_type,
            practitioners=[practitioner],
            date_from=today + datetime.timedelta(days=1),
            date_to=today + datetime.timedelta(days=8),
            now=now,
        )
        for number, slot in enumerate(slots[index : index + 12 : 4]):
            patient = patients[(index + number) % len(patients)]
            try:
                booking.appointment_book(
                    actor=receptionist,
                    patient=patient,
                    practitioner=practitioner,
                    appointment_type=appointment_type,
                    start=slot.start,
                    channel=Appointment.Channel.RECEPTION,
                    reason="Demo booking",
                )
            except (PatientBusy, PatientHasOverlap, SlotTaken, SlotUnavailable):
                continue  # that patient is busy then: demo data need not be complete
