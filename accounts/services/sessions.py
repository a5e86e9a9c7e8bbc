"""Signed-in sessions: browser sessions and API token families, listed and revoked alike.

Every login creates an AuthSession. A browser session points at its Django session key;
an API session owns its access and refresh tokens (the token family). Ending an
AuthSession deletes the Django session or revokes the tokens at once.
"""

from __future__ import annotations

import datetime
import logging
import secrets
import time
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.models import Device
from redis.exceptions import RedisError

from accounts import auth_cache
from accounts.auth_cache import WebActivity
from accounts.errors import InvalidToken, SessionNotFound
from accounts.models import ApiToken, AuthSession, User
from accounts.models.sessions import token_digest
from accounts.selectors.mfa import method_of
from accounts.selectors.sessions import (
    WEB_SESSION_ID_KEY,
    absolute_lifetime,
    idle_timeout,
    user_cache_warm,
)
from accounts.services import refresh_grace
from audit.services import Outcome, record
from core.caller import client_ip, user_agent

logger = logging.getLogger(__name__)

LAST_ACTIVITY_KEY = "_last_activity"
AUTH_STARTED_KEY = "_auth_started"
LAST_SEEN_WRITE_INTERVAL = datetime.timedelta(seconds=60)

EndReason = AuthSession.EndReason


def _new_session(
    *, user: User, kind: str, request: HttpRequest | None, mfa_device: str
) -> AuthSession:
    now = timezone.now()
    return AuthSession(
        user=user,
        kind=kind,
        ip_address=client_ip(request) if request else None,
        user_agent=user_agent(request) if request else "",
        mfa_device=mfa_device,
        created_at=now,
        last_seen_at=now,
        expires_at=now + absolute_lifetime(),
    )


@transaction.atomic
def web_session_start(*, request: HttpRequest, user: User, mfa_device: str = "") -> AuthSession:
    """Track a browser login. Called right after Django's login() has rotated the session id."""
    session = _new_session(
        user=user, kind=AuthSession.Kind.WEB, request=request, mfa_device=mfa_device
    )
    if not request.session.session_key:
        request.session.save()
    session.session_key = request.session.session_key
    AuthSession.objects.filter(session_key=session.session_key).delete()
    session.save()
    request.session[WEB_SESSION_ID_KEY] = str(session.public_id)
    request.session[AUTH_STARTED_KEY] = request.session[LAST_ACTIVITY_KEY] = time.time()
    return session


@transaction.atomic
def session_mark_verified(
    *, session: AuthSession | None, device: Device, request: HttpRequest | None
) -> bool:
    """The session passed a second factor: the code (or passkey) that confirmed a newly set-up
    device. The one way a browser session or an API token family becomes MFA-verified after
    sign-in; audited. A session already verified keeps the device it was verified with.
    Returns whether the session changed."""
    if session is None:
        return False
    marked = AuthSession.objects.filter(pk=session.pk, mfa_device="").update(
        mfa_device=device.persistent_id
    )
    if marked:
        session.mfa_device = device.persistent_id
        _access_tokens_forget(AuthSession.objects.filter(pk=session.pk))
        record(
            action="accounts.session_verified",
            actor=session.user,
            target=session,
            request=request,
            details={"method": method_of(device=device), "kind": session.kind},
        )
    return bool(marked)


def _last_seen_record(*, session_id: int, now: datetime.datetime) -> None:
    """A conditional UPDATE: only a live session whose recorded activity is older than the
    interval is written, so concurrent requests of one session write once between them."""
    AuthSession.objects.filter(
        pk=session_id, ended_at__isnull=True, last_seen_at__lt=now - LAST_SEEN_WRITE_INTERVAL
    ).update(last_seen_at=now)


def session_touch(*, session: AuthSession, access_token: str | None = None) -> bool:
    """Record the activity of a request in an API session: at most one write a minute per
    session, none on a request with nothing to record. Returns whether it was due.

    ``access_token``, the token the request came with, lets the authentication cache know the
    activity is recorded, so the next requests of the minute do not try again."""
    now = timezone.now()
    if now - session.last_seen_at < LAST_SEEN_WRITE_INTERVAL:
        return False
    _last_seen_record(session_id=session.pk, now=now)
    session.last_seen_at = now
    if access_token is not None:
        auth_cache.token_seen(digest=token_digest(access_token), at=now)
    return True


