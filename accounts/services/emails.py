"""An account's email address changed by an administrator (the owner changes theirs through
allauth's confirmed flow). The sign-in address is the key to the account, so the change is
audited, the new address must be confirmed before it signs in, and the old address is told."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.errors import AccountChangeRefused
from accounts.events import SignInEmailChanged
from accounts.models import User
from accounts.permissions import account_administration_refusal
from accounts.selectors.languages import language_of
from accounts.selectors.profiles import time_zone_of
from audit.services import Outcome, record
from core.events import publish


def account_administration_check(
    *, user: User, changed_by: User, action: str, request: HttpRequest | None = None
) -> None:
    """Refuse (audited as ``action``, denied) unless ``changed_by`` may administer ``user``'s
    account. Call it outside any transaction that the refusal rolls back."""
    reason = account_administration_refusal(actor=changed_by, user=user)
    if reason is None:
        return
    record(
        action=action,
        outcome=Outcome.DENIED,
        actor=changed_by,
        target=user,
        patient=user if user.is_patient else None,
        request=request,
    )
    raise AccountChangeRefused(reason)


def user_email_change_by_staff(
    *, user: User, email: str, changed_by: User, request: HttpRequest | None = None
) -> User:
    """Give the account a new sign-in address on its owner's behalf.

    The old addresses stop counting at once (they no longer satisfy the verified-email check
    nor receive password resets); the new one is unverified until its owner opens the link
    sent to it, so the account cannot sign in before then. The old address is told, so a
    takeover by an insider does not go unnoticed.
    """
    new_email = User.objects.normalize_email((email or "").strip())
    if new_email.lower() == user.email.lower():
        return user
    account_administration_check(
        user=user, changed_by=changed_by, action="accounts.email_change_refused", request=request
    )
    try:
        validate_email(new_email)
    except ValidationError as error:
        raise ValidationError({"email": error.messages}) from None
    if (
        User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).exists()
        or EmailAddress.objects.filter(email__iexact=new_email).exclude(user=user).exists()
    ):
        raise ValidationError({"email": _("An account with this email address already exists.")})
    with transaction.atomic():
        old_email = user.email
        user.email = new_email
        user.full_clean(exclude=["password"])
        user.save(update_fields=["email"])
        EmailAddress.objects.filter(user=user).delete()
        address = EmailAddress.objects.create(
            user=user, email=new_email.lower(), primary=True, verified=False
        )
        record(
            action="accounts.email_changed_by_staff",
            actor=changed_by,
            target=user,
            patient=user if user.is_patient else None,
            request=request,
            details={"fields": ["email"], "new_address_verified": False},
        )
        publish(SignInEmailChanged(user_id=user.public_id, at=timezone.now()))
        transaction.on_commit(lambda: address.send_confirmation(request))
        transaction.on_commit(lambda: _tell_old_address(old_email=old_email, user=user))
    return user


def _tell_old_address(*, old_email: str, user: User) -> None:
    context = {
        "user": user,
        "site_name": settings.SITE_NAME,
        "changed_at": timezone.now(),
        "viewer_zone": time_zone_of(user=user),  # times in the recipient's zone
    }
    # In the owner's language, not the language of the staff member who changed it.
    with translation.override(language_of(user)):
        subject = render_to_string("accounts/email/email_changed_by_staff_subject.txt", context)
        message = render_to_string("accounts/email/email_changed_by_staff_message.txt", context)
    send_mail(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject.strip()}",
        message=message,
        from_email=None,
        recipient_list=[old_email],
    )
