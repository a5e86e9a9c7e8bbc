"""Patient and staff profiles, and the requests to change a patient's identity."""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import IdentityChangeRequest, PatientProfile, StaffProfile, User
from accounts.permissions import can_decide_identity_changes
from accounts.roles import Role
from audit.access import viewed
from audit.services import AuditTarget
from core.local_time import hospital_zone, zone_named


def patient_profile_of(*, user: User) -> PatientProfile | None:
    """The patient's profile, its read audited (the reader: the request's user)."""
    profile = PatientProfile.objects.filter(user=user).first()
    if profile is not None:
        viewed(patients=[profile.user_id], target=profile)
    return profile


def patient_profile_for_update(*, profile: PatientProfile) -> PatientProfile:
    """The profile again, its row locked until the caller's transaction ends (a conditional
    update compares and changes it without a gap)."""
    return PatientProfile.objects.select_for_update().select_related("user").get(pk=profile.pk)


def time_zone_of(*, user: User | None) -> zoneinfo.ZoneInfo:
    """The zone a person reads times in: a patient's own (profile), else the hospital's."""
    if user is None or not user.is_authenticated or not user.is_patient:
        return hospital_zone()
    name = PatientProfile.objects.filter(user=user).values_list("time_zone", flat=True).first()
    return zone_named(name or None)


def staff_profile_of(*, user: User) -> StaffProfile | None:
    return StaffProfile.objects.select_related("department").filter(user=user).first()


def patient_profile_by_record_number(*, number: str) -> PatientProfile | None:
    """The active patient with this medical record number (any letter case), or None."""
    return (
        PatientProfile.objects.select_related("user")
        .filter(medical_record_number=number.strip().upper(), user__is_active=True)
        .first()
    )


PATIENTS_SHOWN = 20


def patients_matching(
    *, name: str = "", date_of_birth: datetime.date | None = None, phone: str = ""
) -> list[PatientProfile]:
    """Active patients born on ``date_of_birth`` and/or with this phone (E.164), whose legal
    name holds every word of ``name``: at most ``PATIENTS_SHOWN`` + 1 (one more says "narrow
    it down"), by name. One query on an index (date of birth or phone); without either it
    finds nobody: a name alone would read the register."""
    if date_of_birth is None and not phone:
        return []
    found = PatientProfile.objects.select_related("user").filter(
        user__is_active=True, user__role=Role.PATIENT
    )
    if date_of_birth is not None:
        found = found.filter(date_of_birth=date_of_birth)
    if phone:
        found = found.filter(phone=phone)
    for word in name.split():
        found = found.filter(legal_name__icontains=word)
    return list(found.order_by("legal_name", "medical_record_number")[: PATIENTS_SHOWN + 1])


def identity_change_requests_of(*, user: User) -> QuerySet[IdentityChangeRequest]:
    """The patient's own identity change requests, newest first."""
    return IdentityChangeRequest.objects.filter(patient=user).order_by("-requested_at", "-id")


def identity_changes_pending_of(*, user: User) -> QuerySet[IdentityChangeRequest]:
    """What the patient asked to change and staff have not decided yet."""
    return IdentityChangeRequest.objects.filter(
        patient=user, status=IdentityChangeRequest.Status.PENDING
    ).order_by("requested_at", "id")


def identity_changes_to_decide(*, user: User) -> list[IdentityChangeRequest]:
    """Pending requests for the reception and administrators to decide, their patients' reads
    audited; none for anyone else (deny by default)."""
    if not can_decide_identity_changes(user=user):
        return []
    changes = list(
        IdentityChangeRequest.objects.filter(status=IdentityChangeRequest.Status.PENDING)
        .exclude(patient=user)
        .select_related("patient__patient_profile")
        .order_by("requested_at", "id")
    )
    viewed(
        patients=[change.patient_id for change in changes],
        target=AuditTarget("accounts.identity_requests"),
        actor=user,
    )
    return changes


def identity_change_request_get(*, public_id: uuid.UUID | str) -> IdentityChangeRequest | None:
    """Any identity change request by public id (the decision services check who decides)."""
    try:
        wanted = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return IdentityChangeRequest.objects.select_related("patient").filter(public_id=wanted).first()


@dataclass(frozen=True)
class MessagingFacts:
    """How a person is written to: language, time zone, and the phone number they proved
    is theirs (a confirmed SMS sign-in factor), if any."""

    language: str
    zone: zoneinfo.ZoneInfo
    verified_phone: str


def messaging_facts_of(*, user: User) -> MessagingFacts:
    """A patient's chosen language and zone (else the hospital's), and their verified phone.
    Staff (no patient profile) get the language of their pages if they chose one. Two
    queries."""
    from accounts.models import SmsDevice

    language, zone_name = user.language or settings.LANGUAGE_CODE.split("-")[0], ""
    if user.is_patient:
        profile = (
            PatientProfile.objects.filter(user=user)
            .values_list("preferred_language", "time_zone")
            .first()
        )
        if profile is not None:
            language, zone_name = profile
    phone = (
        SmsDevice.objects.filter(user=user, confirmed=True)
        .order_by("pk")
        .values_list("number", flat=True)
        .first()
    )
    return MessagingFacts(
        language=language, zone=zone_named(zone_name or None), verified_phone=phone or ""
    )
