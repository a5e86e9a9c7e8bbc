"""Failed sign-in attempts on one account, at the password and at the second factor.

Nobody who knows only an email can keep its owner out (issue 8; ASVS 6.1.1, 6.3.1):

1. Rate limits count per address and per account+address, never per account alone
   (accounts.ratelimits): one address gets 10 tries in 5 minutes on an account, 30 a minute
   in all; the owner, signing in from elsewhere, is not counted with the attacker.
2. Consecutive failures on the account, from any address, are counted per factor. From
   LOGIN_CHALLENGE_AFTER_FAILURES on, every attempt must carry a solved proof-of-work
   challenge (core.challenge): seconds for a person, a cost on every guess for a bot. The
   right password with a solved challenge always gets in, and a success resets the count.
3. At LOGIN_LOCK_AFTER_FAILURES (100, NIST SP 800-63B 5.2.2) consecutive failures the
   account locks: no password or code is checked until its owner opens the link emailed to
   them (single use) or resets the password. Locking and unlocking are audited. An account's
   lock is a row (SignInLock), so a cache flush cannot lift it; the failure counts live in
   the cache (a flush restarts them from zero, which costs an attacker the challenge again).

An email without an account is counted and locked the same way (it just has no owner to
email), so the answers never tell whether an account exists.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from allauth.account.adapter import get_adapter
from allauth.utils import build_absolute_uri
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts import ratelimits
from accounts.errors import AccountLocked, ChallengeRequired
from accounts.models import SignInLock, User
from accounts.selectors.languages import language_of
from accounts.selectors.users import user_get_by_email
from accounts.services.notices import notice_after_commit
from audit.services import AuditTarget, Outcome, record
from core import challenge


class Factor:
    """What an attempt tried: the password, or a second-factor code."""

    PASSWORD = "password"  # noqa: S105 - the name of a factor, not a secret
    OTP = "otp"


@dataclass(frozen=True)
class SigningIn:
    """The account an attempt is against, as far as the attempt can tell."""

    key: str  # "user:<pk>", or "email:<address>" for an email without an account
    user: User | None

    @property
    def target(self) -> User | AuditTarget:
        # The audit trail does not keep emails that have no account.
        return self.user if self.user is not None else AuditTarget("accounts.login")

    def challenge_subject(self, factor: str) -> str:
        return f"{factor}:{self.key}"


def signing_in_by_email(*, email: str) -> SigningIn:
    """The account a password attempt with this email is against."""
    user = user_get_by_email(email=email)
    if user is not None:
        return SigningIn(key=f"user:{user.pk}", user=user)
    return SigningIn(key=f"email:{email.strip().lower()}", user=None)


def signing_in_user(*, user: User) -> SigningIn:
    """The account a second-factor attempt is against (its password was right)."""
    return SigningIn(key=f"user:{user.pk}", user=user)


def _lock_key(who: SigningIn) -> str:
    return f"signin-lock:{hashlib.sha256(who.key.encode()).hexdigest()[:32]}"


def _lock_nonce(who: SigningIn) -> str | None:
    """The lock's nonce if the account is locked. Accounts: a row; emails without an
    account: the cache (there is no row to keep, and nobody to unlock it)."""
    if who.user is None:
        nonce: str | None = cache.get(_lock_key(who))
        return nonce
    return SignInLock.objects.filter(user=who.user).values_list("nonce", flat=True).first()


def _lock(who: SigningIn, *, factor: str) -> bool:
    """Lock now; False if it was locked already (a concurrent attempt got there first)."""
    nonce = secrets.token_hex(16)
    if who.user is None:
        return bool(cache.add(_lock_key(who), nonce, timeout=None))
    with transaction.atomic():
        _lock_row, created = SignInLock.objects.get_or_create(
            user=who.user, defaults={"nonce": nonce, "factor": factor}
        )
    return created


def _unlock(who: SigningIn, *, nonce: str | None = None) -> bool:
    """Lift the lock (only the one with ``nonce``, if given); False if there was none."""
    if who.user is None:
        return bool(cache.delete(_lock_key(who)))
    locks = SignInLock.objects.filter(user=who.user)
    if nonce is not None:
        locks = locks.filter(nonce=nonce)
    deleted, _by_model = locks.delete()
    return deleted > 0


def attempt_allowed(
    *,
    who: SigningIn,
    factor: str,
    request: HttpRequest | None,
    challenge_token: str = "",
    challenge_nonce: str = "",
) -> None:
    """Before a password or code is checked: a locked account is refused (ACCOUNT_LOCKED),
    and after a few failures a solved challenge is required (CHALLENGE_REQUIRED). Both
    refusals are audited."""
    refuse_if_locked(who=who, factor=factor, request=request)
    failures = ratelimits.consecutive_failures(factor=factor, account=who.key)
    if failures < settings.LOGIN_CHALLENGE_AFTER_FAILURES or challenge.verify(
        token=challenge_token,
        nonce=challenge_nonce,
        subject=who.challenge_subject(factor),
        minimum_bits=settings.LOGIN_CHALLENGE_DIFFICULTY_BITS,
    ):
        return
    record(
        action="accounts.login_challenged",
        outcome=Outcome.DENIED,
        target=who.target,
        request=request,
        details={"recent_failures": failures, "factor": factor},
    )
    raise ChallengeRequired(
        challenge=challenge.issue(
            subject=who.challenge_subject(factor), bits=settings.LOGIN_CHALLENGE_DIFFICULTY_BITS
        )
    )


def refuse_if_locked(*, who: SigningIn, factor: str, request: HttpRequest | None) -> None:
    """ACCOUNT_LOCKED (audited) while the account is locked."""
    if _lock_nonce(who) is None:
        return
    record(
        action="accounts.login_refused",
        outcome=Outcome.DENIED,
        target=who.target,
        request=request,
        details={"reason": "locked", "factor": factor},
    )
    raise AccountLocked()


def attempt_failed(*, who: SigningIn, factor: str, request: HttpRequest | None) -> None:
    """Count a wrong password or code; the one that reaches the ceiling locks the account,
    and its owner is emailed a link to unlock it."""
    failures = ratelimits.consecutive_failure_add(factor=factor, account=who.key)
    if failures < settings.LOGIN_LOCK_AFTER_FAILURES:
        return
    if not _lock(who, factor=factor):
        return  # locked already (a concurrent attempt got there first)
    record(
        action="accounts.login_locked",
        outcome=Outcome.DENIED,
        target=who.target,
        request=request,
        details={"factor": factor, "failures": failures},
    )
    if who.user is not None:
        from accounts import tasks  # tasks call services: imported here, not at load

        notice_after_commit(tasks.send_unlock_link, who.user.pk)


def attempt_succeeded(*, who: SigningIn, factor: str) -> None:
    """The right password or code: the run of failures ends."""
    ratelimits.consecutive_failures_clear(factor=factor, account=who.key)


# --- Unlocking ------------------------------------------------------------------------------

_UNLOCK_SALT = "accounts.unlock"
_INVALID_LINK = _("This link is invalid, has expired or was used already.")


def unlock_link_send(*, user_id: int) -> bool:
    """Email a locked account's owner the link that unlocks it (Celery task). False if the
    account is not locked (any more) or not active."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    nonce = _lock_nonce(signing_in_user(user=user)) if user is not None else None
    if user is None or nonce is None:
        return False
    key = signing.dumps({"u": str(user.public_id), "n": nonce}, salt=_UNLOCK_SALT)
    with translation.override(language_of(user)):
        get_adapter().send_mail(
            "account/email/account_locked",
            user.email,
            {
                "user": user,
                "unlock_url": build_absolute_uri(None, reverse("accounts:unlock", args=[key])),
                "failures": settings.LOGIN_LOCK_AFTER_FAILURES,
            },
        )
    return True


