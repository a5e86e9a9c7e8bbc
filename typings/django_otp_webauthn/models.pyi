from typing import Any, ClassVar, Self, TypeVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import _User
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django_otp.models import Device, DeviceManager, TimestampMixin
from webauthn.helpers.structs import AttestationObject, PublicKeyCredentialDescriptor

_C = TypeVar("_C", bound=AbstractWebAuthnCredential)
_A = TypeVar("_A", bound=AbstractWebAuthnAttestation)

def as_credential_descriptors(
    queryset: QuerySet[AbstractWebAuthnCredential],
) -> list[PublicKeyCredentialDescriptor]: ...

class WebAuthnAttestationManager(models.Manager[_A]): ...
class WebAuthnCredentialManager(DeviceManager[_C]): ...

class WebAuthnCredentialQuerySet(QuerySet[_C]):
    def as_credential_descriptors(self) -> list[PublicKeyCredentialDescriptor]: ...

class AbstractWebAuthnAttestation(models.Model):
    class Format(models.TextChoices):
        PACKED = "packed", "packed"
        TPM = "tpm", "tpm"
        ANDROID_KEY = "android-key", "android-key"
        ANDROID_SAFETYNET = "android-safetynet", "android-safetynet"
        FIDO_U2F = "fido-u2f", "fido-u2f"
        NONE = "none", "none"

    fmt = models.CharField(max_length=255)
    data = models.BinaryField()
    client_data_json = models.BinaryField()

    objects: ClassVar[WebAuthnAttestationManager[Self]]

    class Meta:
        abstract = True

    @cached_property
    def attestation_object(self) -> AttestationObject: ...

class AbstractWebAuthnCredential(TimestampMixin, Device):
    class CredentialType(models.TextChoices):
        PUBLIC_KEY = "public-key", "Public Key"

    credential_type = models.CharField(max_length=32)
    credential_id = models.BinaryField(max_length=1023)
    public_key = models.BinaryField(max_length=1023)
    transports = models.JSONField(default=list)
    sign_count = models.PositiveIntegerField(default=0)
    backup_eligible = models.BooleanField(default=False)
    backup_state = models.BooleanField(default=False)
    aaguid = models.CharField(max_length=36)
    credential_id_sha256 = models.CharField(max_length=64, unique=True)
    discoverable = models.BooleanField(default=None, null=True)

    # As at runtime, so the django-stubs plugin builds the manager class (with the
    # queryset's methods). Overriding Device's ClassVar this way is what mypy flags.
    objects = WebAuthnCredentialManager.from_queryset(WebAuthnCredentialQuerySet)()  # type: ignore[misc]

    class Meta:
        abstract = True

    # Looked up on cls.objects; with the default model this is a WebAuthnCredential.
    @classmethod
    def get_by_credential_id(cls, credential_id: bytes) -> Self: ...
    @classmethod
    def get_credential_id_sha256(cls, credential_id: bytes) -> str: ...
    @classmethod
    def get_credential_descriptors_for_user(
        cls, user: AbstractBaseUser
    ) -> list[PublicKeyCredentialDescriptor]: ...
    # An instance of settings.OTP_WEBAUTHN_HELPER_CLASS (import_string): dynamic.
    @classmethod
    def get_webauthn_helper(cls, request: HttpRequest) -> Any: ...

class WebAuthnCredential(AbstractWebAuthnCredential): ...

class WebAuthnAttestation(AbstractWebAuthnAttestation):
    credential = models.OneToOneField(
        "django_otp_webauthn.WebAuthnCredential",
        on_delete=models.CASCADE,
        related_name="attestation",
    )

class WebAuthnUserHandle(models.Model):
    handle_hex = models.CharField(max_length=128, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="webauthn_user_handle",
    )
    @property
    def handle(self) -> bytes: ...
    @classmethod
    def get_handle_for_user(cls, user: AbstractBaseUser) -> bytes: ...
    @classmethod
    def get_user_by_handle(cls, handle: bytes) -> _User | None: ...
    @staticmethod
    def generate_handle() -> bytes: ...
