"""Request-time rules of the accounts app: deny by default, automatic logoff, staff MFA."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import (
    AuthenticationMiddleware as DjangoAuthenticationMiddleware,
)
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.contrib.auth.middleware import auser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from accounts.models import AuthSession, User
from accounts.selectors.mfa import user_has_mfa
from accounts.selectors.sessions import (
    WEB_SESSION_ID_KEY,
    absolute_lifetime,
    idle_timeout,
    session_user_of,
    web_session_activity,
    web_session_of,
)
from accounts.services import sessions
from audit.services import record
from core.errors import problem_response, wants_json

LAST_ACTIVITY_KEY = sessions.LAST_ACTIVITY_KEY
AUTH_STARTED_KEY = sessions.AUTH_STARTED_KEY
# Activity is recorded at most this often (one write per session per window).
ACTIVITY_WRITE_INTERVAL = sessions.LAST_SEEN_WRITE_INTERVAL.total_seconds()


# --- Who is signed in: Django's AuthenticationMiddleware and django-otp's OTPMiddleware -----


def _otp_fields(user: User | AnonymousUser) -> None:
    # As django-otp's OTPMiddleware sets them.
    user.otp_device = None  # type: ignore[union-attr]
    user.is_verified = functools.partial(_is_verified, user)  # type: ignore[union-attr]


def _is_verified(user: User | AnonymousUser) -> bool:
    return getattr(user, "otp_device", None) is not None


def _persistent_id(request: HttpRequest) -> str | None:
    persistent_id: str | None = request.session.get(DEVICE_ID_SESSION_KEY)
    if persistent_id and persistent_id.count(".") > 1:  # django-otp's legacy form (full path)
        parts = persistent_id.split(".")
        persistent_id = ".".join((parts[-3], parts[-1]))
    return persistent_id


def _device_bound(request: HttpRequest, user: User, device: Device | None) -> Device | None:
    """The device the session passed, if it is still the user's and confirmed (as
    django-otp's OTPMiddleware decides; the session forgets one that is not)."""
    if device is not None and (device.user_id != user.pk or not device.confirmed):
        device = None
    if device is None and DEVICE_ID_SESSION_KEY in request.session:
        del request.session[DEVICE_ID_SESSION_KEY]
    return device


def _verified_user(request: HttpRequest) -> User | AnonymousUser:
    user, device = session_user_of(request=request, device_id=_persistent_id(request))
    _otp_fields(user)
    if isinstance(user, User):
        user.otp_device = _device_bound(request, user, device)  # type: ignore[attr-defined]
    # Loaded: later readers of ``request.user`` (the middleware after this, the view, the
    # context processors and templates: ~40 reads on a page) get the user itself, not the
    # lazy object, whose every attribute read costs several Python calls. Whoever kept the
    # lazy object reads the same user through it.
    request.user = user
    return user


async def _averified_user(request: HttpRequest) -> User | AnonymousUser:
    user: User | AnonymousUser = await auser(request)
    _otp_fields(user)
    if isinstance(user, User):
        persistent_id = _persistent_id(request)
        device = await Device.afrom_persistent_id(persistent_id) if persistent_id else None
        user.otp_device = _device_bound(request, user, device)  # type: ignore[attr-defined]
    return user


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """``request.user`` as Django's AuthenticationMiddleware followed by django-otp's
    OTPMiddleware make it (``otp_device``, ``is_verified()``), in one lazy object instead of
    one inside the other, with the user's row from the authentication cache
    (``session_user_of``): a signed-in page costs no query for who is reading it."""

    def process_request(self, request: HttpRequest) -> None:
        if not hasattr(request, "session"):
            raise ImproperlyConfigured(
                "accounts.middleware.AuthenticationMiddleware needs SessionMiddleware before it."
            )
        request.user = SimpleLazyObject(functools.partial(_verified_user, request))  # type: ignore[assignment]
        request.auser = functools.partial(_averified_user, request)


