"""Pages of the accounts app: dashboard, profile, security (MFA), sessions, the 2FA login step.

allauth serves sign-up, login, email verification, password reset/change and email change.
"""

from __future__ import annotations

import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from allauth.account.decorators import reauthentication_required
from allauth.account.stages import LoginStageController
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.errors import InvalidOtp
from accounts.forms import (
    ConfirmPasswordForm,
    OtpVerifyForm,
    PatientProfileForm,
    SmsConfirmForm,
    SmsStartForm,
    TotpConfirmForm,
)
from accounts.models import PatientProfile, User
from accounts.passkeys import passkey_configuration
from accounts.selectors import profiles
from accounts.services import mfa, sessions, users
from accounts.stages import OtpStage
from core.errors import DomainError
from core.ratelimit import RateLimited
from core.sms import SmsDeliveryError


def profile_before_edit(user: User) -> PatientProfile:
    """A fresh copy: the bound form has already written its values onto its instance."""
    return PatientProfile.objects.get(user=user)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 - login required by middleware
    return request.user


@require_http_methods(["GET"])
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "accounts/dashboard.html",
        {
            "patient_profile": profiles.patient_profile_of(user=user),
            "staff_profile": profiles.staff_profile_of(user=user),
            "has_mfa": mfa.user_has_mfa(user),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    profile = profiles.patient_profile_of(user=user)
    if profile is None:
        messages.info(
            request, "Staff details are kept by the administrators. Ask them to change them."
        )
        return redirect("accounts:dashboard")
    form = PatientProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            users.patient_profile_update(
                profile=profile_before_edit(user),
                changed_by=user,
                request=request,
                **{name: form.cleaned_data[name] for name in users.PATIENT_EDITABLE_FIELDS},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Your details were saved.")
            return redirect("accounts:dashboard")
    return render(
        request,
        "accounts/profile_edit.html",
        {"form": form, "profile": profile},
        status=400 if form.errors else 200,
    )


# --- Security: MFA devices -----------------------------------------------------------------


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@never_cache
@require_http_methods(["GET"])
def security(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    new_codes = request.session.pop("new_recovery_codes", None)  # after a first passkey
    if new_codes:
        return render(
            request, "accounts/recovery_codes.html", {"codes": new_codes, "first_time": True}
        )
    return render(
        request,
        "accounts/security.html",
        {
            "devices": mfa.device_summaries(user),
            "has_mfa": mfa.user_has_mfa(user),
            "must_enrol": user.is_staff_member and not mfa.user_has_mfa(user),
        },
    )


@never_cache
@reauthentication_required
@require_http_methods(["GET"])
def passkey_setup(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/passkey_setup.html",
        {
            "passkey_config": passkey_configuration(request, for_login=False),
            "user_has_mfa": mfa.user_has_mfa(_user(request)),
        },
    )


def _after_first_factor(request: HttpRequest, device_id: str) -> None:
    """A new factor verified with a code: this session counts as verified (and rotates)."""
    request.session[DEVICE_ID_SESSION_KEY] = device_id
    request.session.cycle_key()
    sessions.web_session_mark_verified(request=request, device_id=device_id)


@never_cache
@reauthentication_required
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    device = mfa.pending_totp_device(user=user)
    if device is None or request.method == "GET":
        device = mfa.totp_enrolment_start(user=user)
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            confirmed, codes = mfa.totp_enrolment_confirm(
                user=user, code=form.cleaned_data["code"], request=request
            )
        except DomainError as error:
            form.add_error("code", error.message)
        else:
            _after_first_factor(request, confirmed.persistent_id)
            messages.success(request, "Your authenticator app is set up.")
            if codes:
                return render(
                    request, "accounts/recovery_codes.html", {"codes": codes, "first_time": True}
                )
            return redirect("accounts:security")
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "qr_code": _qr_svg(device.config_url),
        "secret": secret,
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
    }
    return render(request, "accounts/totp_setup.html", context, status=400 if form.errors else 200)


@never_cache
@reauthentication_required
@require_POST
def recovery_codes_regenerate(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not mfa.user_has_mfa(user):
        messages.error(request, "Set up an authenticator app or a phone first.")
        return redirect("accounts:security")
    codes = mfa.recovery_codes_generate(user=user, request=request)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "first_time": False})


@never_cache
@reauthentication_required
@require_http_methods(["GET", "POST"])
def sms_setup(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    start_form = SmsStartForm(request.POST if "phone" in request.POST else None)
    confirm_form = SmsConfirmForm(request.POST if "code" in request.POST else None)
    step = "start"
    if request.method == "POST" and "phone" in request.POST and start_form.is_valid():
        try:
            mfa.sms_enrolment_start(
                user=user, phone=start_form.cleaned_data["phone"], request=request
            )
        except ValidationError as error:
            start_form.add_error("phone", error.messages)
        except (RateLimited, SmsDeliveryError) as error:
            start_form.add_error(
                "phone", getattr(error, "message", "The SMS could not be sent. Try again later.")
            )
        else:
            step = "confirm"
    elif request.method == "POST" and "code" in request.POST:
        step = "confirm"
        if confirm_form.is_valid():
            try:
                device = mfa.sms_enrolment_confirm(
                    user=user, code=confirm_form.cleaned_data["code"], request=request
                )
            except DomainError as error:
                confirm_form.add_error("code", error.message)
            else:
                _after_first_factor(request, device.persistent_id)
                messages.success(request, "Your phone can now receive sign-in codes.")
                return redirect("accounts:security")
    has_errors = bool(start_form.errors or confirm_form.errors)
    return render(
        request,
        "accounts/sms_setup.html",
        {"start_form": start_form, "confirm_form": confirm_form, "step": step},
        status=400 if has_errors else 200,
    )


@never_cache
@reauthentication_required
@require_POST
def device_remove(request: HttpRequest) -> HttpResponse:
    try:
        mfa.device_remove(
            user=_user(request), device_id=request.POST.get("device_id", ""), request=request
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The sign-in method was removed.")
    return redirect("accounts:security")


# --- Sessions ---------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET"])
def session_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    current = sessions.web_session_of(request)
    return render(
        request,
        "accounts/sessions.html",
        {"sessions": sessions.sessions_active_for(user=user), "current": current},
    )


@require_POST
def session_revoke(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    current = sessions.web_session_of(request)
    target = request.POST.get("session_id", "")
    if request.POST.get("scope") == "others":
        count = sessions.sessions_end_others(
            user=user, keep=current, reason=sessions.EndReason.REVOKED, request=request
        )
        messages.success(request, f"Signed out {count} other session{'s' if count != 1 else ''}.")
        return redirect("accounts:sessions")
    try:
        sessions.session_revoke(user=user, session_public_id=target, request=request)
    except (DomainError, ValidationError):
        messages.error(request, "That session does not exist or has already ended.")
        return redirect("accounts:sessions")
    if current is not None and str(current.public_id) == target:
        logout(request)
        return redirect("home")
    messages.success(request, "The session was signed out.")
    return redirect("accounts:sessions")


@never_cache
@require_http_methods(["GET", "POST"])
def deactivate(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ConfirmPasswordForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        users.user_deactivate(user=user, deactivated_by=user, request=request)
        logout(request)
        messages.success(
            request, "Your account was deactivated. Contact the hospital to reopen it."
        )
        return redirect("home")
    return render(
        request, "accounts/deactivate.html", {"form": form}, status=400 if form.errors else 200
    )


# --- The second-factor step of the login --------------------------------------------------


METHOD_LABELS = {
    mfa.Method.TOTP: "Authenticator app",
    mfa.Method.SMS: "Text message",
    mfa.Method.RECOVERY: "Recovery code",
}


@never_cache
@login_not_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponseBase:
    stage = LoginStageController.enter(request, OtpStage.key)
    if stage is None or stage.login.user is None:
        return redirect("account_login")
    user = stage.login.user
    available = mfa.methods_available(user)
    methods = [m for m in available if m in METHOD_LABELS]
    has_passkey = mfa.Method.PASSKEY in available
    method = (
        request.POST.get("method") or request.GET.get("method") or (methods[0] if methods else "")
    )
    if method not in methods:
        method = methods[0] if methods else ""
    form = OtpVerifyForm(request.POST or None, methods=methods, initial={"method": method})
    sms_sent = False
    if request.method == "POST" and "send_sms" in request.POST:
        try:
            sms_sent = mfa.sms_challenge_send(user=user)
        except (RateLimited, SmsDeliveryError) as error:
            messages.error(
                request, getattr(error, "message", "The SMS could not be sent. Use another method.")
            )
        form = OtpVerifyForm(methods=methods, initial={"method": mfa.Method.SMS})
        method = mfa.Method.SMS
    elif request.method == "POST" and form.is_valid():
        try:
            device = mfa.otp_verify(
                user=user,
                method=form.cleaned_data["method"],
                code=form.cleaned_data["code"],
                request=request,
            )
        except InvalidOtp as error:
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
