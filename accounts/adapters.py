"""allauth adapter: where allauth's account flows meet our services (sessions, audit, MFA stage)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailConfirmation, EmailConfirmationHMAC
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from accounts.events import SignInEmailChanged
from accounts.models import User
from accounts.selectors.mfa import method_of
from accounts.selectors.sessions import web_session_of
from accounts.services import registration, sessions
from accounts.services.auth import login_succeeded
from audit.services import record
from core.events import publish

_NOTICES_SENT_BY_NOTIFICATIONS = frozenset(
    {
        "account/email/password_changed",
        "account/email/password_set",
        "account/email/password_reset",
    }
)


def _on_the_public_site(url: str) -> str:
    """A link in an email goes to the site's public address (HOSPITAL_SITE_DOMAIN, as every
    other message's links), whichever host the request came in on or, when a task sends it,
    whatever the sites row said: one address for every link."""
    public = urlsplit(settings.HOSPITAL_PUBLIC_URL)
    parts = urlsplit(url)
    return urlunsplit((public.scheme, public.netloc, parts.path, parts.query, parts.fragment))


def _sign_in_address(user_id: int) -> str:
    return User.objects.filter(pk=user_id).values_list("email", flat=True).first() or ""


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True  # patients sign up themselves; staff are created by administrators

    def get_login_stages(self) -> list[str]:
        return [
            "allauth.account.stages.EmailVerificationStage",
            "accounts.stages.OtpStage",
        ]

    def login(self, request: HttpRequest, user: Any) -> None:
        """Django's login (rotates the session id), then track and audit the session."""
        super().login(request, user)
        device_id = request.session.get(DEVICE_ID_SESSION_KEY, "")
        device = Device.from_persistent_id(device_id, for_verify=False) if device_id else None
        sessions.web_session_start(
            request=request, user=user, mfa_device=device_id if device else ""
        )
        login_succeeded(
            request=request, user=user, mfa_method=method_of(device=device) if device else ""
        )

    def confirm_email(self, request: HttpRequest, email_address: Any) -> bool:
        """Confirm an address; when it replaces the sign-in address (ACCOUNT_CHANGE_EMAIL),
        allauth mails the old one and the owner is told in the app too."""
        sign_in_address = _sign_in_address(email_address.user_id)
        confirmed = bool(super().confirm_email(request, email_address))
        if confirmed:
            record(
                action="accounts.email_verified",
                actor=email_address.user,
                target=email_address.user,
                request=request,
                details={"primary": bool(email_address.primary)},
            )
            now_signing_in = _sign_in_address(email_address.user_id)
            if sign_in_address and now_signing_in.lower() != sign_in_address.lower():
                publish(SignInEmailChanged(user_id=email_address.user.public_id, at=timezone.now()))
        return confirmed

    def send_account_already_exists_mail(self, email: str) -> None:
        """Sign-up with a taken address: the owner is told by a Celery task after the commit,
        so the answer takes as long as a new account's (accounts.services.registration)."""
        registration.account_exists_notice_queue(email=email)

    def send_confirmation_mail(
        self,
        request: HttpRequest | None,
        emailconfirmation: EmailConfirmation | EmailConfirmationHMAC,
        signup: bool,
    ) -> None:
        """A new account's confirmation link leaves after the commit, like the notice to a
        taken address; other confirmations (an added address, a login) are sent at once."""
        if signup:
            registration.signup_confirmation_queue(address=emailconfirmation.email_address)
        else:
            super().send_confirmation_mail(request, emailconfirmation, signup)

    def get_email_confirmation_url(
        self, request: HttpRequest | None, emailconfirmation: Any
    ) -> str:
        return _on_the_public_site(super().get_email_confirmation_url(request, emailconfirmation))

    def get_reset_password_from_key_url(self, key: str) -> str:
        return _on_the_public_site(super().get_reset_password_from_key_url(key))

    def send_notification_mail(
        self, template_prefix: str, user: Any, context: Any = None, email: Any = None
    ) -> None:
        """allauth's notices, except those the notifications app sends itself from the
        account's events (in the owner's language, by email and in the app): password
        changed, set or reset."""
        if template_prefix in _NOTICES_SENT_BY_NOTIFICATIONS:
            return
        super().send_notification_mail(template_prefix, user, context=context, email=email)

    def logout(self, request: HttpRequest) -> None:
        user = request.user
        session = web_session_of(request=request)
        if session is not None and isinstance(user, User):
            sessions.session_end(
                session=session, reason=sessions.EndReason.LOGOUT, actor=user, request=request
            )
        elif isinstance(user, User):
            record(action="accounts.logout", actor=user, target=user, request=request)
        super().logout(request)
