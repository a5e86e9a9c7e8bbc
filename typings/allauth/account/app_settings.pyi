from enum import Enum
from typing import Any

class AppSettings:
    class AuthenticationMethod(str, Enum):  # noqa: UP042 - as in allauth
        USERNAME = "username"
        EMAIL = "email"
        USERNAME_EMAIL = "username_email"

    class LoginMethod(str, Enum):  # noqa: UP042 - as in allauth
        USERNAME = "username"
        EMAIL = "email"
        PHONE = "phone"

    class EmailVerificationMethod(str, Enum):  # noqa: UP042 - as in allauth
        MANDATORY = "mandatory"
        OPTIONAL = "optional"
        NONE = "none"

    prefix: str
    def __init__(self, prefix: str) -> None: ...

# Every other ACCOUNT_* setting is a property of AppSettings reached through the
# module's __getattr__; only the enums above are stubbed.
def __getattr__(name: str) -> Any: ...
