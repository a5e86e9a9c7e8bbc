"""Models of the accounts app."""

from accounts.models.directory import Department, StaffProfile
from accounts.models.identity import IdentityChangeRequest
from accounts.models.lockout import SignInLock
from accounts.models.mfa import RecoveryCode, RecoveryCodeDevice, SmsDevice
from accounts.models.patients import PatientProfile
from accounts.models.sessions import ApiToken, AuthSession
from accounts.models.user import User, UserManager

__all__ = [
    "ApiToken",
    "AuthSession",
    "Department",
    "IdentityChangeRequest",
    "PatientProfile",
    "RecoveryCode",
    "RecoveryCodeDevice",
    "SignInLock",
    "SmsDevice",
    "StaffProfile",
    "User",
    "UserManager",
]
