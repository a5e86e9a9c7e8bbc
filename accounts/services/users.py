"""Writes on users, roles and profiles. Every change that matters to security is audited."""

from __future__ import annotations

import datetime
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from accounts.models import Department, PatientProfile, StaffProfile, User
from accounts.roles import ADMIN_SITE_ROLES, GROUP_NAMES, STAFF_ROLES, Role
from accounts.validators import new_medical_record_number, normalize_phone
from audit.services import record

_MRN_ATTEMPTS = 5


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    full_name: str = "",
    role: str = Role.PATIENT,
    is_superuser: bool = False,
    created_by: User | None = None,
    request: HttpRequest | None = None,
    source: str = "",
    email_verified: bool = True,
) -> User:
    """Create an account (validated, case-insensitively unique email) with its role, and audit it.

    Accounts made by staff or operators have a verified address (they vouch for it);
    self-service sign-up goes through allauth, which verifies the address by email.
    """
    manager = User.objects
    create = manager.create_superuser if is_superuser else manager.create_user
    user = create(
        email=email,
        password=password,
        full_name=full_name,
        role=role,
        is_staff=is_superuser or role in ADMIN_SITE_ROLES,
    )
    _sync_groups(user)
    EmailAddress.objects.create(
        user=user, email=user.email.lower(), primary=True, verified=email_verified
    )
    record(
        action="accounts.user_created",
        actor=created_by,
        target=user,
        request=request,
        details={"role": user.role, "is_superuser": user.is_superuser, "source": source},
    )
    return user


def _sync_groups(user: User) -> None:
    role_groups = Group.objects.filter(name__in=GROUP_NAMES.values())
    user.groups.remove(*role_groups.exclude(name=GROUP_NAMES[user.role]))
    user.groups.add(*role_groups.filter(name=GROUP_NAMES[user.role]))


@transaction.atomic
def user_set_role(
    *, user: User, role: str, changed_by: User | None, request: HttpRequest | None = None
) -> User:
    """Change a user's role; groups and admin-site access follow. The caller rotates the
    session of the user if it is the current one (a privilege change)."""
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    previous = user.role
    user.role = role
    user.is_staff = user.is_superuser or role in ADMIN_SITE_ROLES
    user.save(update_fields=["role", "is_staff"])
    _sync_groups(user)
    record(
        action="accounts.role_changed",
        actor=changed_by,
        target=user,
        request=request,
        details={"from": previous, "to": role},
    )
    # A privilege change: the user signs in again, which gives every session a new id.
    from accounts.services.sessions import EndReason, sessions_end_others

    sessions_end_others(user=user, keep=None, reason=EndReason.ROLE_CHANGED, request=request)
    return user


def _assign_medical_record_number(profile: PatientProfile) -> None:
    # Random MRNs collide rarely; the unique constraint decides, we retry.
    for _ in range(_MRN_ATTEMPTS):
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
def patient_signup_complete(
    *, user: User, legal_name: str, date_of_birth: datetime.date, request: HttpRequest | None = None
) -> PatientProfile:
    """Finish a self-service sign-up that allauth has saved: role groups, profile, audit.

    The account cannot sign in before its email address is verified.
    """
    if user.role != Role.PATIENT:
        raise ValidationError("Self-service sign-up is for patients only.")
    _sync_groups(user)
    record(action="accounts.signed_up", actor=user, target=user, request=request)
    return patient_profile_create(
        user=user, legal_name=legal_name, date_of_birth=date_of_birth, request=request
    )


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
        raise ValidationError("Only patient accounts have a patient profile.")
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


PATIENT_EDITABLE_FIELDS = (
    "legal_name",
    "date_of_birth",
    "sex",
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
)


