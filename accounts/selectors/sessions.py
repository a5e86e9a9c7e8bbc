"""Signed-in sessions: how long they last, which one a request runs in, which are live."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.db import connections, router
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_otp.models import Device

from accounts import auth_cache
from accounts.auth_cache import WebActivity
from accounts.models import ApiToken, AuthSession, User
from accounts.models.sessions import token_digest

# Where a browser session keeps the public id of its AuthSession.
WEB_SESSION_ID_KEY = "_auth_session_id"


def idle_timeout(*, user: User) -> datetime.timedelta:
    """How long the user's session may go without activity (shorter for staff)."""
    seconds = (
        settings.SESSION_IDLE_TIMEOUT_STAFF
        if user.is_staff_member
        else settings.SESSION_IDLE_TIMEOUT_PATIENT
    )
    return datetime.timedelta(seconds=seconds)


def absolute_lifetime() -> datetime.timedelta:
    """How long any session may last, however active."""
    return datetime.timedelta(seconds=settings.SESSION_ABSOLUTE_LIFETIME)


def web_session_of(*, request: HttpRequest) -> AuthSession | None:
    """The live record of the request's browser session, if it has one."""
    public_id: str | None = request.session.get(WEB_SESSION_ID_KEY)
    if not public_id:
        return None
    return AuthSession.objects.filter(public_id=public_id, ended_at__isnull=True).first()


# Backends (by dotted path) whose get_user() reads the user by key and refuses an inactive
# one, as ModelBackend's does: their users may come from the authentication cache.
_READS_USERS_AS_MODEL_BACKEND: dict[str, bool] = {}


def _reads_users_as_model_backend(backend_path: str) -> bool:
    found = _READS_USERS_AS_MODEL_BACKEND.get(backend_path)
    if found is None:
        backend = import_string(backend_path)
        found = _READS_USERS_AS_MODEL_BACKEND[backend_path] = (
            isinstance(backend, type)
            and issubclass(backend, ModelBackend)
            and backend.get_user is ModelBackend.get_user
            and backend.user_can_authenticate is ModelBackend.user_can_authenticate
        )
    return found


def session_user_of(
    *, request: HttpRequest, device_id: str | None = None
) -> tuple[User | AnonymousUser, Device | None]:
    """The user a browser session is signed in as: Django's ``auth.get_user()``, with the
    user's row from the authentication cache (auth_cache.py: an entry is used only while the
    user is unchanged since it was read) instead of a query on every request; and the
    second-factor device of ``device_id`` (the one the session passed, as django-otp keeps
    it), from the cache too, whoever it belongs to (the caller checks that).

    Only what verifies exactly as Django would takes the cache's answer: an active user whose
    session carries the hash the current SECRET_KEY makes. Anything else (an inactive user, a
    changed password, a session signed with a fallback key that Django rotates, a backend of
    another kind) is Django's own ``get_user()`` from the database."""
    session = request.session
    try:
        user_id = User._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser(), None
    if backend_path not in settings.AUTHENTICATION_BACKENDS or not (
        _reads_users_as_model_backend(backend_path)
    ):
        user = auth.get_user(request)
        return user, _device(device_id) if isinstance(user, User) else None
    lookup = auth_cache.user_get(
        user_id=user_id,
        device_id=device_id,
        # Read with the session's data (accounts/session_store.py), if it was.
        prefetched=getattr(session, "prefetched_user", None),
    )
    cached = lookup.found
    if cached is None:
        user = auth.get_user(request)
        if isinstance(user, User):
            auth_cache.user_keep(user=user, generation=lookup.generation)
    else:
        session_hash = session.get(HASH_SESSION_KEY)
        if (
            cached.user.is_active
            and session_hash
            and constant_time_compare(session_hash, cached.session_auth_hash)
        ):
            user = cached.user
        else:
            user = auth.get_user(request)
    if not isinstance(user, User) or not device_id:
        return user, None
    device = lookup.device
    if device is None:
        device = _device(device_id)
        if device is not None:
            auth_cache.device_keep(device=device, generation=lookup.generation)
    return user, device


def _device(persistent_id: str | None) -> Device | None:
    return Device.from_persistent_id(persistent_id) if persistent_id else None


def current_session(*, request: HttpRequest, auth: object = None) -> AuthSession | None:
    """The session a request runs in: the token family of its bearer token (DRF's
    ``request.auth``), else the record of its browser session."""
    if isinstance(auth, AuthSession):
        return auth
    return web_session_of(request=request)


def session_mfa_verified(*, request: HttpRequest, auth: object = None) -> bool:
    """Whether the request's session passed a second factor: the token family's device on
    the API, django-otp's ``is_verified()`` (set by OTPMiddleware) in the browser."""
    if isinstance(auth, AuthSession):
        return auth.is_mfa_verified
    return bool(getattr(request.user, "is_verified", lambda: False)())


def sessions_active_for(*, user: User) -> QuerySet[AuthSession]:
    """The user's sessions that have neither ended nor expired."""
    return AuthSession.objects.filter(
        user=user, ended_at__isnull=True, expires_at__gt=timezone.now()
    )


