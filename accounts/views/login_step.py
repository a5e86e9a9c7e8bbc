"""The second-factor step of the web login (allauth's login stage accounts.stages.OtpStage)."""

from __future__ import annotations

from allauth.account.stages import LoginStageController
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.errors import AccountLocked, ChallengeRequired, InvalidOtp
from accounts.forms import OtpVerifyForm
from accounts.passkeys import passkey_configuration
from accounts.selectors.mfa import Method, methods_available
from accounts.services import mfa_verification
from accounts.stages import OtpStage
from core.ratelimit import RateLimited
from core.sms import SmsDeliveryError

# The factors this page takes a code for; a passkey has its own button.
CODE_METHODS = frozenset({Method.TOTP, Method.SMS, Method.RECOVERY})


@never_cache
@login_not_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponseBase:
    stage = LoginStageController.enter(request, OtpStage.key)
    if stage is None or stage.login.user is None:
        return redirect("account_login")
    user = stage.login.user
    available = methods_available(user=user)
    methods = [m for m in available if m in CODE_METHODS]
    has_passkey = Method.PASSKEY in available
    method = (
        request.POST.get("method") or request.GET.get("method") or (methods[0] if methods else "")
    )
    if method not in methods:
        method = methods[0] if methods else ""
    form = OtpVerifyForm(request.POST or None, methods=methods, initial={"method": method})
    sms_sent = False
    if request.method == "POST" and "send_sms" in request.POST:
        try:
            sms_sent = mfa_verification.sms_challenge_send(user=user)
        except (RateLimited, SmsDeliveryError) as error:
            messages.error(
                request,
                getattr(error, "message", _("The SMS could not be sent. Use another method.")),
            )
        form = OtpVerifyForm(methods=methods, initial={"method": Method.SMS})
        method = Method.SMS
    elif request.method == "POST" and form.is_valid():
        try:
            device = mfa_verification.otp_verify(
                user=user,
                method=form.cleaned_data["method"],
                code=form.cleaned_data["code"],
                request=request,
                challenge_token=form.cleaned_data["challenge_token"],
                challenge_nonce=form.cleaned_data["challenge_nonce"],
            )
        except ChallengeRequired as error:
            form.ask_for_challenge(error)
        except (InvalidOtp, AccountLocked) as error:
            form.add_error("code", error.message)
        else:
            # Kept through Django's login (it rotates the id but keeps the data); OTPMiddleware
            # then treats the session as verified.
            request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            return stage.exit()
    return render(
        request,
        "accounts/otp_verify.html",
        {
            "form": form,
            "method": method,
            "methods": methods,
            "sms_sent": sms_sent,
            "passkey_config": passkey_configuration(request, for_login=True)
            if has_passkey
            else None,
        },
        status=400 if form.errors else 200,
    )
