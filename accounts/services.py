"""Writes on accounts. Every change that matters to security is audited."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from accounts.models import User
from audit.services import record


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    full_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    created_by: User | None = None,
    request: HttpRequest | None = None,
    source: str = "",
) -> User:
    """Create an account (validated, case-insensitively unique email) and audit it."""
    manager = User.objects
    create = manager.create_superuser if is_superuser else manager.create_user
    user = create(email=email, password=password, full_name=full_name, is_staff=is_staff)
    record(
        action="accounts.user_created",
        actor=created_by,
        target=user,
        request=request,
        details={"is_staff": user.is_staff, "is_superuser": user.is_superuser, "source": source},
    )
    return user
