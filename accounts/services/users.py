"""Writes on user accounts and roles. Every change that matters to security is audited."""

from __future__ import annotations

import datetime

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from accounts.models import Department, PatientProfile, StaffProfile, User
from accounts.roles import ADMIN_SITE_ROLES, GROUP_NAMES, STAFF_ROLES, Role
from accounts.services.profiles import patient_profile_create
from accounts.services.sessions import EndReason, sessions_end_others
from audit.services import record


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
    """The user is in the group of their role and in no other role's group."""
    role_groups = Group.objects.filter(name__in=GROUP_NAMES.values())
    user.groups.remove(*role_groups.exclude(name=GROUP_NAMES[user.role]))
    user.groups.add(*role_groups.filter(name=GROUP_NAMES[user.role]))


@transaction.atomic
def user_set_role(
    *, user: User, role: str, changed_by: User | None, request: HttpRequest | None = None
) -> User:
    """Change a user's role; groups and admin-site access follow, and every session of the
    user ends (a privilege change: they sign in again)."""
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
    sessions_end_others(user=user, keep=None, reason=EndReason.ROLE_CHANGED, request=request)
    return user


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
    user.is_active = False
    user.save(update_fields=["is_active"])
    sessions_end_others(user=user, keep=None, reason=EndReason.DEACTIVATED, request=request)
    record(action="accounts.deactivated", actor=deactivated_by, target=user, request=request)


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
