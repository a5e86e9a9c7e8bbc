"""What the site navigation shows of the appointments app, from the same predicates as the pages."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User
from appointments import permissions


def navigation(request: HttpRequest) -> dict[str, dict[str, bool]]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {"appointments_nav": {}}
    return {
        "appointments_nav": {
            "mine": user.is_patient,
            "schedule": permissions.can_view_schedules(user=user),
            "reception": permissions.can_open_reception(user=user),
            "manage": permissions.can_manage_schedules(user=user),
        }
    }
