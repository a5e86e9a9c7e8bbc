"""Password hashing and policy (NIST SP 800-63B rev. 4: length, breached lists, no composition rules)."""

from __future__ import annotations

import gzip
import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, BCryptPasswordHasher
from django.core.exceptions import ValidationError
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.unavailable import TemporarilyUnavailable

DEFAULT_BREACHED_LIST = Path(__file__).resolve().parent / "data" / "breached-passwords.txt.gz"
# bcrypt only ever looked at the first 72 bytes; bcrypt >= 5 refuses longer input.
_BCRYPT_MAX_BYTES = 72


_T = TypeVar("_T")


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class HashingBusy(TemporarilyUnavailable):
    """Every password-hashing slot stayed busy for PASSWORD_HASHING_WAIT seconds."""


class _HashingSlots:
    """The process's password-hashing threads: PASSWORD_HASHING_CONCURRENCY of them (by default
    one per core the process may run on), so that at most that many hashes run at once.

    A semaphore around the hash in the request's own thread would bound the CPU as well, but
    not the memory: glibc gives each thread its own malloc arena and keeps a freed 19 MiB block
    in it for reuse, so every server thread that ever hashed kept 19 MiB (measured: workers of
    10 threads at 315 MB after 64 concurrent logins, 120 MB before). On these few threads the
    blocks are reused: at most PASSWORD_HASHING_CONCURRENCY x 19 MiB per process. (Returning
    each block to the system instead, with a fixed mmap threshold, cost 11 ms of CPU per hash
    in page faults.)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self.size = 0

    def _ensure(self) -> ThreadPoolExecutor:
        size = getattr(settings, "PASSWORD_HASHING_CONCURRENCY", 0) or _cores()
        with self._lock:
            if self._executor is None or size != self.size:
                if self._executor is not None:
                    self._executor.shutdown(wait=False)
                self._executor = ThreadPoolExecutor(size, thread_name_prefix="password-hashing")
                self.size = size
            return self._executor

    def run(self, function: Callable[[], _T]) -> _T:
        """``function()`` on a hashing thread. Waits at most PASSWORD_HASHING_WAIT seconds for
        one to take it up, then raises HashingBusy (503 with Retry-After, core.unavailable)."""
        future = self._ensure().submit(function)
        wait = float(getattr(settings, "PASSWORD_HASHING_WAIT", 5))
        try:
            return future.result(timeout=wait)
        except FutureTimeout:
            if future.cancel():  # still queued: no thread was free in time
                raise HashingBusy(f"no password-hashing thread free within {wait:g} s") from None
            return future.result()  # already running: it ends within one hash


hashing_slots = _HashingSlots()


class HospitalArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with OWASP's server parameters, at most one hash per core at a time.

    OWASP's Password Storage Cheat Sheet lists equivalent Argon2id settings from 46 MiB with one
    pass to 7 MiB with five, all with parallelism 1. Ours is m=19 MiB, t=2, p=1: measured on this
    code, 19 ms of CPU per hash (46 MiB, t=1: 47 ms, for the same strength), where Django's
    default (100 MiB, t=2, p=8) took 190 ms of CPU, 330 ms of wall time and 100 MiB of memory
    for each concurrent login. Hashes made with other parameters still verify and are rewritten
    with these at the next successful login (Django's check_password: must_update).

    Verifying and hashing run on ``hashing_slots``, PASSWORD_HASHING_CONCURRENCY threads (by
    default one per core the process may run on): more hashes at once would not finish
    sooner, they would only hold more memory (19 MiB each). A login waits for its turn (argon2
    releases the GIL, so the server's other threads go on serving); the number of waiting
    ones is bounded by the server's threads (as many as database connections). If no hashing
    thread takes it up within PASSWORD_HASHING_WAIT seconds the request answers 503 with
    Retry-After (core.unavailable), never a 500: a wait that long means the process is far
    beyond its capacity, and a client told to come back later is better served than one held.
    """

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1

    def encode(self, password: str, salt: str) -> str:
        return hashing_slots.run(
            lambda: super(HospitalArgon2PasswordHasher, self).encode(password, salt)
        )

    def verify(self, password: str, encoded: str) -> bool:
        return hashing_slots.run(
            lambda: super(HospitalArgon2PasswordHasher, self).verify(password, encoded)
        )


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
            computed = hashing_slots.run(lambda: bcrypt.hashpw(candidate, data.encode()))
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
                _(
                    "This password is too common: it appears in lists of passwords exposed in "
                    "data breaches. Choose a longer phrase that is unique to you."
                ),
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return _("Your password can't be a commonly used or previously breached password.")


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
            local, _at, domain = email.lower().partition("@")
            words |= {part for part in re.split(r"[^a-z]+", f"{local} {domain}") if len(part) >= 3}
        remainder = password.lower()
        for word in sorted(words, key=len, reverse=True):
            remainder = remainder.replace(word, "")
        if remainder == password.lower():
            return  # no context word in it
        letters = re.sub(r"[^a-z\u00c0-\uffff]", "", remainder)
        if len(letters) < self.minimum_other_letters:
            raise ValidationError(
                _(
                    "This password is built from the name of this service or from your email "
                    "address. Choose a phrase that has nothing to do with them."
                ),
                code="password_context",
            )

    def get_help_text(self) -> str:
        return _("Your password can't be built from this service's name or your email address.")


class MaximumLengthValidator:
    """Long passphrases are welcome; an upper bound only keeps hashing cheap to refuse abuse."""

    def __init__(self, max_length: int = 256) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long: use at most %(max_length)d character.",
                    "This password is too long: use at most %(max_length)d characters.",
                    self.max_length,
                )
                % {"max_length": self.max_length},
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return ngettext(
            "Your password can be up to %(max_length)d character long; spaces and any "
            "characters are allowed.",
            "Your password can be up to %(max_length)d characters long; spaces and any "
            "characters are allowed.",
            self.max_length,
        ) % {"max_length": self.max_length}