def account_unlock(*, key: str, request: HttpRequest | None) -> User:
    """Unlock with the emailed link's key: once, within LOGIN_UNLOCK_LINK_MAX_AGE, and only
    the lock it was sent for. Audited."""
    try:
        payload = signing.loads(key, salt=_UNLOCK_SALT, max_age=settings.LOGIN_UNLOCK_LINK_MAX_AGE)
    except signing.BadSignature:
        raise ValidationError({"key": _INVALID_LINK}) from None
    user = User.objects.filter(public_id=payload.get("u"), is_active=True).first()
    who = signing_in_user(user=user) if user is not None else None
    nonce = payload.get("n")
    if user is None or who is None or not isinstance(nonce, str) or not _unlock(who, nonce=nonce):
        raise ValidationError({"key": _INVALID_LINK})
    _unlocked(who=who, user=user, via="email_link", request=request)
    return user


def account_unlock_after_reset(*, user: User, request: HttpRequest | None) -> None:
    """A password reset (the owner proved the mailbox is theirs) also lifts a lock."""
    who = signing_in_user(user=user)
    if _unlock(who):
        _unlocked(who=who, user=user, via="password_reset", request=request)


def _unlocked(*, who: SigningIn, user: User, via: str, request: HttpRequest | None) -> None:
    for factor in (Factor.PASSWORD, Factor.OTP):
        ratelimits.consecutive_failures_clear(factor=factor, account=who.key)
    record(
        action="accounts.login_unlocked",
        actor=user,
        target=user,
        request=request,
        details={"via": via},
    )
