from collections.abc import Iterator
from typing import Final

from django.contrib.auth.models import AnonymousUser, _User
from django_otp.models import Device

DEVICE_ID_SESSION_KEY: Final = "otp_device_id"

# A generator at runtime; empty for anonymous users. Yields devices of every
# installed Device model, so the element type is the abstract base.
def devices_for_user(
    user: _User | AnonymousUser, confirmed: bool | None = True, for_verify: bool = False
) -> Iterator[Device]: ...
