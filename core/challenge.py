"""Proof-of-work challenges: a self-hosted CAPTCHA replacement, no third party.

After repeated failures on one account, the next attempt must carry the solution of
a challenge: a nonce such that SHA-256("<token>:<nonce>") starts with ``bits`` zero
bits. A browser solves it in a few seconds (static/js/challenge.js); a password-guessing
bot pays that for every guess. The real user is never locked out.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.core import signing
from django.core.cache import cache

_SALT = "hospital.challenge"  # unchanged since the module moved: issued tokens stay valid
CHALLENGE_MAX_AGE = 600


def _subject_digest(subject: str) -> str:
    return hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:16]


def issue(*, subject: str, bits: int) -> dict[str, Any]:
    """A fresh challenge bound to a subject (e.g. the account's email)."""
    token = signing.dumps(
        {"r": secrets.token_hex(8), "b": bits, "s": _subject_digest(subject)}, salt=_SALT
    )
    return {"token": token, "difficulty_bits": bits, "algorithm": "sha256-leading-zero-bits"}


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        bits += 8 - byte.bit_length()
        break
    return bits


def solve(token: str, bits: int) -> str:
    """What a client does (static/js/challenge.js in the browser); tests use it."""
    nonce = 0
    while leading_zero_bits(hashlib.sha256(f"{token}:{nonce}".encode()).digest()) < bits:
        nonce += 1
    return str(nonce)


def verify(*, token: str, nonce: str, subject: str, minimum_bits: int) -> bool:
    """True once per solved challenge issued for this subject within its lifetime."""
    if not token or not nonce or len(nonce) > 32:
        return False
    try:
        payload = signing.loads(token, salt=_SALT, max_age=CHALLENGE_MAX_AGE)
    except signing.BadSignature:
        return False
    if payload.get("s") != _subject_digest(subject) or int(payload.get("b", 0)) < minimum_bits:
        return False
    digest = hashlib.sha256(f"{token}:{nonce}".encode()).digest()
    if leading_zero_bits(digest) < int(payload["b"]):
        return False
    # Single use: a solved challenge cannot be replayed for more guesses.
    return bool(
        cache.add(
            f"challenge:used:{hashlib.sha256(token.encode()).hexdigest()}", 1, CHALLENGE_MAX_AGE
        )
    )