def web_session_activity(*, request: HttpRequest, shared: bool = False) -> WebActivity | None:
    """When the request's browser session was last seen active (the clock of the idle
    timeout), from its record; None for a session without one. From the authentication
    cache when it has it (this process's copy, a lower bound, unless ``shared``), else one
    query (and the cache filled)."""
    public_id: str | None = request.session.get(WEB_SESSION_ID_KEY)
    if not public_id:
        return None
    activity = auth_cache.web_activity_get(public_id=public_id, shared=shared)
    if activity is not None:
        return activity
    row = (
        AuthSession.objects.filter(public_id=public_id, ended_at__isnull=True)
        .values_list("pk", "last_seen_at")
        .first()
    )
    if row is None:
        return None
    activity = WebActivity(session_id=row[0], last_seen_at=row[1])
    auth_cache.web_activity_keep(public_id=public_id, activity=activity)
    return activity


_ACTIVE_USER_SQL: dict[str, str] = {}  # by database vendor


def _active_user(user_id: int) -> User | None:
    """The active user by key. Written once from the model's metadata: on every request
    answered from the authentication cache, the ORM spent more building this query than the
    database answering it (the raw query set still converts the columns as the ORM does)."""
    connection = connections[router.db_for_read(User)]
    sql = _ACTIVE_USER_SQL.get(connection.vendor)
    if sql is None:
        quote = connection.ops.quote_name
        table = quote(User._meta.db_table)
        columns = ", ".join(f"{table}.{quote(f.column)}" for f in User._meta.concrete_fields)
        sql = _ACTIVE_USER_SQL.setdefault(
            connection.vendor,
            # Names from the model, quoted; the key is a parameter. Written as the ORM would.
            f"SELECT {columns} FROM {table} "  # noqa: S608
            f"WHERE {table}.{quote(User._meta.pk.column)} = %s "
            f"AND {table}.{quote(User._meta.get_field('is_active').column)}",
        )
    return next(iter(User.objects.raw(sql, [user_id])), None)


def user_cache_warm(*, user_id: int) -> None:
    """Keep the user's row in the authentication cache if it is not there yet (read from the
    database after the cache gave the generation to keep it under, as a request would): a
    sign-in or a token rotation warms it, so the first request with the new token reads no
    user row. One round trip when it is there already."""
    lookup = auth_cache.user_get(user_id=user_id)
    if lookup.found is not None or lookup.generation is None:
        return
    user = _active_user(user_id)
    if user is not None:
        auth_cache.user_keep(user=user, generation=lookup.generation)


def api_access_token_authenticate(*, token: str) -> AuthSession | None:
    """The live session behind an access token, with its user, or None.

    No query when the authentication cache knows the token and its user, both read in one
    round trip (auth_cache.py: token entries are dropped when their session ends or changes,
    and live at most the token's remaining lifetime, capped; a user's entry is used only while
    the user is unchanged since it was read, so a deactivated account is refused at once); the
    user alone when it knows the token only; else the token with its session and user (and
    the cache filled).
    """
    digest = token_digest(token)
    now = timezone.now()
    cached = auth_cache.token_get(digest=digest)
    if cached is not None:
        session = cached.session
        if cached.expires_at <= now or session.expires_at <= now or session.ended_at is not None:
            return None
        lookup = cached.user
        if lookup is None:  # the cache could not say in the same round trip
            lookup = auth_cache.user_get(user_id=session.user_id)
        if lookup.found is not None:
            user: User | None = lookup.found.user if lookup.found.user.is_active else None
        else:
            user = _active_user(session.user_id)
            if user is not None:
                auth_cache.user_keep(user=user, generation=lookup.generation)
        if user is None:
            return None
        session.user = user
        return session
    found = (
        ApiToken.objects.select_related("session__user")
        .filter(
            digest=digest,
            kind=ApiToken.Kind.ACCESS,
            expires_at__gt=now,
            session__ended_at__isnull=True,
            session__expires_at__gt=now,
            session__user__is_active=True,
        )
        .first()
    )
    if found is None:
        return None
    auth_cache.token_keep(
        digest=digest, session=found.session, expires_at=found.expires_at, now=now
    )
    return found.session


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"))
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_label(*, user_agent: str) -> str:
    """A person's words for a browser or app: "Firefox on Linux" (the user agent's start
    when it is none of the common ones)."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), "")
    if not browser and "Safari/" in user_agent:
        browser = "Safari"
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    if browser and system:
        # Translators: a browser on an operating system, e.g. "Firefox on Linux".
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or (user_agent[:60] if user_agent else _("an unknown device"))


def session_device_label(*, public_id: uuid.UUID | str) -> str:
    agent = (
        AuthSession.objects.filter(public_id=public_id).values_list("user_agent", flat=True).first()
    )
    return device_label(user_agent=agent or "")


_NOT_READ = object()


def value_read_along(*, request: HttpRequest, user: User, key: str) -> object:
    """What the default cache held under ``key`` (registered with
    ``accounts.auth_cache.read_along``) when this request's session was read, for its
    signed-in ``user``; ``NOT_READ_ALONG`` when it was not read then (read it yourself)."""
    session = getattr(request, "session", None)
    prefetched = getattr(session, "prefetched_user", None)
    if prefetched is None or prefetched.user_id != str(user.pk) or key not in prefetched.along:
        return NOT_READ_ALONG
    return prefetched.along[key]


NOT_READ_ALONG = _NOT_READ
