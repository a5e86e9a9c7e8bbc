"""Self-service registration: the confirmation link of a new address, sent and opened.

Sign-up itself is allauth's form (accounts.forms.PatientSignupForm), which completes the
account through accounts.services.users.patient_signup_complete.

Sign-up must not tell, by its answer or by how long it takes, whether an address already
has an account (ASVS 6.3.8): a taken address costs the same password hash as a new
account, and both emails (the new account's confirmation link, the "you already have an
account" notice) leave through Celery after the commit, never inside the request.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from allauth.account.adapter import DefaultAccountAdapter, get_adapter
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from accounts import ratelimits
from accounts.models import User
from accounts.selectors.languages import language_of
from accounts.selectors.users import user_get_by_email
from accounts.services.notices import notice_after_commit
from core.ratelimit import RateLimited


@contextmanager
def signup_answer_time() -> Iterator[None]:
    """A sign-up answers no sooner than ``SIGNUP_MINIMUM_SECONDS`` after it began (API and page).

    Both kinds of sign-up hash the password, but a new account also writes its rows (user,
    profile, address, audit): about 8 ms more than a taken address at the OWASP hashing
    parameters, measured, where the old 100 MiB hash hid it. Answering at a fixed time hides
    the difference while both stay under it."""
    started = time.monotonic()
    try:
        yield
    finally:
        remaining = settings.SIGNUP_MINIMUM_SECONDS - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)


def signup_with_taken_address(*, password: str) -> None:
    """A sign-up with an address that already has an account creates nothing, but costs
    what creating one costs: the password is hashed (and thrown away), as the new account's
    would be. The owner is told by :func:`account_exists_notice_queue`."""
    make_password(password)


def account_exists_notice_queue(*, email: str) -> None:
    """Tell the owner of ``email`` that someone tried to sign up with it, after the commit."""
    from accounts import tasks  # tasks call services: imported here, not at load

    address = EmailAddress.objects.filter(email__iexact=email.strip()).first()
    if address is None:  # an account whose address has no allauth row yet
        user = user_get_by_email(email=email)
        address = EmailAddress.objects.get_primary(user) if user is not None else None
    if address is not None:
        notice_after_commit(tasks.send_account_exists_notice, address.pk)


def account_exists_notice_deliver(*, address_id: int) -> None:
    """Send the "you already have an account" email (Celery task)."""
    address = EmailAddress.objects.filter(pk=address_id).select_related("user").first()
    if address is not None:
        # allauth's own email and links; our adapter's override only queues this task. In
        # the owner's language (a Celery task has no request to say it).
        with translation.override(language_of(address.user)):
            DefaultAccountAdapter.send_account_already_exists_mail(get_adapter(), address.email)


def signup_confirmation_queue(*, address: EmailAddress) -> None:
    """Send a new account's confirmation link after the commit (never inside the request:
    a taken address's answer does not wait for a mail server either)."""
    from accounts import tasks

    notice_after_commit(tasks.send_signup_confirmation, address.pk)


def signup_confirmation_deliver(*, address_id: int) -> None:
    """Send the confirmation link of a new account's address (Celery task), unless it was
    confirmed meanwhile."""
    address = (
        EmailAddress.objects.filter(pk=address_id, verified=False).select_related("user").first()
    )
    if address is not None:
        with translation.override(language_of(address.user)):
            DefaultAccountAdapter.send_confirmation_mail(
                get_adapter(), None, EmailConfirmationHMAC(address), True
            )


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
        raise ValidationError({"key": _("This link is invalid or has expired. Ask for a new one.")})
