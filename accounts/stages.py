"""The second-factor step of the web login, as an allauth login stage.

After the password (and a verified email), a user with a factor to sign in with (an
authenticator app, a phone or a passkey) must pass one of their factors; a staff member
without one is let in only to enrol (StaffMfaEnrolmentMiddleware).
"""

from __future__ import annotations

from allauth.account.stages import LoginStage
from django.shortcuts import redirect

from accounts.selectors.mfa import user_has_mfa


class OtpStage(LoginStage):
    key = "hospital_otp"
    urlname = "accounts:otp_verify"

    def handle(self):  # type: ignore[no-untyped-def]
        user = self.login.user
        if user is None or not user_has_mfa(user=user):
            return None, True
        return redirect("accounts:otp_verify"), True
