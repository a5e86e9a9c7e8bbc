"""The rates that protect accounts, per IP and per account. Counted in the shared cache."""

from __future__ import annotations

import contextlib
import math
import time

from django.conf import settings

from core import ratelimit
from core.ratelimit import Rate, RateLimited

LOGIN_PER_IP = Rate.parse("30/m")
LOGIN_PER_ACCOUNT = Rate.parse("10/5m")
LOGIN_FAILURES_PER_ACCOUNT = Rate.parse("1000/h")  # counted only, to decide on the challenge
SIGNUP_PER_IP = Rate.parse("10/h")
PASSWORD_RESET_PER_IP = Rate.parse("20/h")
PASSWORD_RESET_PER_ACCOUNT = Rate.parse("5/h")
OTP_PER_IP = Rate.parse("30/5m")
OTP_PER_ACCOUNT = Rate.parse("10/5m")
RECOVERY_CODE_PER_ACCOUNT = Rate.parse("5/15m")
SMS_SEND_PER_ACCOUNT = Rate.parse("5/h")
VERIFICATION_RESEND_PER_ACCOUNT = Rate.parse("1/3m")
REAUTHENTICATION_FAILURES_PER_ACCOUNT = Rate.parse("5/15m")


def login_attempt(*, ip: str | None, email: str) -> None:
    ratelimit.hit("login:ip", ratelimit.ip_key(ip), LOGIN_PER_IP)
    ratelimit.hit("login:account", email.strip().lower(), LOGIN_PER_ACCOUNT)


def signup_attempt(*, ip: str | None) -> None:
    ratelimit.hit("signup:ip", ratelimit.ip_key(ip), SIGNUP_PER_IP)


def password_reset_attempt(*, ip: str | None, email: str) -> None:
    ratelimit.hit("reset:ip", ratelimit.ip_key(ip), PASSWORD_RESET_PER_IP)
    ratelimit.hit("reset:account", email.strip().lower(), PASSWORD_RESET_PER_ACCOUNT)


def otp_attempt(*, ip: str | None, user_id: int, recovery: bool = False) -> None:
    ratelimit.hit("otp:ip", ratelimit.ip_key(ip), OTP_PER_IP)
    ratelimit.hit("otp:account", str(user_id), OTP_PER_ACCOUNT)
    if recovery:
        ratelimit.hit("recovery:account", str(user_id), RECOVERY_CODE_PER_ACCOUNT)


def sms_send_attempt(*, user_id: int) -> None:
    ratelimit.hit("sms:account", str(user_id), SMS_SEND_PER_ACCOUNT)


def verification_resend_attempt(*, user_id: int) -> None:
    ratelimit.hit("verify-resend", str(user_id), VERIFICATION_RESEND_PER_ACCOUNT)


def login_failure(*, email: str) -> None:
    ratelimit.hit("login:failures", email.strip().lower(), LOGIN_FAILURES_PER_ACCOUNT)


def login_failures(*, email: str) -> int:
    return ratelimit.count("login:failures", email.strip().lower(), LOGIN_FAILURES_PER_ACCOUNT)


def login_failures_reset(*, email: str) -> None:
    ratelimit.reset("login:failures", email.strip().lower(), LOGIN_FAILURES_PER_ACCOUNT)


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
