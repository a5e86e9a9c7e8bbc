"""Users: by email (the login), one's own account, and the patients other apps may choose from."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import connections, router
from django.db.models import QuerySet

from accounts.models import User
from accounts.roles import Role
from accounts.selectors.mfa import has_mfa_condition
from audit.access import viewed


def user_get_by_email(*, email: str) -> User | None:
    """The account with this email, whatever its letter case, or None."""
    return User.objects.filter(email__iexact=email.strip()).first()


def patients_active() -> QuerySet[User]:
    """Patient accounts that can be booked for (staff choose among these, by public id)."""
    return User.objects.filter(role=Role.PATIENT, is_active=True)


def patient_get(*, public_id: uuid.UUID | str) -> User | None:
    """An active patient by public id (with the profile), or None for anything else."""
    try:
        wanted = uuid.UUID(str(public_id))
    except ValueError:
        return None
    patient = patients_active().select_related("patient_profile").filter(public_id=wanted).first()
    if patient is not None:  # the reader (the request's user) sees who they book for
        viewed(patients=[patient.pk], target=patient)
    return patient


def user_email_verified(*, user: User) -> bool:
    """Whether one of the user's addresses is confirmed (they may sign in)."""
    return EmailAddress.objects.filter(user=user, verified=True).exists()


@dataclass(frozen=True)
class AccountOverview:
    """What the signed-in person is shown of their own account."""

    public_id: uuid.UUID
    email: str
    full_name: str
    role: str
    role_display: str
    mfa_enabled: bool
    email_verified: bool
    date_joined: datetime.datetime


_VERIFIED_ADDRESS_SQL: dict[str, str] = {}  # by database vendor


def _factor_and_address_of(*, user: User) -> tuple[bool, bool]:
    """Whether the user has a second factor and a confirmed address, in one statement
    (asked on every /me; written once from the models' metadata, like has-MFA)."""
    connection = connections[router.db_for_read(EmailAddress)]
    has_mfa, parameters = has_mfa_condition(connection)
    if connection.vendor not in _VERIFIED_ADDRESS_SQL:
        quote = connection.ops.quote_name
        meta = EmailAddress._meta
        _VERIFIED_ADDRESS_SQL[connection.vendor] = (
            f"EXISTS (SELECT 1 FROM {quote(meta.db_table)} "  # noqa: S608 - names from the model
            f"WHERE {quote(meta.get_field('user').column)} = %s "
            f"AND {quote(meta.get_field('verified').column)})"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {has_mfa}, {_VERIFIED_ADDRESS_SQL[connection.vendor]}",
            [user.pk] * (parameters + 1),
        )
        row = cursor.fetchone()
    return bool(row[0]), bool(row[1])


def account_overview_of(*, user: User) -> AccountOverview:
    """The user's own account: who they are, and whether it has a second factor and a
    confirmed address."""
    mfa_enabled, email_verified = _factor_and_address_of(user=user)
    return AccountOverview(
        public_id=user.public_id,
        email=user.email,
        full_name=user.full_name,
        role=user.role,
        role_display=user.get_role_display(),
        mfa_enabled=mfa_enabled,
        email_verified=email_verified,
        date_joined=user.date_joined,
    )


def user_by_public_id(*, public_id: uuid.UUID | str) -> User | None:
    """Any account (active or not) by its public id: for the owner's own messages."""
    return User.objects.filter(public_id=public_id).first()
