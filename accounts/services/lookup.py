"""Finding a patient by medical record number: how the reception names the patient it books
for. The number identifies a person, so the lookup is the reception's and the
administrators' only; every lookup is audited, found or not (never with the number); an
unknown number and a patient who cannot be booked for get the same answer; and each user
has a rate, so nobody reads the register by trying numbers.
"""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from django.utils.translation import gettext_noop

from accounts.errors import TranslatedError
from accounts.models import PatientProfile, User
from accounts.roles import Role
from accounts.selectors.profiles import (
    PATIENTS_SHOWN,
    patient_profile_by_record_number,
    patients_matching,
)
from audit.access import viewed
from audit.models import AuditEvent
from audit.services import AuditTarget, record
from core import ratelimit
from core.errors import NotFoundError, PermissionDeniedError
from core.ratelimit import Rate, RateLimited

LOOKED_UP = "accounts.patient_looked_up"
# A busy front desk names a patient about once a minute; more than this from one person is
# not booking but reading the register.
LOOKUP_PER_ACCOUNT = Rate.parse("30/10m")
_LOOKUP_ROLES = frozenset({Role.RECEPTIONIST, Role.ADMIN})
Outcome = AuditEvent.Outcome


class PatientNotFound(TranslatedError, NotFoundError):
    code = "PATIENT_NOT_FOUND"
    # The same words whether the number is unknown or its patient cannot be booked for.
    default_message = gettext_noop("No patient you can book for has this medical record number.")


class PatientLookupNotAllowed(TranslatedError, PermissionDeniedError):
    code = "NOT_ALLOWED"
    default_message = gettext_noop("Only the reception and administrators look patients up.")


def may_look_up_patients(*, user: User) -> bool:
    """Who may find a patient by medical record number: the reception and administrators
    (they book for patients); not doctors, nurses, the compliance officer or patients."""
    return user.is_active and (user.role in _LOOKUP_ROLES or user.is_superuser)


def patient_look_up(
    *, actor: User, medical_record_number: str, request: HttpRequest | None = None
) -> PatientProfile:
    """The active patient with this medical record number (any letter case, spaces around).

    Raises PatientLookupNotAllowed for anyone but the reception and administrators,
    RateLimited past ``LOOKUP_PER_ACCOUNT`` (both audited as denied) and PatientNotFound
    (audited as a failure) when no patient who can be booked for has the number.
    """
    if not may_look_up_patients(user=actor):
        _audit(actor=actor, outcome=Outcome.DENIED, request=request, code="NOT_ALLOWED")
        raise PatientLookupNotAllowed()
    try:
        ratelimit.hit("patient-lookup:account", str(actor.pk), LOOKUP_PER_ACCOUNT)
    except RateLimited:
        _audit(actor=actor, outcome=Outcome.DENIED, request=request, code="RATE_LIMITED")
        raise
    profile = patient_profile_by_record_number(number=medical_record_number)
    if profile is None or not profile.user.is_patient:
        _audit(actor=actor, outcome=Outcome.FAILURE, request=request)
        raise PatientNotFound()
    _audit(actor=actor, outcome=Outcome.SUCCESS, request=request, patient=profile.user)
    return profile


SEARCHED = "accounts.patients_searched"


def patients_find(
    *,
    actor: User,
    name: str = "",
    date_of_birth: datetime.date | None = None,
    phone: str = "",
    request: HttpRequest | None = None,
) -> list[PatientProfile]:
    """The front desk's search for a patient who has no record number at hand: by date of
    birth and/or phone (E.164), narrowed by name (``profiles.patients_matching``). The same
    people and the same rate as ``patient_look_up`` (one budget for both); audited with how
    many were found, never with what was asked (it identifies a person)."""
    if not may_look_up_patients(user=actor):
        _audit(
            actor=actor,
            outcome=Outcome.DENIED,
            request=request,
            code="NOT_ALLOWED",
            action=SEARCHED,
        )
        raise PatientLookupNotAllowed()
    try:
        ratelimit.hit("patient-lookup:account", str(actor.pk), LOOKUP_PER_ACCOUNT)
    except RateLimited:
        _audit(
            actor=actor,
            outcome=Outcome.DENIED,
            request=request,
            code="RATE_LIMITED",
            action=SEARCHED,
        )
        raise
    found = patients_matching(name=name, date_of_birth=date_of_birth, phone=phone)
    record(
        action=SEARCHED,
        outcome=Outcome.SUCCESS,
        actor=actor,
        request=request,
        details={"found": min(len(found), PATIENTS_SHOWN), "more": len(found) > PATIENTS_SHOWN},
    )
    # Who was shown (the list stops at PATIENTS_SHOWN), each a read of their record.
    viewed(
        patients=[profile.user_id for profile in found[:PATIENTS_SHOWN]],
        target=AuditTarget("accounts.patient_search"),
        actor=actor,
        request=request,
    )
    return found[: PATIENTS_SHOWN + 1]


def _audit(
    *,
    actor: User,
    outcome: str,
    request: HttpRequest | None,
    patient: User | None = None,
    code: str = "",
    action: str = LOOKED_UP,
) -> None:
    # Never the number: it identifies a person even when no patient has it (a typo of one).
    record(
        action=action,
        outcome=outcome,
        actor=actor,
        target=patient,
        patient=patient,
        request=request,
        details={"code": code} if code else None,
    )
