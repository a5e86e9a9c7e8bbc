"""Error codes of the appointments app."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from core.errors import ConflictError, DomainError, NotFoundError, PermissionDeniedError


class SlotTaken(ConflictError):
    code = "SLOT_TAKEN"
    default_message = gettext_noop(
        "Sorry, that time was just booked by someone else. Please choose another time."
    )


class PatientHasOverlap(ConflictError):
    code = "PATIENT_OVERLAP"
    default_message = gettext_noop("The patient already has an appointment at that time.")


class PatientBusy(PatientHasOverlap):
    """Found by the booking checks rather than by the database constraint: the same answer
    (one code, one status: 409)."""


class SlotUnavailable(DomainError):
    code = "SLOT_UNAVAILABLE"
    status = 400
    default_message = gettext_noop(
        "That time is not available for this appointment type and practitioner."
    )


class InvalidTransition(ConflictError):
    code = "INVALID_TRANSITION"
    default_message = gettext_noop(
        "The appointment cannot move to that status from its current one."
    )


class CancelTooLate(DomainError):
    code = "CANCEL_TOO_LATE"
    status = 400
    default_message = gettext_noop("It is too late to cancel online. Please call the reception.")


class AppointmentNotFound(NotFoundError):
    code = "APPOINTMENT_NOT_FOUND"
    default_message = gettext_noop("No such appointment.")


class NotAllowed(PermissionDeniedError):
    code = "NOT_ALLOWED"
    default_message = gettext_noop("You may not do this with this appointment.")


class OfferExpired(ConflictError):
    code = "OFFER_EXPIRED"
    default_message = gettext_noop("This offer has expired or was already answered.")


class CalendarFeedNotFound(NotFoundError):
    code = "CALENDAR_FEED_NOT_FOUND"
    default_message = gettext_noop("You have no calendar link. Make one first.")


class CheckInNotOpen(ConflictError):
    code = "CHECK_IN_NOT_OPEN"
    default_message = gettext_noop("Check-in has not opened yet for this appointment.")


class VisitNotCheckedIn(ConflictError):
    code = "VISIT_NOT_CHECKED_IN"
    default_message = gettext_noop("The patient has not been checked in yet.")


class VisitNotStarted(ConflictError):
    code = "VISIT_NOT_STARTED"
    default_message = gettext_noop("The visit has not been started yet.")