def web_session_touch(*, public_id: str, activity: WebActivity) -> WebActivity:
    """Record the activity of a request in a browser session (its record's ``last_seen_at``,
    the clock of the idle timeout): at most one write a minute per session, none on a
    request with nothing to record. Returns the activity as it now stands."""
    now = timezone.now()
    if now - activity.last_seen_at < LAST_SEEN_WRITE_INTERVAL:
        return activity
    _last_seen_record(session_id=activity.session_id, now=now)
    touched = WebActivity(session_id=activity.session_id, last_seen_at=now)
    auth_cache.web_activity_keep(public_id=public_id, activity=touched)
    return touched


def _access_tokens_forget(sessions: QuerySet[AuthSession]) -> None:
    """The authentication cache may no longer answer for these sessions' access tokens
    (called before the tokens or the sessions change, inside the same transaction)."""
    auth_cache.tokens_forget(
        digests=list(
            ApiToken.objects.filter(session__in=sessions, kind=ApiToken.Kind.ACCESS).values_list(
                "digest", flat=True
            )
        )
    )


def _end(sessions: QuerySet[AuthSession], reason: str) -> list[AuthSession]:
    ended = list(sessions.filter(ended_at__isnull=True).select_for_update())
    if not ended:
        return []
    now = timezone.now()
    AuthSession.objects.filter(pk__in=[s.pk for s in ended]).update(ended_at=now, end_reason=reason)
    api_sessions = [s.pk for s in ended if s.kind == AuthSession.Kind.API]
    if api_sessions:
        _access_tokens_forget(AuthSession.objects.filter(pk__in=api_sessions))
    auth_cache.web_activity_forget(
        public_ids=[str(s.public_id) for s in ended if s.kind == AuthSession.Kind.WEB]
    )
    ApiToken.objects.filter(session__in=ended).delete()
    _browser_sessions_delete([s.session_key for s in ended if s.session_key])
    return ended


def _browser_sessions_delete(session_keys: list[str]) -> None:
    """Delete Django's sessions behind ended records: one statement (and one cache call)
    for any number, not a read and a delete per session (sign out everywhere)."""
    if not session_keys:
        return
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):  # not database-backed: the engine's own way
        for key in session_keys:
            store(session_key=key).delete()
        return
    prefix = getattr(store, "cache_key_prefix", None)
    if prefix is not None:  # cached_db: the cached copy goes first, so none outlives its row
        cached = [prefix + key for key in session_keys]
        sessions_cache = caches[settings.SESSION_CACHE_ALIAS]
        # With the cache unreachable the sessions still end (their copies live 5 minutes at
        # most: accounts.session_store); refusing would leave them open.
        _forget_cached(sessions_cache, cached)
        # And again once the deletion commits: a request in between finds the row still
        # there and caches it again, where it would outlive the row.
        transaction.on_commit(lambda: _forget_cached(sessions_cache, cached))
    store.get_model_class().objects.filter(session_key__in=session_keys).delete()


def _forget_cached(sessions_cache: Any, keys: list[str]) -> None:
    try:
        sessions_cache.delete_many(keys)
    except (RedisError, OSError):
        logger.warning("Ended sessions could not be removed from the session cache.")


@transaction.atomic
def session_end(
    *, session: AuthSession, reason: str, actor: User | None, request: HttpRequest | None = None
) -> None:
    for ended in _end(AuthSession.objects.filter(pk=session.pk), reason):
        record(
            action="accounts.session_ended",
            actor=actor,
            target=ended,
            request=request,
            details={"reason": reason, "kind": ended.kind},
        )


@transaction.atomic
def session_revoke(
    *, user: User, session_public_id: str, request: HttpRequest | None = None
) -> None:
    """The user ends one of their own sessions (another user's is a 404)."""
    session = AuthSession.objects.filter(
        user=user, public_id=session_public_id, ended_at__isnull=True
    ).first()
    if session is None:
        raise SessionNotFound()
    session_end(session=session, reason=EndReason.REVOKED, actor=user, request=request)


