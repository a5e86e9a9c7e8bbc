"""Who may do what with appointments: one predicate per action, used by pages, API and admin.

Deny by default. Seeing an appointment at all is decided by
``selectors.appointments_visible_to``; an appointment the user may not see is a 404.
"""

from __future__ import annotations

from accounts.models import User
from accounts.roles import Role
from appointments.models import Appointment, AppointmentType

FRONT_DESK = frozenset({Role.RECEPTIONIST, Role.ADMIN})


def _is_front_desk(user: User) -> bool:
    return user.role in FRONT_DESK or user.is_superuser


def can_book(*, user: User, patient: User, appointment_type: AppointmentType) -> bool:
    if not user.is_active or patient.role != Role.PATIENT or not patient.is_active:
        return False
    if user.role == Role.PATIENT:
        return user.pk == patient.pk and appointment_type.patient_bookable
    return _is_front_desk(user)


def can_change_booking(*, user: User, appointment: Appointment) -> bool:
    """Reschedule or cancel."""
    if user.role == Role.PATIENT:
        return appointment.patient_id == user.pk
    return _is_front_desk(user)


def can_check_in(*, user: User, appointment: Appointment) -> bool:
    return _is_front_desk(user)


def can_treat(*, user: User, appointment: Appointment) -> bool:
    """Start and complete: the practitioner whose appointment it is."""
    return user.role in (Role.DOCTOR, Role.NURSE) and appointment.practitioner.user_id == user.pk


def can_mark_no_show(*, user: User | None, appointment: Appointment) -> bool:
    return user is None or _is_front_desk(user) or can_treat(user=user, appointment=appointment)


def can_manage_schedules(*, user: User) -> bool:
    """Departments, appointment types, working hours and exceptions."""
    return user.role == Role.ADMIN or user.is_superuser


def can_view_schedules(*, user: User) -> bool:
    return (
        user.role in (Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.ADMIN) or user.is_superuser
    )
