"""Users: by email (the login) and the patients other apps may choose from."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from accounts.models import User
from accounts.roles import Role


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
    return patients_active().select_related("patient_profile").filter(public_id=wanted).first()
