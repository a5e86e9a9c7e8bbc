from typing import Any, ClassVar, Self, TypeVar

from django.conf import settings
from django.contrib.auth.models import _User
from django.db import models
from django.db.models import QuerySet
from django.utils.functional import cached_property

_D = TypeVar("_D", bound=Device)

class DeviceManager(models.Manager[_D]):
    def devices_for_user(self, user: _User, confirmed: bool | None = None) -> QuerySet[_D]: ...

class Device(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=64)
    confirmed = models.BooleanField(default=True)

    objects: ClassVar[DeviceManager[Self]]

    class Meta:
        abstract = True

    @property
    def persistent_id(self) -> str: ...
    @classmethod
    def model_label(cls) -> str: ...
    # Looks the model up by the label in the id: any Device subclass, not cls.
    @classmethod
    def from_persistent_id(cls, persistent_id: str, for_verify: bool = False) -> Device | None: ...
    @classmethod
    async def afrom_persistent_id(
        cls, persistent_id: str, for_verify: bool = False
    ) -> Device | None: ...
    def is_interactive(self) -> bool: ...
    # (allowed, extra data such as {"reason": ..., "failure_count": ...} when not allowed)
    def generate_is_allowed(self) -> tuple[bool, dict[str, Any] | None]: ...
    def generate_challenge(self) -> str | None: ...
    def verify_is_allowed(self) -> tuple[bool, dict[str, Any] | None]: ...
    def verify_token(self, token: str) -> bool: ...

class SideChannelDevice(Device):
    token = models.CharField(max_length=16, blank=True, null=True)  # noqa: DJ001 - as in django-otp
    valid_until = models.DateTimeField()

    class Meta:
        abstract = True

    def generate_token(
        self, length: int = 6, valid_secs: int = 300, commit: bool = True
    ) -> None: ...
    def verify_token(self, token: str) -> bool: ...

class ThrottlingMixin(models.Model):
    throttling_failure_timestamp = models.DateTimeField(null=True, blank=True, default=None)
    throttling_failure_count = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def verify_is_allowed(self) -> tuple[bool, dict[str, Any] | None]: ...
    def throttle_reset(self, commit: bool = True) -> None: ...
    def throttle_increment(self, commit: bool = True) -> None: ...
    @cached_property
    def throttling_enabled(self) -> bool: ...
    def get_throttle_factor(self) -> int: ...

class TimestampMixin(models.Model):
    created_at = models.DateTimeField(null=True, blank=True, auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def set_last_used_timestamp(self, commit: bool = True) -> None: ...
