"""Password hashing and policy (NIST SP 800-63B rev. 4: length, breached lists, no composition rules)."""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import BCryptPasswordHasher
from django.core.exceptions import ValidationError
from django.utils.crypto import constant_time_compare

DEFAULT_BREACHED_LIST = Path(__file__).resolve().parent / "data" / "breached-passwords.txt.gz"
# bcrypt only ever looked at the first 72 bytes; bcrypt >= 5 refuses longer input.
_BCRYPT_MAX_BYTES = 72


class LegacyBcryptPasswordHasher(BCryptPasswordHasher):
    """Verifies the bcrypt hashes of the system this one replaces (``bcrypt$$2b$12$...``).

    Never used for new hashes: Argon2 comes first in PASSWORD_HASHERS, so Django
    re-hashes the password with Argon2id at the first successful login.
    """

    algorithm = "bcrypt"

    def verify(self, password: str, encoded: str) -> bool:
        bcrypt = self._load_library()  # type: ignore[attr-defined]
        algorithm, data = encoded.split("$", 1)
        if algorithm != self.algorithm:
            return False
        candidate = password.encode()[:_BCRYPT_MAX_BYTES]
        try:
            computed = bcrypt.hashpw(candidate, data.encode())
        except ValueError:  # a corrupt stored hash: refuse, never crash the login
            return False
        return constant_time_compare(data.encode(), computed)

    def encode(self, password: str, salt: str) -> str:
        return super().encode(password.encode()[:_BCRYPT_MAX_BYTES].decode(errors="ignore"), salt)


@cache
def _load_breached(path: str) -> frozenset[str]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def _normalised(password: str) -> str:
    return re.sub(r"\s+", " ", password.strip().lower())


class BreachedPasswordValidator:
    """Rejects passwords found in a shipped offline list of breached passwords, and trivial
    patterns (one repeated character, a repeated listed password)."""

    def __init__(self, password_list_path: str | Path = DEFAULT_BREACHED_LIST) -> None:
        self.password_list_path = str(password_list_path)

    def validate(self, password: str, user: Any = None) -> None:
        breached = _load_breached(self.password_list_path)
        normalised = _normalised(password)
        compact = normalised.replace(" ", "")
        candidates = {normalised, compact}
        for size in range(1, len(compact) // 2 + 1):
            unit = compact[:size]
            if len(compact) % size == 0 and unit * (len(compact) // size) == compact:
                candidates.add(unit)  # "passwordpassword" repeats a breached "password"
                break
        if len(set(compact)) <= 2 or candidates & breached:
            raise ValidationError(
                "This password is too common: it appears in lists of passwords exposed in data "
                "breaches. Choose a longer phrase that is unique to you.",
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return "Your password can't be a commonly used or previously breached password."


class ContextWordsValidator:
    """Rejects passwords made mostly of words tied to this service or this user."""

    minimum_other_letters = 8

    def validate(self, password: str, user: Any = None) -> None:
        words = {"hospital", "patient", "password", "doctor", "nurse", "health", "medical"}
        words |= {
            part for part in re.split(r"[^a-z]+", settings.SITE_NAME.lower()) if len(part) >= 3
        }
        email = getattr(user, "email", "") or ""
        if email:
            local, _, domain = email.lower().partition("@")
            words |= {part for part in re.split(r"[^a-z]+", f"{local} {domain}") if len(part) >= 3}
        remainder = password.lower()
        for word in sorted(words, key=len, reverse=True):
            remainder = remainder.replace(word, "")
        if remainder == password.lower():
            return  # no context word in it
        letters = re.sub(r"[^a-z\u00c0-\uffff]", "", remainder)
        if len(letters) < self.minimum_other_letters:
            raise ValidationError(
                "This password is built from the name of this service or from your email "
                "address. Choose a phrase that has nothing to do with them.",
                code="password_context",
            )

    def get_help_text(self) -> str:
        return "Your password can't be built from this service's name or your email address."


class MaximumLengthValidator:
    """Long passphrases are welcome; an upper bound only keeps hashing cheap to refuse abuse."""

    def __init__(self, max_length: int = 256) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is too long: use at most {self.max_length} characters.",
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return f"Your password can be up to {self.max_length} characters long; spaces and any characters are allowed."
