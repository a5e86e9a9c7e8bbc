"""Domain events of the accounts app: what happened to an account's security, published
through the outbox (core.events) so that its owner is told (notifications) without accounts
knowing who listens. Ids, times and constants only."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class AccountSecurityEvent:
    user_id: uuid.UUID
    at: datetime.datetime


@dataclass(frozen=True)
class NewDeviceSignedIn(AccountSecurityEvent):
    """A sign-in from a browser or app the account had not used before."""

    session_id: uuid.UUID


@dataclass(frozen=True)
class PasswordChanged(AccountSecurityEvent):
    reset: bool  # chosen from an emailed reset link


@dataclass(frozen=True)
class SignInEmailChanged(AccountSecurityEvent):
    """The address the account signs in with changed (the old address is told by email
    when the change is made, while it is still known)."""


@dataclass(frozen=True)
class FactorAdded(AccountSecurityEvent):
    method: str  # accounts.selectors.mfa.Method


@dataclass(frozen=True)
class FactorRemoved(AccountSecurityEvent):
    method: str


@dataclass(frozen=True)
class RecoveryCodeUsed(AccountSecurityEvent):
    pass


@dataclass(frozen=True)
class AccountDeactivated(AccountSecurityEvent):
    pass
