"""Passkeys (WebAuthn) as a second factor, on django-otp-webauthn's credential device.

Registration uses the package's ceremony with our audit and recovery-code rules; the
login step uses its authentication ceremony for the user waiting in our OTP stage
(the package alone only knows signed-in users or passwordless login, which we keep off).
"""

from __future__ import annotations

from typing import Any

from allauth.account.decorators import reauthentication_required
from allauth.account.stages import LoginStageController
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from accounts import ratelimits
from accounts.events import FactorAdded
from accounts.models import User
from accounts.selectors.mfa import Method, device_public_id, user_has_mfa
from accounts.selectors.sessions import web_session_of
from accounts.services import mfa, sessions
from accounts.stages import OtpStage
from audit.services import record
from core.caller import client_ip
from core.events import publish


def passkey_configuration(request: HttpRequest, *, for_login: bool) -> dict[str, Any]:
    """What otp_webauthn's scripts read from the page (json_script, so no inline code)."""
    from django.middleware import csrf

    return {
        "autocompleteLoginFieldSelector": None,
        "nextFieldSelector": "input[name='next']",
        "csrfToken": csrf.get_token(request),
        "beginAuthenticationUrl": reverse("accounts:passkey_login_begin") if for_login else "",
        "completeAuthenticationUrl": reverse("accounts:passkey_login_complete")
        if for_login
        else "",
        "beginRegistrationUrl": reverse("accounts:passkey_register_begin"),
        "completeRegistrationUrl": reverse("accounts:passkey_register_complete"),
    }


class _StageUserMixin:
    """The user is the one waiting in the login's second-factor step, not a signed-in one."""

    request: HttpRequest

    def get_user(self) -> User | None:
        self.stage = LoginStageController.enter(self.request, OtpStage.key)
        user = self.stage.login.user if self.stage is not None else None
        return user if isinstance(user, User) and user.is_active else None


@method_decorator([never_cache, login_not_required], name="dispatch")
class PasskeyLoginBeginView(_StageUserMixin, BeginCredentialAuthenticationView):
    def post(self, *args: Any, **kwargs: Any) -> Any:
        user = self.get_user()
        if user is not None:
            ratelimits.otp_attempt(ip=client_ip(self.request), user_id=user.pk)
        return super().post(*args, **kwargs)


@method_decorator([never_cache, login_not_required], name="dispatch")
class PasskeyLoginCompleteView(_StageUserMixin, CompleteCredentialAuthenticationView):
    def complete_auth(self, device: Any) -> None:
        # Kept through Django's login, like a TOTP code; OTPMiddleware then trusts it.
        self.request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        record(
            action="accounts.mfa_verified",
            actor=device.user,
            target=device.user,
            request=self.request,
            details={"method": Method.PASSKEY},
        )
        stage = self.stage
        assert stage is not None  # noqa: S101 - get_user found the user waiting in it
        self.finished = stage.exit()

    def get_success_data(self, device: Any) -> dict[str, Any]:
        # The login's next step is a redirect: where the page's script goes next.
        # The page's script only checks that an id came back: never the database key.
        return {"id": device_public_id(device=device), "redirect_url": self.finished["Location"]}


# Adding a factor needs a recent password, like on the other setup pages.
@method_decorator([never_cache, reauthentication_required], name="dispatch")
class PasskeyRegisterBeginView(BeginCredentialRegistrationView):
    """Staff who have not enrolled yet may add a passkey as their first factor."""


@method_decorator([never_cache, reauthentication_required], name="dispatch")
class PasskeyRegisterCompleteView(CompleteCredentialRegistrationView):
    def post(self, *args: Any, **kwargs: Any) -> Any:
        user = self.request.user
        had_mfa = isinstance(user, User) and user_has_mfa(user=user)
        response = super().post(*args, **kwargs)
        if isinstance(user, User):
            record(
                action="accounts.mfa_enrolled",
                actor=user,
                target=user,
                request=self.request,
                details={"method": Method.PASSKEY},
            )
            publish(FactorAdded(user_id=user.public_id, at=timezone.now(), method=Method.PASSKEY))
            device_id = self.request.session.get(DEVICE_ID_SESSION_KEY, "")
            device = Device.from_persistent_id(device_id, for_verify=False) if device_id else None
            if device is not None:
                sessions.session_mark_verified(
                    session=web_session_of(request=self.request),
                    device=device,
                    request=self.request,
                )
            if not had_mfa:
                # First factor: recovery codes come with it; shown on the security page.
                self.request.session["new_recovery_codes"] = mfa.recovery_codes_generate(
                    user=user, request=self.request
                )
            if device is not None and response.status_code == 200:
                # The library answers {"id": <database key>}: name the device publicly.
                return JsonResponse({"id": device_public_id(device=device)})
        return response
