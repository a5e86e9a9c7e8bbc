"""Who may do what with appointments: one predicate per rule, used by services, pages, API
and admin alike.

Deny by default. Seeing an appointment at all is decided by
``selectors.appointments.appointments_visible_to``; an appointment the user may not see is a
404. "Staff" means ``User.is_staff_member`` everywhere; the roles that do more are named here.
"""

from __future__ import annotations

import datetime

from django.conf import settings

from accounts.models import User
from accounts.roles import CLINICAL_ROLES, Role
from appointments import lifecycle
from appointments.models import Appointment, AppointmentType

FRONT_DESK = frozenset({Role.RECEPTIONIST, Role.ADMIN})
# Staff whose work is organised by the schedules: clinicians and the front desk.
_SCHEDULE_ROLES = frozenset({*CLINICAL_ROLES, *FRONT_DESK})
_WAITLIST_ROLES = frozenset({Role.PATIENT, *FRONT_DESK})


def _is_front_desk(user: User) -> bool:
    return user.role in FRONT_DESK or user.is_superuser


# --- Booking ------------------------------------------------------------------------------------


def chooses_the_patient(*, user: User) -> bool:
    """Staff book for a patient they choose; patients book for themselves."""
    return user.is_staff_member


def can_open_booking(*, user: User) -> bool:
    """The booking pages: patients for themselves, the front desk for a patient it names.
    Clinicians and the compliance officer book nothing, so the pages (and their
    record-number lookup) are not theirs: a 404."""
    return user.is_patient or _is_front_desk(user)


def may_book_for(*, user: User, patient: User) -> bool:
    """Patients book (and join the waitlist) for themselves only."""
    return chooses_the_patient(user=user) or user.pk == patient.pk


def type_bookable_by(*, user: User, appointment_type: AppointmentType) -> bool:
    """Some types are booked through the reception only
    (``selectors.schedules.appointment_types_bookable_by`` is the same rule as a query)."""
    return appointment_type.patient_bookable or user.is_staff_member


def can_book(*, user: User, patient: User, appointment_type: AppointmentType) -> bool:
    if not user.is_active or not patient.is_patient or not patient.is_active:
        return False
    if user.is_patient:
        return user.pk == patient.pk and type_bookable_by(
            user=user, appointment_type=appointment_type
        )
    return _is_front_desk(user)


def lead_time_applies(*, user: User) -> bool:
    """A type's lead time keeps patients from booking at short notice; staff may book any free
    time."""
    return not user.is_staff_member


def booking_channel(*, user: User, via: str) -> str:
    """How a booking came in: staff bookings are the reception's, whatever the surface; a
    patient's is the surface they used (web or api)."""
    return Appointment.Channel.RECEPTION if user.is_staff_member else via


def can_join_waitlist(*, user: User) -> bool:
    return user.role in _WAITLIST_ROLES


# --- Changing a booking -------------------------------------------------------------------------


def can_change_booking(*, user: User, appointment: Appointment) -> bool:
    """Reschedule or cancel."""
    if user.is_patient:
        return appointment.patient_id == user.pk
    return _is_front_desk(user)


def change_deadline_of(*, start: datetime.datetime) -> datetime.datetime:
    """Until when a patient may move or cancel online an appointment starting at ``start``."""
    return start - datetime.timedelta(hours=settings.APPOINTMENT_PATIENT_CHANGE_CUTOFF_HOURS)


def change_deadline(*, appointment: Appointment) -> datetime.datetime:
    """Until when a patient may move or cancel online."""
    return change_deadline_of(start=appointment.start)


def too_late_to_change_at(*, user: User, start: datetime.datetime, now: datetime.datetime) -> bool:
    """Whether a booking at ``start`` is already past its online-change deadline for ``user``:
    the pages warn before a patient books or moves into such a time (they could not change
    it online afterwards)."""
    return not user.is_staff_member and now > change_deadline_of(start=start)


def too_late_to_change(*, user: User, appointment: Appointment, now: datetime.datetime) -> bool:
    """Patients move or cancel online only until the deadline; staff may at any time."""
    return too_late_to_change_at(user=user, start=appointment.start, now=now)


def can_change_booking_now(*, user: User, appointment: Appointment, now: datetime.datetime) -> bool:
    """Offer to move or cancel: a booked appointment the user may change, not too late."""
    return (
        appointment.status == Appointment.Status.BOOKED
        and can_change_booking(user=user, appointment=appointment)
        and not too_late_to_change(user=user, appointment=appointment, now=now)
    )


def must_call_to_change(*, user: User, appointment: Appointment, now: datetime.datetime) -> bool:
    """A booked appointment past the online cut-off: the patient calls the reception."""
    return appointment.status == Appointment.Status.BOOKED and too_late_to_change(
        user=user, appointment=appointment, now=now
    )


def cancel_needs_reason(*, user: User) -> bool:
    """Staff say why they cancel a patient's appointment."""
    return user.is_staff_member


