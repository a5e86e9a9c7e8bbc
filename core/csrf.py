"""The ``csrf_token`` of templates, masked with one call for random bytes.

Django masks the CSRF secret for every page with a new random mask (against BREACH) drawn
character by character, each from ``secrets.choice`` (a system call for random bytes per
character: ~45 us of a signed-in page, a tenth of the home page's CPU). The same mask is
drawn here from one ``os.urandom`` call, each byte kept only below the largest multiple of
62 (so every character is equally likely, as Django's), then applied as Django's
``_mask_cipher_secret`` applies it: the token is one Django's CsrfViewMiddleware accepts
(tests/core/test_csrf_token.py). A request without a secret yet (no CSRF cookie) gets
Django's own ``get_token``, which makes one.
"""

from __future__ import annotations

import os
from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.utils.functional import SimpleLazyObject

_CHARS = CSRF_ALLOWED_CHARS
_RADIX = len(_CHARS)
_INDEX = {character: index for index, character in enumerate(_CHARS)}
# The largest multiple of 62 that fits in a byte: bytes at or above it are drawn again.
_UNBIASED_BELOW = 256 - 256 % _RADIX


def _mask_indexes() -> list[int]:
    indexes: list[int] = []
    while len(indexes) < CSRF_SECRET_LENGTH:
        indexes.extend(byte % _RADIX for byte in os.urandom(48) if byte < _UNBIASED_BELOW)
    return indexes[:CSRF_SECRET_LENGTH]


def masked_secret(secret: str) -> str:
    """``secret`` (CSRF_SECRET_LENGTH characters of CSRF_ALLOWED_CHARS) under a new mask: the
    mask, then each secret character shifted by the mask's (Django's token format)."""
    mask = _mask_indexes()
    cipher = "".join(
        _CHARS[(_INDEX[character] + shift) % _RADIX]
        for character, shift in zip(secret, mask, strict=True)
    )
    return "".join(_CHARS[index] for index in mask) + cipher


def csrf_token(request: HttpRequest) -> str:
    """What Django's ``get_token`` returns: the request's CSRF secret under a new mask, the
    cookie marked to be sent again (its expiry renewed)."""
    secret = request.META.get("CSRF_COOKIE")
    if not isinstance(secret, str) or len(secret) != CSRF_SECRET_LENGTH:
        return get_token(request)
    try:
        token = masked_secret(secret)
    except KeyError:  # not a secret Django wrote: let Django decide
        return get_token(request)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    return token


def csrf(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``csrf_token`` for ``{% csrf_token %}``, made only when a template
    uses it. Listed after Django's built-in one, whose value it replaces."""
    return {"csrf_token": SimpleLazyObject(lambda: csrf_token(request))}
