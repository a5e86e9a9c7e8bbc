"""Pages of where one is signed in: the list, and signing sessions out."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.authentication import signed_in_user
from accounts.selectors.sessions import sessions_active_for, web_session_of
from accounts.services import sessions
from core.errors import DomainError


@never_cache
@require_http_methods(["GET"])
def session_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    current = web_session_of(request=request)
    return render(
        request,
        "accounts/sessions.html",
        {"sessions": sessions_active_for(user=user), "current": current},
    )


@require_POST
def session_revoke(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    current = web_session_of(request=request)
    target = request.POST.get("session_id", "")
    if request.POST.get("scope") == "others":
        count = sessions.sessions_end_others(
            user=user, keep=current, reason=sessions.EndReason.REVOKED, request=request
        )
        messages.success(request, f"Signed out {count} other session{'s' if count != 1 else ''}.")
        return redirect("accounts:sessions")
    try:
        sessions.session_revoke(user=user, session_public_id=target, request=request)
    except (DomainError, ValidationError):
        messages.error(request, "That session does not exist or has already ended.")
        return redirect("accounts:sessions")
    if current is not None and str(current.public_id) == target:
        logout(request)  # this very session: sign out here too
        return redirect("home")
    messages.success(request, "The session was signed out.")
    return redirect("accounts:sessions")
