from logging import Logger
from types import TracebackType

# Turns py_webauthn's exceptions into django_otp_webauthn.exceptions.UnprocessableEntity
# (other exceptions pass through unchanged).
class rewrite_exceptions:
    logger: Logger | None
    def __init__(self, logger: Logger | None = None) -> None: ...
    def log_exception(self, exc: Exception) -> None: ...
    def __enter__(self) -> None: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None: ...