@transaction.atomic
def sessions_end_others(
    *, user: User, keep: AuthSession | None, reason: str, request: HttpRequest | None = None
) -> int:
    """End every session of the user but ``keep`` (password change, "sign out everywhere else")."""
    others = AuthSession.objects.filter(user=user)
    if keep is not None:
        others = others.exclude(pk=keep.pk)
    ended = _end(others, reason)
    if ended:
        record(
            action="accounts.sessions_ended",
            actor=user,
            target=user,
            request=request,
            details={"reason": reason, "count": len(ended)},
        )
    return len(ended)


# --- API tokens ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    access_expires_at: datetime.datetime
    refresh_expires_at: datetime.datetime
    session: AuthSession

    def as_dict(self) -> dict[str, object]:
        return {
            "token_type": "Bearer",
            "access_token": self.access_token,
            "access_expires_at": self.access_expires_at,
            "expires_in": settings.API_ACCESS_TOKEN_LIFETIME,
            "refresh_token": self.refresh_token,
            "refresh_expires_at": self.refresh_expires_at,
            "session_id": str(self.session.public_id),
        }


def _issue_pair(session: AuthSession) -> TokenPair:
    now = timezone.now()
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    access_expires = min(
        now + datetime.timedelta(seconds=settings.API_ACCESS_TOKEN_LIFETIME), session.expires_at
    )
    refresh_expires = min(now + idle_timeout(user=session.user), session.expires_at)
    access_digest = token_digest(access)
    ApiToken.objects.bulk_create(
        [
            ApiToken(
                session=session,
                kind=ApiToken.Kind.ACCESS,
                digest=access_digest,
                created_at=now,
                expires_at=access_expires,
            ),
            ApiToken(
                session=session,
                kind=ApiToken.Kind.REFRESH,
                digest=token_digest(refresh),
                created_at=now,
                expires_at=refresh_expires,
            ),
        ]
    )
    # The new access token is known to be live: its first request need not read it back
    # from the database. After the commit (a rolled-back pair must not be found), and never
    # over a tombstone (a session ended meanwhile: token_keep only adds).
    transaction.on_commit(
        lambda: auth_cache.token_keep(
            digest=access_digest, session=session, expires_at=access_expires, now=now
        )
    )
    # And so is its user: the first request with the token need not read them either. Robust:
    # a cache that fails here only leaves the first request to read the user itself.
    transaction.on_commit(lambda: user_cache_warm(user_id=session.user_id), robust=True)
    return TokenPair(access, refresh, access_expires, refresh_expires, session)


@transaction.atomic
def api_session_start(
    *, user: User, request: HttpRequest | None, mfa_device: str = ""
) -> TokenPair:
    """Open an API session (a token family) and issue its first token pair."""
    session = _new_session(
        user=user, kind=AuthSession.Kind.API, request=request, mfa_device=mfa_device
    )
    session.save()
    return _issue_pair(session)