@transaction.atomic
def patient_profile_update(
    *, profile: PatientProfile, changed_by: User, request: HttpRequest | None = None, **changes: Any
) -> PatientProfile:
    """Update a patient profile; validates everything before writing anything."""
    unknown = set(changes) - set(PATIENT_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed here."))
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
    profile.full_clean(exclude=["user"])
    if date_of_birth_in_future(profile.date_of_birth):
        raise ValidationError({"date_of_birth": "The date of birth cannot be in the future."})
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
    return profile


def date_of_birth_in_future(value: datetime.date) -> bool:
    return value > datetime.datetime.now(tz=datetime.UTC).date()


STAFF_EDITABLE_FIELDS = ("title", "specialty", "licence_number", "department")


@transaction.atomic
def staff_create(
    *,
    email: str,
    full_name: str,
    role: str,
    password: str | None = None,
    department: Department | None = None,
    title: str = "",
    specialty: str = "",
    licence_number: str = "",
    created_by: User | None = None,
    request: HttpRequest | None = None,
    source: str = "",
) -> User:
    """Create a staff account with its staff profile. Without a password the account
    cannot sign in until its owner sets one through password reset."""
    if role not in STAFF_ROLES:
        raise ValidationError(
            {"role": f"{role!r} is not a staff role ({', '.join(sorted(STAFF_ROLES))})."}
        )
    if role in (Role.DOCTOR, Role.NURSE) and department is None:
        raise ValidationError({"department": "Doctors and nurses belong to a department."})
    if password is not None:
        from django.contrib.auth.password_validation import validate_password

        validate_password(password, User(email=email))
    user = user_create(
        email=email,
        password=password,
        full_name=full_name,
        role=role,
        created_by=created_by,
        request=request,
        source=source,
    )
    profile = StaffProfile(
        user=user,
        department=department,
        title=title,
        specialty=specialty,
        licence_number=licence_number,
    )
    profile.full_clean()
    profile.save()
    return user


@transaction.atomic
def staff_profile_update(
    *, profile: StaffProfile, changed_by: User, request: HttpRequest | None = None, **changes: Any
) -> StaffProfile:
    unknown = set(changes) - set(STAFF_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed here."))
    changed = sorted(name for name, value in changes.items() if getattr(profile, name) != value)
    for name, value in changes.items():
        setattr(profile, name, value)
    profile.full_clean()
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


@transaction.atomic
def department_create(
    *,
    code: str,
    name: str,
    description: str = "",
    created_by: User | None = None,
    request: HttpRequest | None = None,
) -> Department:
    department = Department(code=code, name=name, description=description)
    department.full_clean()
    department.save()
    record(
        action="accounts.department_created", actor=created_by, target=department, request=request
    )
    return department


@transaction.atomic
def user_import_legacy(*, email: str, bcrypt_hash: str, full_name: str = "") -> User:
    """Bring over an account of the replaced system with its bcrypt hash ("$2b$12$...").

    The hash verifies as it is and is replaced by an Argon2id hash at the first login.
    """
    if not _is_readable_bcrypt_hash(bcrypt_hash):
        raise ValidationError(
            {
                "password": "Expected a bcrypt hash such as $2b$12$... (60 characters) that bcrypt can read."
            }
        )
    user = user_create(email=email, password=None, full_name=full_name, source="legacy_import")
    user.password = f"bcrypt${bcrypt_hash}"
    user.save(update_fields=["password"])
    return user


@transaction.atomic
def user_deactivate(
    *, user: User, deactivated_by: User, request: HttpRequest | None = None
) -> None:
    """Close an account: it can no longer sign in, and every session and token ends.
    Nothing is deleted (medical and audit records keep pointing at it)."""
    from accounts.services.sessions import EndReason, sessions_end_others

    user.is_active = False
    user.save(update_fields=["is_active"])
    sessions_end_others(user=user, keep=None, reason=EndReason.DEACTIVATED, request=request)
    record(action="accounts.deactivated", actor=deactivated_by, target=user, request=request)


VERIFICATION_RESEND_PER_ACCOUNT = "1/3m"


def email_verification_resend(*, email: str, request: HttpRequest) -> None:
    """Send the confirmation link again to an unverified address. Silent either way (no
    enumeration) and at most once every three minutes per address."""
    from core import ratelimit

    address = EmailAddress.objects.filter(email__iexact=email.strip(), verified=False).first()
    if address is None:
        return
    try:
        ratelimit.hit(
            "verify-resend",
            str(address.user_id),
            ratelimit.Rate.parse(VERIFICATION_RESEND_PER_ACCOUNT),
        )
    except ratelimit.RateLimited:
        return
    address.send_confirmation(request)


def _is_readable_bcrypt_hash(value: str) -> bool:
    """A 60-character $2a$/$2b$/$2y$ hash with a sane cost that bcrypt accepts."""
    import bcrypt

    if len(value) != 60 or not value.startswith(("$2a$", "$2b$", "$2y$")):
        return False
    cost = value[4:6]
    if not cost.isdigit() or not 4 <= int(cost) <= 16:  # higher costs would stall every login
        return False
    try:
        bcrypt.checkpw(b"probe", value.encode())
    except ValueError:
        return False
    return True
