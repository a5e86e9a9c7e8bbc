"""What every page's template may need of the signed-in user, computed only when used."""

from __future__ import annotations

import time

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import User
from accounts.selectors.profiles import time_zone_of


def time_zone(request: HttpRequest) -> dict[str, object]:
    """``viewer_zone``: the zone the reader reads times in (``{% local_time %}`` adds the time
    in it where a page shows another zone). Lazy: pages without times, error pages among
    them, never look it up."""
    user = getattr(request, "user", None)
    return {
        "viewer_zone": SimpleLazyObject(
            lambda: time_zone_of(user=user if isinstance(user, User) else None).key
        )
    }


def idle_sign_out(request: HttpRequest) -> dict[str, object]:
    """``idle_seconds_left``: how long the signed-in session lasts without activity (from
    accounts.middleware.SessionLifetimeMiddleware), for the page's warning; None otherwise."""
    deadline = getattr(request, "idle_deadline", None)
    if deadline is None:
        return {"idle_seconds_left": None}
    return {"idle_seconds_left": max(0, int(deadline - time.time()))}