def can_see_reason(*, user: User, appointment: Appointment) -> bool:
    """Minimum necessary: the reason for the visit is for the patient and the practitioner
    they see. Not for colleagues (who may see the appointment during a care relationship),
    the front desk, administrators or the compliance officer; calendars never carry it.
    Every surface asks this: the API's output, the pages and the admin."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_patient:
        return appointment.patient_id == user.pk
    return user.role in CLINICAL_ROLES and appointment.practitioner.user_id == user.pk


def can_see_patient_identifiers(*, user: User, appointment: Appointment) -> bool:
    """Staff who can open the appointment see who the patient is beyond the name (date of
    birth, age, record number): to be sure it is the right person. The caller has already
    found the appointment visible to the user."""
    return user.is_active and (user.is_staff_member or user.is_superuser)


# --- The visit ------------------------------------------------------------------------------------


def can_check_in(*, user: User, appointment: Appointment) -> bool:
    return _is_front_desk(user)


def can_treat(*, user: User, appointment: Appointment) -> bool:
    """Start and complete: the practitioner whose appointment it is."""
    return user.role in CLINICAL_ROLES and appointment.practitioner.user_id == user.pk


def can_mark_no_show(*, user: User | None, appointment: Appointment) -> bool:
    """The periodic job (no user), the front desk or the practitioner."""
    return user is None or _is_front_desk(user) or can_treat(user=user, appointment=appointment)


def can_set_status(*, user: User | None, appointment: Appointment, to_status: str) -> bool:
    """May this user record this status? (Whether the status may follow the current one is
    ``lifecycle.TRANSITIONS``.)"""
    if to_status == Appointment.Status.NO_SHOW:
        return can_mark_no_show(user=user, appointment=appointment)
    if user is None:
        return False
    if to_status == Appointment.Status.CHECKED_IN:
        return can_check_in(user=user, appointment=appointment)
    if to_status == Appointment.Status.BOOKED:  # a check-in undone: whoever checks in
        return can_check_in(user=user, appointment=appointment)
    if to_status in (Appointment.Status.IN_PROGRESS, Appointment.Status.COMPLETED):
        return can_treat(user=user, appointment=appointment)
    return False


def check_in_opens_at(*, appointment: Appointment) -> datetime.datetime:
    """From when reception may check the patient in (APPOINTMENT_CHECK_IN_OPENS_MINUTES)."""
    return appointment.start - datetime.timedelta(
        minutes=settings.APPOINTMENT_CHECK_IN_OPENS_MINUTES
    )


def visit_step_open(*, appointment: Appointment, to_status: str, now: datetime.datetime) -> bool:
    """The visit's steps are recorded around its time, not hours ahead: check-in from
    ``check_in_opens_at``, start and complete not before then either (and, by the lifecycle,
    only after the check-in). Other statuses have no window here."""
    if to_status not in lifecycle.VISIT_STEPS:
        return True
    return now >= check_in_opens_at(appointment=appointment)


def can_undo_check_in(*, user: User, appointment: Appointment) -> bool:
    """A check-in recorded by mistake goes back to booked, until the visit starts."""
    return Appointment.Status.BOOKED in lifecycle.TRANSITIONS[
        appointment.status
    ] and can_set_status(user=user, appointment=appointment, to_status=Appointment.Status.BOOKED)


def no_show_open(*, appointment: Appointment, now: datetime.datetime) -> bool:
    """A no-show is recorded only once the grace period after the start has passed."""
    grace = datetime.timedelta(minutes=settings.APPOINTMENT_NO_SHOW_GRACE_MINUTES)
    return now >= appointment.start + grace


def visit_steps_for(*, user: User, appointment: Appointment, now: datetime.datetime) -> list[str]:
    """What this user may record of the visit now (the buttons of the pages): its next step,
    undoing a check-in, a no-show once the grace period has passed."""
    allowed = lifecycle.TRANSITIONS[appointment.status]
    steps = [
        step
        for step in lifecycle.VISIT_STEPS
        if step in allowed
        and can_set_status(user=user, appointment=appointment, to_status=step)
        and visit_step_open(appointment=appointment, to_status=step, now=now)
    ]
    if can_undo_check_in(user=user, appointment=appointment):
        steps.append(Appointment.Status.BOOKED)
    no_show = Appointment.Status.NO_SHOW
    if (
        no_show in allowed
        and user.is_authenticated
        and can_mark_no_show(user=user, appointment=appointment)
        and no_show_open(appointment=appointment, now=now)
    ):
        steps.append(no_show)
    return steps


# --- Schedules ------------------------------------------------------------------------------------


def can_manage_schedules(*, user: User) -> bool:
    """Departments, appointment types, working hours and exceptions."""
    return user.role == Role.ADMIN or user.is_superuser


def works_from_schedules(*, user: User) -> bool:
    """Clinicians and the front desk: their appointments page is the schedule."""
    return user.role in _SCHEDULE_ROLES


def can_view_schedules(*, user: User) -> bool:
    return works_from_schedules(user=user) or user.is_superuser


def can_open_reception(*, user: User) -> bool:
    """Today's list at the front desk, with check-in."""
    return user.role in FRONT_DESK
