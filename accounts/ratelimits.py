"""The rates that protect accounts, per IP and per account. Counted in the shared cache."""

from __future__ import annotations

from core import ratelimit
from core.ratelimit import Rate

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
