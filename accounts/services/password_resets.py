"""Password resets sent by an administrator: nobody chooses another person's password (ASVS
6.4.6); the owner gets allauth's reset link and chooses their own."""

from __future__ import annotations

from allauth.account.forms import ResetPasswordForm
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.errors import AccountChangeRefused
from accounts.models import User
from accounts.services.emails import account_administration_check
from audit.services import Outcome, record


def user_password_reset_send(
    *, user: User, sent_by: User, request: HttpRequest, new_account: bool = False
) -> None:
    """Email the account's owner a link to choose a new password (the current one keeps
    working until they do). Audited; refused for accounts ``sent_by`` may not administer."""
    account_administration_check(
        user=user, changed_by=sent_by, action="accounts.password_reset_refused", request=request
    )
    if not user.is_active:
        raise AccountChangeRefused(_("This account is deactivated: reactivate it first."))
    record(
        action="accounts.password_reset_sent",
        actor=sent_by,
        target=user,
        patient=user if user.is_patient else None,
        request=request,
        details={"new_account": new_account},
    )
    transaction.on_commit(lambda: _send(email=user.email, request=request))


def password_choose_link_send(*, user: User, sent_by: User, request: HttpRequest) -> None:
    """A new patient registered at the front desk chooses their password from an emailed
    link (allauth's reset link). Audited as a reset of a new account. Written in the caller's
    transaction: the mail queue (notifications.mail) stores the email with the account and
    sends it after the commit, so neither exists without the other."""
    record(
        action="accounts.password_reset_sent",
        actor=sent_by,
        target=user,
        patient=user,
        request=request,
        details={"new_account": True},
    )
    _send(email=user.email, request=request)


def _send(*, email: str, request: HttpRequest) -> None:
    form = ResetPasswordForm(data={"email": email})
    if form.is_valid():  # allauth's own form: its token, its link, its email
        form.save(request)


def password_set_refused(*, user: User, attempted_by: User, request: HttpRequest) -> None:
    """Audit an attempt to set another person's password (the admin has no such page)."""
    record(
        action="accounts.password_set_refused",
        outcome=Outcome.DENIED,
        actor=attempted_by,
        target=user,
        patient=user if user.is_patient else None,
        request=request,
    )