def api_tokens_refresh(*, refresh_token: str, request: HttpRequest | None = None) -> TokenPair:
    """Exchange a refresh token for a new pair (rotation). Presenting a refresh token that was
    already exchanged means it was stolen or replayed: the whole family is revoked, except
    within the grace window (``API_REFRESH_GRACE_SECONDS``, refresh_grace.py), where the same
    token gets the same new pair again as long as that pair has not been refreshed itself: an
    app that refreshes from two requests at once stays signed in."""
    # The revocation must commit even though the caller gets an error: decide inside the
    # transaction, raise after it. A concurrent twin waits on the row lock until the first
    # rotation commits, and by then its pair is kept for the grace window.
    with transaction.atomic():
        token = (
            ApiToken.objects.select_for_update()
            .select_related("session__user")
            .filter(digest=token_digest(refresh_token or ""), kind=ApiToken.Kind.REFRESH)
            .first()
        )
        if token is None:
            pair = None
        elif token.rotated_at is not None:
            pair = _grace_replay(token, refresh_token, request=request)
            if pair is None:
                _end(AuthSession.objects.filter(pk=token.session_id), EndReason.REFRESH_REUSE)
                refresh_grace.grace_pair_forget(old_refresh_token=refresh_token)
                record(
                    action="accounts.refresh_token_reused",
                    outcome=Outcome.DENIED,
                    actor=token.session.user,
                    target=token.session,
                    request=request,
                    details={"family_revoked": True},
                )
        else:
            pair = _rotate(token)
            if pair is not None:
                refresh_grace.grace_pair_keep(
                    old_refresh_token=refresh_token,
                    pair=refresh_grace.GracePair(
                        session_id=pair.session.pk,
                        access_token=pair.access_token,
                        refresh_token=pair.refresh_token,
                        access_expires_at=pair.access_expires_at,
                        refresh_expires_at=pair.refresh_expires_at,
                    ),
                )
    if pair is None and token is not None and token.rotated_at is not None:
        raise InvalidToken(
            _(
                "This refresh token was already used. For your safety, the session was ended: "
                "sign in again."
            )
        )
    if pair is None:
        raise InvalidToken()
    return pair


def _grace_replay(
    token: ApiToken, refresh_token: str, *, request: HttpRequest | None
) -> TokenPair | None:
    """The pair already issued for ``token``, if it was rotated within the grace window, its
    session is live and that pair is still the family's current one (not refreshed since)."""
    assert token.rotated_at is not None  # noqa: S101 - called for rotated tokens only
    now = timezone.now()
    if now - token.rotated_at > datetime.timedelta(seconds=refresh_grace.grace_seconds()):
        return None
    kept = refresh_grace.grace_pair_of(old_refresh_token=refresh_token)
    session = token.session
    if (
        kept is None
        or kept.session_id != session.pk
        or session.ended_at is not None
        or session.expires_at <= now
        or not session.user.is_active
    ):
        return None
    still_current = ApiToken.objects.filter(
        session=session,
        kind=ApiToken.Kind.REFRESH,
        digest=token_digest(kept.refresh_token),
        rotated_at__isnull=True,
        expires_at__gt=now,
    ).exists()
    if not still_current:  # the new pair was refreshed (or expired) since: this is reuse
        return None
    record(
        action="accounts.refresh_token_replayed",
        actor=session.user,
        target=session,
        request=request,
        details={"grace_seconds": refresh_grace.grace_seconds()},
    )
    return TokenPair(
        kept.access_token,
        kept.refresh_token,
        kept.access_expires_at,
        kept.refresh_expires_at,
        session,
    )


def _rotate(token: ApiToken) -> TokenPair | None:
    session = token.session
    now = timezone.now()
    if (
        session.ended_at is not None
        or token.expires_at <= now
        or session.expires_at <= now
        or not session.user.is_active
    ):
        return None
    token.rotated_at = now
    token.save(update_fields=["rotated_at"])
    _access_tokens_forget(AuthSession.objects.filter(pk=session.pk))
    ApiToken.objects.filter(session=session, kind=ApiToken.Kind.ACCESS).delete()
    AuthSession.objects.filter(pk=session.pk).update(last_seen_at=now)
    session.last_seen_at = now  # as the row now says (the new token is cached with it)
    return _issue_pair(session)


def sessions_expire(*, now: datetime.datetime | None = None) -> int:
    """Close sessions past their absolute lifetime or idle past their refresh tokens, and drop
    tokens that can no longer be used. Periodic task; keeps the token table small."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = _end(AuthSession.objects.filter(expires_at__lte=now), EndReason.EXPIRED)
        idle_api = AuthSession.objects.filter(
            kind=AuthSession.Kind.API, ended_at__isnull=True
        ).exclude(
            tokens__kind=ApiToken.Kind.REFRESH,
            tokens__rotated_at__isnull=True,
            tokens__expires_at__gt=now,
        )
        expired += _end(idle_api, EndReason.IDLE)
        ApiToken.objects.filter(kind=ApiToken.Kind.ACCESS, expires_at__lte=now).delete()
    return len(expired)
