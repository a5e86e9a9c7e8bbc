"""The message a page shows when a service refuses."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from core.errors import DomainError


def refusal_notice(request: HttpRequest, error: DomainError | ValidationError) -> None:
    """Show why the service refused, on the next page."""
    if isinstance(error, ValidationError):
        messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, error.message)
