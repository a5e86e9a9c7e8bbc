"""The second-factor step of the web login, as an allauth login stage.

After the password (and a verified email), a user with MFA devices must pass one of
them; a staff member without any is let in only to enrol (StaffMfaEnrolmentMiddleware).
"""

from __future__ import annotations

from allauth.account.stages import LoginStage
from django.shortcuts import redirect

from accounts.services.mfa import user_has_mfa


class OtpStage(LoginStage):
    key = "hospital_otp"
    urlname = "accounts:otp_verify"

    def handle(self):  # type: ignore[no-untyped-def]
        user = self.login.user
        if user is None or not user_has_mfa(user):
            return None, True
        return redirect("accounts:otp_verify"), True
