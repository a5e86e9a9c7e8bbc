"""The rates that protect accounts, counted in the shared cache.

Sign-in and second-factor attempts are limited per address and per account *and* address,
never per account alone: an attacker who knows an email cannot use up its owner's
attempts. Failures on an account from anywhere are counted apart (consecutive failures,
below) and lead to the proof-of-work challenge, then to a lock the owner can lift
(accounts.services.lockout).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache

from core import ratelimit
from core.ratelimit import Rate, RateLimited

LOGIN_PER_IP = Rate.parse("30/m")
LOGIN_PER_ACCOUNT_AND_IP = Rate.parse("10/5m")
SIGNUP_PER_IP = Rate.parse("10/h")
PASSWORD_RESET_PER_IP = Rate.parse("20/h")
PASSWORD_RESET_PER_ACCOUNT = Rate.parse("5/h")
OTP_PER_IP = Rate.parse("30/5m")
OTP_PER_ACCOUNT_AND_IP = Rate.parse("10/5m")
RECOVERY_CODE_PER_ACCOUNT_AND_IP = Rate.parse("5/15m")
SMS_SEND_PER_ACCOUNT = Rate.parse("5/h")
VERIFICATION_RESEND_PER_ACCOUNT = Rate.parse("1/3m")
REAUTHENTICATION_FAILURES_PER_ACCOUNT = Rate.parse("5/15m")


def _account_and_ip(account: str, ip: str | None) -> str:
    return f"{account.strip().lower()}|{ratelimit.ip_key(ip)}"


def login_attempt(*, ip: str | None, email: str) -> None:
    ratelimit.hit("login:ip", ratelimit.ip_key(ip), LOGIN_PER_IP)
    ratelimit.hit("login:account-ip", _account_and_ip(email, ip), LOGIN_PER_ACCOUNT_AND_IP)


def signup_attempt(*, ip: str | None) -> None:
    ratelimit.hit("signup:ip", ratelimit.ip_key(ip), SIGNUP_PER_IP)


def password_reset_attempt(*, ip: str | None, email: str) -> None:
    ratelimit.hit("reset:ip", ratelimit.ip_key(ip), PASSWORD_RESET_PER_IP)
    ratelimit.hit("reset:account", email.strip().lower(), PASSWORD_RESET_PER_ACCOUNT)


def otp_attempt(*, ip: str | None, user_id: int, recovery: bool = False) -> None:
    ratelimit.hit("otp:ip", ratelimit.ip_key(ip), OTP_PER_IP)
    ratelimit.hit("otp:account-ip", _account_and_ip(str(user_id), ip), OTP_PER_ACCOUNT_AND_IP)
    if recovery:
        ratelimit.hit(
            "recovery:account-ip",
            _account_and_ip(str(user_id), ip),
            RECOVERY_CODE_PER_ACCOUNT_AND_IP,
        )


def sms_send_attempt(*, user_id: int) -> None:
    ratelimit.hit("sms:account", str(user_id), SMS_SEND_PER_ACCOUNT)


def verification_resend_attempt(*, user_id: int) -> None:
    ratelimit.hit("verify-resend", str(user_id), VERIFICATION_RESEND_PER_ACCOUNT)


# --- Consecutive failures on one account ----------------------------------------------------
# Not a window: the run of failures since the account's last success, kept (in the shared
# cache) for LOGIN_FAILURE_MEMORY after the latest failure. ``account`` names the account
# (accounts.services.lockout); keys hold a digest, never an email.


def _failures_key(factor: str, account: str) -> str:
    return f"failures:{factor}:{hashlib.sha256(account.encode()).hexdigest()[:32]}"


def consecutive_failures(*, factor: str, account: str) -> int:
    """Failures of this factor on the account since its last success."""
    return int(cache.get(_failures_key(factor, account), 0))


def consecutive_failure_add(*, factor: str, account: str) -> int:
    """Count one more failure; returns the new count."""
    key, memory = _failures_key(factor, account), settings.LOGIN_FAILURE_MEMORY
    cache.add(key, 0, timeout=memory)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=memory)
        count = 1
    cache.touch(key, timeout=memory)
    return int(count)


def consecutive_failures_clear(*, factor: str, account: str) -> None:
    cache.delete(_failures_key(factor, account))


def _refuse_when_reached(scope: str, subject: str, rate: Rate) -> None:
    """Refuse (429 until the window ends) once ``rate.limit`` hits are counted, without
    counting this one: for limits on failures, checked before the attempt."""
    if settings.RATE_LIMITS_ENABLED and ratelimit.count(scope, subject, rate) >= rate.limit:
        now = time.time()
        raise RateLimited(retry_after=math.ceil((int(now // rate.period) + 1) * rate.period - now))


def _count_failure(scope: str, subject: str, rate: Rate) -> None:
    # Counted only: the refusal is _refuse_when_reached's, before the next attempt.
    with contextlib.suppress(RateLimited):
        ratelimit.hit(scope, subject, rate)


def reauthentication_attempt(*, user_id: int) -> None:
    """Re-entering the password: refused after too many wrong ones on the account."""
    _refuse_when_reached("reauth:failures", str(user_id), REAUTHENTICATION_FAILURES_PER_ACCOUNT)


def reauthentication_failed(*, user_id: int) -> None:
    _count_failure("reauth:failures", str(user_id), REAUTHENTICATION_FAILURES_PER_ACCOUNT)
