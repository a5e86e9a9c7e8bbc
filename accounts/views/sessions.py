"""Pages of where one is signed in: the list, and signing sessions out."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.authentication import signed_in_user
from accounts.context_processors import idle_sign_out
from accounts.selectors.sessions import device_label, sessions_active_for, web_session_of
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
        {
            # People read "Firefox on Linux", not a user-agent string (the same words as the
            # new-sign-in message).
            "rows": [
                (session, device_label(user_agent=session.user_agent))
                for session in sessions_active_for(user=user)
            ],
            "current": current,
        },
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
        messages.success(
            request,
            ngettext(
                "Signed out %(count)d other session.", "Signed out %(count)d other sessions.", count
            )
            % {"count": count},
        )
        return redirect("accounts:sessions")
    try:
        sessions.session_revoke(user=user, session_public_id=target, request=request)
    except (DomainError, ValidationError):
        messages.error(request, _("That session does not exist or has already ended."))
        return redirect("accounts:sessions")
    if current is not None and str(current.public_id) == target:
        logout(request)  # this very session: sign out here too
        return redirect("home")
    messages.success(request, _("The session was signed out."))
    return redirect("accounts:sessions")


@never_cache
@require_POST
def session_keep_alive(request: HttpRequest) -> HttpResponse:
    """ "Stay signed in" on the idle warning: the request itself is the activity (recorded by
    SessionLifetimeMiddleware before this runs); the answer is the new time left. A session
    that already ended never gets here: the middleware signed it out."""
    seconds_left = idle_sign_out(request)["idle_seconds_left"]
    return JsonResponse({"idle_seconds_left": seconds_left})
