from typing import Any, ClassVar, TypedDict

from allauth.account.app_settings import AppSettings
from allauth.account.managers import EmailAddressManager, EmailConfirmationManager
from django.conf import settings
from django.contrib.auth.models import _User
from django.db import models
from django.http import HttpRequest

class EmailAddress(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    email = models.EmailField(db_index=True)
    verified = models.BooleanField(default=False)
    primary = models.BooleanField(default=False)

    objects: ClassVar[EmailAddressManager]

    def clean(self) -> None: ...
    def can_set_verified(self) -> bool: ...
    def set_verified(self, commit: bool = True) -> bool: ...
    def set_as_primary(self, conditional: bool = False) -> bool: ...
    # The model depends on ACCOUNT_EMAIL_CONFIRMATION_HMAC (HMAC by default).
    def send_confirmation(
        self, request: HttpRequest | None = None, signup: bool = False
    ) -> EmailConfirmation | EmailConfirmationHMAC: ...
    def remove(self) -> None: ...

class EmailConfirmationMixin:
    # The verified address, or None if it could not be verified (e.g. taken meanwhile).
    def confirm(self, request: HttpRequest) -> EmailAddress | None: ...
    def send(self, request: HttpRequest | None = None, signup: bool = False) -> None: ...

class EmailConfirmation(EmailConfirmationMixin, models.Model):
    email_address = models.ForeignKey(EmailAddress, on_delete=models.CASCADE)
    created = models.DateTimeField()
    sent = models.DateTimeField(null=True)
    key = models.CharField(max_length=64, unique=True)

    objects: ClassVar[EmailConfirmationManager]

    @classmethod
    def create(cls, email_address: EmailAddress) -> EmailConfirmation: ...
    @classmethod
    def from_key(cls, key: str) -> EmailConfirmation | None: ...
    def key_expired(self) -> bool: ...

class EmailConfirmationHMAC(EmailConfirmationMixin):
    email_address: EmailAddress
    def __init__(self, email_address: EmailAddress) -> None: ...
    @classmethod
    def create(cls, email_address: EmailAddress) -> EmailConfirmationHMAC: ...
    @property
    def key(self) -> str: ...
    # None when the key is bad or expired, or the address is gone or already verified.
    @classmethod
    def from_key(cls, key: str) -> EmailConfirmationHMAC | None: ...
    def key_expired(self) -> bool: ...

class _SerializedLogin(TypedDict):
    user_pk: str | None
    email_verification: AppSettings.EmailVerificationMethod
    signup: bool
    redirect_url: str | None
    email: str | None
    phone: str | None
    signal_kwargs: dict[str, Any] | None
    state: dict[str, Any]
    initiated_at: float

class Login:
    # None while allauth pretends a login to prevent account enumeration.
    user: _User | None
    email_verification: AppSettings.EmailVerificationMethod
    signal_kwargs: dict[str, Any] | None
    signup: bool
    email: str | None
    phone: str | None
    state: dict[str, Any]
    initiated_at: float
    redirect_url: str | None
    def __init__(
        self,
        user: _User | None = None,
        email_verification: AppSettings.EmailVerificationMethod | None = None,
        redirect_url: str | None = None,
        signal_kwargs: dict[str, Any] | None = None,
        signup: bool = False,
        email: str | None = None,
        state: dict[str, Any] | None = None,
        initiated_at: float | None = None,
        phone: str | None = None,
    ) -> None: ...
    def serialize(self) -> _SerializedLogin: ...
    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Login: ...

def get_emailconfirmation_model() -> type[EmailConfirmation] | type[EmailConfirmationHMAC]: ...
