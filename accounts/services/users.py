"""Writes on user accounts and roles. Every change that matters to security is audited."""

from __future__ import annotations

import datetime

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.events import AccountDeactivated
from accounts.models import Department, PatientProfile, User
from accounts.permissions import can_register_patients
from accounts.roles import ADMIN_SITE_ROLES, STAFF_ROLES, Role
from accounts.selectors.languages import default_language, page_languages
from accounts.services.password_resets import password_choose_link_send
from accounts.services.privileges import (
    privileges_change_check,
    role_groups_sync,
    user_privileges_change,
)
from accounts.services.profiles import patient_profile_create, staff_profile_create
from accounts.services.sessions import EndReason, sessions_end_others
from audit.services import record
from core.errors import PermissionDeniedError
from core.events import publish


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
    self-service sign-up goes through allauth, which verifies the address by email. Only a
    superuser creates superusers or admin-site roles (``created_by`` None: an operator).
    """
    granted: dict[str, object] = {"role": role}
    if is_superuser:
        granted["is_superuser"] = True
    privileges_change_check(user=None, changed_by=created_by, changes=granted, request=request)
    return _user_create(
        email=email,
        password=password,
        full_name=full_name,
        role=role,
        is_superuser=is_superuser,
        created_by=created_by,
        request=request,
        source=source,
        email_verified=email_verified,
    )


_sync_groups = role_groups_sync  # the name tests and older callers use


@transaction.atomic
def _user_create(
    *,
    email: str,
    password: str | None,
    full_name: str,
    role: str,
    is_superuser: bool,
    created_by: User | None,
    request: HttpRequest | None,
    source: str,
    email_verified: bool,
) -> User:
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


def user_set_role(
    *, user: User, role: str, changed_by: User | None, request: HttpRequest | None = None
) -> User:
    """Change a user's role (see ``privileges.user_privileges_change``: the same rules, the
    same audit row; every session of the user ends)."""
    return user_privileges_change(user=user, changed_by=changed_by, role=role, request=request)


@transaction.atomic
def user_details_change(
    *, user: User, changed_by: User, full_name: str, request: HttpRequest | None = None
) -> User:
    """Change the name an account is shown by (not a privilege; audited by field name)."""
    if user.full_name == full_name:
        return user
    user.full_name = full_name
    user.full_clean(exclude=["password"])
    user.save(update_fields=["full_name"])
    record(
        action="accounts.user_details_changed",
        actor=changed_by,
        target=user,
        request=request,
        details={"fields": ["full_name"]},
    )
    return user


@transaction.atomic
def patient_signup_complete(
    *, user: User, legal_name: str, date_of_birth: datetime.date, request: HttpRequest | None = None
) -> PatientProfile:
    """Finish a self-service sign-up that allauth has saved: role groups, profile, audit.

    The account cannot sign in before its email address is verified.
    """
    if user.role != Role.PATIENT:
        raise ValidationError(_("Self-service sign-up is for patients only."))
    _sync_groups(user)
    record(action="accounts.signed_up", actor=user, target=user, request=request)
    profile = patient_profile_create(
        user=user, legal_name=legal_name, date_of_birth=date_of_birth, request=request
    )
    # Signed up in Spanish or Arabic: their pages and messages stay in it (the confirmation
    # email, sent by a worker with no request, included).
    language = translation.get_language() or ""
    if request is not None and language in page_languages() and language != default_language():
        user.language = profile.preferred_language = language
        # A save (not an update): the authentication cache forgets the old row on it.
        user.save(update_fields=["language"])
        profile.save(update_fields=["preferred_language"])
    return profile


@transaction.atomic
def patient_register_at_desk(
    *,
    registered_by: User,
    email: str,
    legal_name: str,
    date_of_birth: datetime.date,
    sex: str = PatientProfile.Sex.UNKNOWN,
    phone: str = "",
    request: HttpRequest,
) -> PatientProfile:
    """A walk-in patient registered by the front desk: a patient account (no password: its
    owner chooses one from the emailed link) and its profile with a new record number, in one
    transaction with the email of the link (queued, it leaves after the commit). Audited as
    created by ``registered_by``."""
    if not can_register_patients(user=registered_by):
        raise PermissionDeniedError(_("Only the reception and administrators register patients."))
    if User.objects.filter(email__iexact=email.strip()).exists():
        raise ValidationError(
            {"email": _("An account with this email address already exists: find the patient.")}
        )
    try:
        with transaction.atomic():  # a second desk registering the same address meanwhile
            user = _user_create(
                email=email,
                password=None,
                full_name=legal_name,
                role=Role.PATIENT,
                is_superuser=False,
                created_by=registered_by,
                request=request,
                source="reception",
                email_verified=True,  # staff vouch for it, as for accounts the admin creates
            )
    except IntegrityError:
        raise ValidationError(
            {"email": _("An account with this email address already exists: find the patient.")}
        ) from None
    profile = patient_profile_create(
        user=user,
        legal_name=legal_name,
        date_of_birth=date_of_birth,
        created_by=registered_by,
        request=request,
        sex=sex,
        phone=phone,
    )
    password_choose_link_send(user=user, sent_by=registered_by, request=request)
    return profile


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
            {
                # Translators: a role's code, then the codes of the staff roles.
                "role": _("%(role)s is not a staff role (%(roles)s).")
                % {"role": repr(role), "roles": ", ".join(sorted(STAFF_ROLES))}
            }
        )
    if role in (Role.DOCTOR, Role.NURSE) and department is None:
        raise ValidationError({"department": _("Doctors and nurses belong to a department.")})
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
    staff_profile_create(
        user=user,
        department=department,
        title=title,
        specialty=specialty,
        licence_number=licence_number,
        created_by=created_by,
        request=request,
    )
    return user


@transaction.atomic
def user_import_legacy(*, email: str, bcrypt_hash: str, full_name: str = "") -> User:
    """Bring over an account of the replaced system with its bcrypt hash ("$2b$12$...").

    The hash verifies as it is and is replaced by an Argon2id hash at the first login.
    """
    if not _is_readable_bcrypt_hash(bcrypt_hash):
        raise ValidationError(
            {
                "password": _(
                    "Expected a bcrypt hash such as $2b$12$... (60 characters) that bcrypt can "
                    "read."
                )
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
    publish(AccountDeactivated(user_id=user.public_id, at=timezone.now()))


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


def user_theme_set(*, user: User, theme: str) -> User:
    """The person's appearance (light, dark or their device's): a preference, not audited."""
    if theme not in User.Theme.values:
        raise ValidationError({"theme": _("Choose light, dark or your device's setting.")})
    if user.theme != theme:
        user.theme = theme
        user.save(update_fields=["theme"])
    return user


def user_language_set(*, user: User, language: str) -> User:
    """The language of the person's pages (the switcher): a preference, not audited. Blank
    follows the browser."""
    if language and language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError({"language": _("Choose one of the languages offered.")})
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user
