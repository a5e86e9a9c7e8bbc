"""Writes on patient profiles: created with a unique medical record number, then kept up
to date. Changes are audited by field name, never by value."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Department, PatientProfile, StaffProfile, User
from accounts.roles import CLINICAL_ROLES, STAFF_ROLES, Role
from accounts.validators import new_medical_record_number, normalize_phone
from audit.services import record

_MRN_ATTEMPTS = 5


def _assign_medical_record_number(profile: PatientProfile) -> None:
    # Random MRNs collide rarely; the unique constraint decides, we retry.
    for _attempt in range(_MRN_ATTEMPTS):
        profile.medical_record_number = new_medical_record_number()
        try:
            with transaction.atomic():
                profile.save()
            return
        except IntegrityError:
            if PatientProfile.objects.filter(user=profile.user).exists():
                raise
    raise RuntimeError("Could not assign a unique medical record number.")


@transaction.atomic
def patient_profile_create(
    *,
    user: User,
    legal_name: str,
    date_of_birth: datetime.date,
    created_by: User | None = None,
    request: HttpRequest | None = None,
    **fields: Any,
) -> PatientProfile:
    """Create the patient profile of a patient account, with a new unique MRN."""
    if user.role != Role.PATIENT:
        raise ValidationError(gettext("Only patient accounts have a patient profile."))
    profile = PatientProfile(
        user=user, legal_name=legal_name, date_of_birth=date_of_birth, **fields
    )
    profile.medical_record_number = "MRN000000000"  # placeholder for validation only
    profile.full_clean(exclude=["user"])
    _assign_medical_record_number(profile)
    if not user.full_name:
        user.full_name = legal_name
        user.save(update_fields=["full_name"])
    record(
        action="accounts.patient_profile_created",
        actor=created_by or user,
        target=profile,
        patient=user,
        request=request,
    )
    return profile


# The patient's identity: changed only through an approved identity change request
# (accounts.services.identity), never by editing the profile.
PATIENT_IDENTITY_FIELDS = ("legal_name", "date_of_birth", "sex")
IDENTITY_CHANGE_NEEDS_REQUEST = _(
    "This is part of your identity: ask for the change with an identity change request, "
    "which the reception checks."
)

# What a patient may change of their own profile (pages and API alike).
PATIENT_EDITABLE_FIELDS = (
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "country",
    "emergency_contact_name",
    "emergency_contact_phone",
    "insurance_member_id",
    "preferred_language",
    "time_zone",
)


@transaction.atomic
def patient_profile_update(
    *, profile: PatientProfile, changed_by: User, request: HttpRequest | None = None, **changes: Any
) -> PatientProfile:
    """Update a patient profile; validates everything before writing anything."""
    identity = set(changes) & set(PATIENT_IDENTITY_FIELDS)
    if identity:
        raise ValidationError(dict.fromkeys(sorted(identity), IDENTITY_CHANGE_NEEDS_REQUEST))
    unknown = set(changes) - set(PATIENT_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            dict.fromkeys(sorted(unknown), gettext("This field cannot be changed here."))
        )
    for phone_field in ("phone", "emergency_contact_phone"):
        if changes.get(phone_field):
            try:
                changes[phone_field] = normalize_phone(changes[phone_field])
            except ValidationError as error:
                raise ValidationError({phone_field: error.messages}) from None
    if "country" in changes:
        changes["country"] = (changes["country"] or "").upper()
    changed = sorted(name for name, value in changes.items() if getattr(profile, name) != value)
    for name, value in changes.items():
        setattr(profile, name, value)
    # Identity fields are not changed here; a record imported with a date that breaks today's
    # rule must not block its contact details.
    profile.full_clean(exclude=["user", *PATIENT_IDENTITY_FIELDS])
    if changed:
        profile.save()
        record(
            action="accounts.patient_profile_updated",
            actor=changed_by,
            target=profile,
            patient=profile.user,
            request=request,
            details={"fields": changed},  # names only, never values
        )
        _pages_follow_preferred_language(profile=profile, changed=changed, changed_by=changed_by)
    return profile


def _pages_follow_preferred_language(
    *, profile: PatientProfile, changed: list[str], changed_by: User
) -> None:
    """A patient who chooses Spanish or Arabic as their language gets their pages in it too
    (the language of their messages and of their pages is one choice for them; a language the
    pages are not written in leaves the pages as they are). Not when staff record it."""
    from accounts.selectors.languages import page_languages

    user = profile.user
    language = profile.preferred_language
    if (
        "preferred_language" in changed
        and changed_by.pk == user.pk
        and language in page_languages()
        and user.language != language
    ):
        user.language = language
        user.save(update_fields=["language"])


def date_of_birth_in_future(*, date_of_birth: datetime.date) -> bool:
    """Part of the sign-up rule (all of it: ``models.patients.validate_date_of_birth``, which
    every profile write applies): nobody is born after today (UTC)."""
    return date_of_birth > datetime.datetime.now(tz=datetime.UTC).date()


# --- Staff profiles --------------------------------------------------------------------------

STAFF_PROFILE_FIELDS = ("department", "title", "specialty", "licence_number")


def _staff_profile_check(profile: StaffProfile) -> None:
    if profile.user.role not in STAFF_ROLES:
        raise ValidationError({"user": gettext("Only staff accounts have a staff profile.")})
    if profile.user.role in CLINICAL_ROLES and profile.department is None:
        raise ValidationError({"department": gettext("Doctors and nurses belong to a department.")})
    profile.full_clean()


@transaction.atomic
def staff_profile_create(
    *,
    user: User,
    department: Department | None = None,
    title: str = "",
    specialty: str = "",
    licence_number: str = "",
    created_by: User | None = None,
    request: HttpRequest | None = None,
) -> StaffProfile:
    """Give a staff account its profile (department, title, licence); audited."""
    profile = StaffProfile(
        user=user,
        department=department,
        title=title,
        specialty=specialty,
        licence_number=licence_number,
    )
    _staff_profile_check(profile)
    profile.save()
    record(action="accounts.staff_profile_created", actor=created_by, target=user, request=request)
    return profile


@transaction.atomic
def staff_profile_update(
    *, profile: StaffProfile, changed_by: User, request: HttpRequest | None = None, **changes: Any
) -> StaffProfile:
    """Change a staff profile; validates everything before writing, audits the field names."""
    unknown = set(changes) - set(STAFF_PROFILE_FIELDS)
    if unknown:
        raise ValidationError(
            dict.fromkeys(sorted(unknown), gettext("This field cannot be changed here."))
        )
    changed = sorted(name for name, value in changes.items() if getattr(profile, name) != value)
    for name, value in changes.items():
        setattr(profile, name, value)
    _staff_profile_check(profile)
    if changed:
        profile.save()
        record(
            action="accounts.staff_profile_updated",
            actor=changed_by,
            target=profile.user,
            request=request,
            details={"fields": changed},
        )
    return profile
