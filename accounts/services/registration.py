"""Self-service registration: the confirmation link of a new address, sent and opened.

Sign-up itself is allauth's form (accounts.forms.PatientSignupForm), which completes the
account through accounts.services.users.patient_signup_complete.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accounts import ratelimits
from accounts.models import User
from core.ratelimit import RateLimited


def signup_confirmation_send(*, user: User | None, request: HttpRequest) -> None:
    """Mail the link that confirms a new account's address (the API's sign-up; the pages
    send it from allauth's login stage). ``None`` is a sign-up with an address that already
    has an account: allauth has mailed its owner instead, and nothing more is sent."""
    address = EmailAddress.objects.get_primary(user) if user is not None else None
    if address is not None:
        address.send_confirmation(request, signup=True)


def email_confirmation_send(*, address: EmailAddress, request: HttpRequest) -> None:
    """Mail the confirmation link again, at most once every three minutes per account;
    a send refused by that limit is silent (one went out moments ago)."""
    try:
        ratelimits.verification_resend_attempt(user_id=address.user_id)
    except RateLimited:
        return
    address.send_confirmation(request)


def email_verification_resend(*, email: str, request: HttpRequest) -> None:
    """Send the confirmation link again to an unverified address. Silent either way (no
    enumeration) and at most once every three minutes per address."""
    address = EmailAddress.objects.filter(email__iexact=email.strip(), verified=False).first()
    if address is not None:
        email_confirmation_send(address=address, request=request)


def email_address_confirm(*, key: str, request: HttpRequest) -> None:
    """Confirm the address whose emailed link carries ``key`` (allauth audits it through
    the account adapter)."""
    confirmation = EmailConfirmationHMAC.from_key(key)
    if confirmation is None or confirmation.confirm(request) is None:
        raise ValidationError({"key": "This link is invalid or has expired. Ask for a new one."})