def _session_user(request: HttpRequest) -> User | None:
    """The signed-in user of a request signed in through its session, or None.

    A request whose session has no key (it sent no session cookie) has nobody signed
    in: the user AuthenticationMiddleware (and django-otp around it) left to be loaded lazily
    is anonymous, so it is not loaded here. Requests for the API with a bearer token, probes
    and signed-out pages pass through without building it; a user set on the request by other
    means (not lazy) is taken as it is."""
    user = getattr(request, "user", None)
    if type(user) is SimpleLazyObject:
        session = getattr(request, "session", None)
        if session is None or session.session_key is None:
            return None
    if isinstance(user, User) and user.is_authenticated:
        return user
    return None


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Deny by default: every page needs a signed-in user unless its view is marked
    ``@login_not_required``. DRF views are left to DRF, whose default permission is
    IsAuthenticated (token-authenticated requests are anonymous at this point)."""

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        if getattr(view_func, "cls", None) is not None and hasattr(view_func, "initkwargs"):
            return None  # a DRF APIView
        return super().process_view(request, view_func, view_args, view_kwargs)


class SessionLifetimeMiddleware:
    """Automatic logoff after idle time (staff 15 min, patients 30 by default) and at the
    absolute lifetime; keeps the session's record (AuthSession) in step with rotations.

    The idle clock is the record's ``last_seen_at``, read through the authentication cache
    and written at most once a minute by a conditional UPDATE: a signed-in request with
    nothing to record writes nothing, neither the record nor the Django session. A session
    without a record (signed in by other means) keeps its clock in the Django session,
    written at most once a minute too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = _session_user(request)
        if user is not None:
            ended = self._enforce_lifetime(request, user)
            if ended is not None:
                return ended
        key_before = request.session.session_key if hasattr(request, "session") else None
        response = self.get_response(request)
        # Only a request that rotated the key (sign-in, second factor) has a record to follow:
        # no query on every request, none after a database failure (a 503 stays one wait).
        if hasattr(request, "session") and request.session.session_key != key_before:
            self._follow_rotation(request)
        return response

    def _enforce_lifetime(self, request: HttpRequest, user: User) -> HttpResponse | None:
        now = time.time()
        activity = web_session_activity(request=request)
        if activity is not None and now - activity.last_seen_at.timestamp() >= (
            ACTIVITY_WRITE_INTERVAL
        ):  # this process's copy says something is due: ask the shared clock
            activity = web_session_activity(request=request, shared=True)
        last: float | None = (
            activity.last_seen_at.timestamp()
            if activity is not None
            else request.session.get(LAST_ACTIVITY_KEY)
        )
        started = request.session.get(AUTH_STARTED_KEY)
        if started is None:  # a session signed in without web_session_start: written once
            started = request.session[AUTH_STARTED_KEY] = now
        reason = ""
        if last is not None and now - last > idle_timeout(user=user).total_seconds():
            reason = sessions.EndReason.IDLE
        elif now - started > absolute_lifetime().total_seconds():
            reason = sessions.EndReason.EXPIRED
        if reason:
            return self._log_out(request, user, reason)
        if activity is not None:
            activity = sessions.web_session_touch(
                public_id=request.session[WEB_SESSION_ID_KEY], activity=activity
            )
            last = activity.last_seen_at.timestamp()
        elif last is None or now - last >= ACTIVITY_WRITE_INTERVAL:
            request.session[LAST_ACTIVITY_KEY] = last = now
        # When the session ends unless the person does something: the pages warn a minute
        # before (static/js/parts/idle.js); the clock is the recorded one, so it may run up to a
        # minute ahead of the person's last click, never behind it.
        request.idle_deadline = min(  # type: ignore[attr-defined]
            last + idle_timeout(user=user).total_seconds(),
            started + absolute_lifetime().total_seconds(),
        )
        return None

    def _log_out(self, request: HttpRequest, user: User, reason: str) -> HttpResponse:
        session = web_session_of(request=request)
        if session is not None:
            sessions.session_end(session=session, reason=reason, actor=user, request=request)
        else:
            record(
                action="accounts.session_ended",
                actor=user,
                target=user,
                request=request,
                details={"reason": reason},
            )
        logout(request)
        message = (
            _("You were signed out after a period without activity, to protect your information.")
            if reason == sessions.EndReason.IDLE
            else _("Your session reached its maximum length. Please sign in again.")
        )
        if wants_json(request):
            return problem_response(status=401, code="SESSION_EXPIRED", detail=message)
        messages.info(request, message)
        return redirect(
            f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}"
        )

    @staticmethod
    def _follow_rotation(request: HttpRequest) -> None:
        public_id = request.session.get(WEB_SESSION_ID_KEY) if hasattr(request, "session") else None
        key = request.session.session_key if public_id else None
        if public_id and key:
            AuthSession.objects.filter(public_id=public_id, ended_at__isnull=True).exclude(
                session_key=key
            ).update(session_key=key)


class StaffMfaEnrolmentMiddleware:
    """A staff member without a second factor reaches nothing but enrolment and sign-out."""

    allowed_prefixes = (
        "/accounts/security/",
        "/accounts/reauthenticate/",
        "/accounts/logout/",
        "/accounts/language/",
        "/static/",
        "/healthz",
        "/readyz",
        "/api/v1/account/mfa",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = _session_user(request)
        if (
            user is not None
            and user.is_staff_member
            and not user.is_verified()  # type: ignore[attr-defined]  # set by OTPMiddleware
            and not request.path.startswith(self.allowed_prefixes)
        ):
            if user_has_mfa(user=user):
                # Has a factor but this session never passed it: sign in again, properly.
                logout(request)
                return redirect(
                    f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}"
                )
            if wants_json(request):
                return problem_response(
                    status=403,
                    code="MFA_ENROLMENT_REQUIRED",
                    detail=_("Staff accounts must set up two-factor authentication first."),
                )
            messages.warning(
                request,
                _("Staff accounts must set up two-factor authentication before continuing."),
            )
            return redirect("accounts:security")
        return self.get_response(request)
