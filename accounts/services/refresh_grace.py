"""The refresh grace window: the same refresh token presented again within a few seconds
gets the same new pair instead of ending the session.

Mobile apps refresh from several requests at once when they resume; with strict rotation the
second refresh looked like a stolen token and signed the user out. As Auth0 ("rotation
overlap period") and Okta ("grace period for token rotation") do, the pair issued for a
refresh token is kept for ``API_REFRESH_GRACE_SECONDS`` and handed out again for that token.

Where it is kept: in the cache (Redis in production, shared by every process), under a name
derived from the old refresh token and encrypted (AES-256-GCM) with a key derived from it
(HKDF-SHA256, different labels for name and key). The server never stores the old token
itself, only its SHA-256 digest in the database, so whoever reads the cache, or the cache and
the database, learns nothing usable: decrypting needs the token the client presented. An
entry lives only for the window. Outside the window, or once the new pair has been used to
refresh again, presenting the old token is reuse and ends the session (sessions.py).
"""

from __future__ import annotations

import base64
import datetime
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.cache import cache

_NAME_LABEL = b"hospital.refresh-grace.name"
_KEY_LABEL = b"hospital.refresh-grace.key"


@dataclass(frozen=True)
class GracePair:
    """The pair issued for an old refresh token, as the client first received it."""

    session_id: int
    access_token: str
    refresh_token: str
    access_expires_at: datetime.datetime
    refresh_expires_at: datetime.datetime


def grace_seconds() -> int:
    return int(settings.API_REFRESH_GRACE_SECONDS)


def _derive(refresh_token: str, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(
        refresh_token.encode()
    )


def _cache_key(refresh_token: str) -> str:
    return "refresh-grace:" + _derive(refresh_token, _NAME_LABEL).hex()


def grace_pair_keep(*, old_refresh_token: str, pair: GracePair) -> None:
    """Keep the pair issued for ``old_refresh_token`` for the grace window (if there is one)."""
    seconds = grace_seconds()
    if seconds <= 0:
        return
    plain = json.dumps(
        {
            "session_id": pair.session_id,
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
            "access_expires_at": pair.access_expires_at.isoformat(),
            "refresh_expires_at": pair.refresh_expires_at.isoformat(),
        }
    ).encode()
    name = _cache_key(old_refresh_token)
    nonce = os.urandom(12)
    sealed = AESGCM(_derive(old_refresh_token, _KEY_LABEL)).encrypt(nonce, plain, name.encode())
    cache.set(name, base64.b64encode(nonce + sealed).decode(), timeout=seconds)


def grace_pair_of(*, old_refresh_token: str) -> GracePair | None:
    """The pair kept for ``old_refresh_token``, or None (window over, or nothing kept)."""
    name = _cache_key(old_refresh_token)
    stored = cache.get(name)
    if not isinstance(stored, str):
        return None
    try:
        raw = base64.b64decode(stored)
        plain = AESGCM(_derive(old_refresh_token, _KEY_LABEL)).decrypt(
            raw[:12], raw[12:], name.encode()
        )
        fields: dict[str, Any] = json.loads(plain)
        return GracePair(
            session_id=int(fields["session_id"]),
            access_token=str(fields["access_token"]),
            refresh_token=str(fields["refresh_token"]),
            access_expires_at=datetime.datetime.fromisoformat(fields["access_expires_at"]),
            refresh_expires_at=datetime.datetime.fromisoformat(fields["refresh_expires_at"]),
        )
    except (InvalidTag, ValueError, KeyError, TypeError):
        return None


def grace_pair_forget(*, old_refresh_token: str) -> None:
    cache.delete(_cache_key(old_refresh_token))
