"""Security pages: one's second factors, setting them up, recovery codes, removal."""

from __future__ import annotations

import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from accounts.authentication import signed_in_user
from accounts.errors import MfaNotEnabled, MfaRequired
from accounts.forms import SmsConfirmForm, SmsStartForm, TotpConfirmForm
from accounts.passkeys import passkey_configuration
from accounts.selectors.mfa import (
    device_summaries,
    mfa_status_of,
    pending_totp_device,
    totp_secret,
    user_has_mfa,
)
from accounts.selectors.sessions import session_mfa_verified, web_session_of
from accounts.services import mfa
from accounts.services.sessions import session_mark_verified
from core.errors import DomainError
from core.ratelimit import RateLimited
from core.sms import SmsDeliveryError


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _recovery_codes_page(
    request: HttpRequest, codes: list[str], *, first_time: bool
) -> HttpResponse:
    """The new codes, once, with a file to download (made in the page: the codes are kept
    nowhere in plain text), print and copy."""
    user = signed_in_user(request)
    download_text = "\n".join(
        [
            # Translators: the first line of the recovery codes file, e.g. "St. Example
            # Hospital: recovery codes for mary@example.org".
            _("%(site_name)s: recovery codes for %(email)s")
            % {"site_name": settings.SITE_NAME, "email": user.email},
            _("Each code works once, when you cannot use your phone or passkey."),
            "",
            *codes,
            "",
        ]
    )
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "first_time": first_time, "download_text": download_text},
    )


@never_cache
@require_http_methods(["GET"])
def security(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    new_codes = request.session.pop("new_recovery_codes", None)  # after a first passkey
    if new_codes:
        return _recovery_codes_page(request, new_codes, first_time=True)
    mfa_status = mfa_status_of(user=user)
    return render(
        request,
        "accounts/security.html",
        {
            "devices": device_summaries(user=user),
            "has_mfa": mfa_status.has_mfa,
            "must_enrol": mfa_status.enrolment_required,
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
            "user_has_mfa": user_has_mfa(user=signed_in_user(request)),
        },
    )


def _after_new_factor(request: HttpRequest, device: Device) -> None:
    """A new factor verified with a code: a session that was not verified yet counts as
    verified from now on (and its id rotates, as at any privilege change)."""
    if session_mfa_verified(request=request):
        return
    request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    request.session.cycle_key()
    session_mark_verified(session=web_session_of(request=request), device=device, request=request)


def _refused(request: HttpRequest, error: DomainError) -> HttpResponse:
    messages.error(request, error.message)
    return redirect("accounts:security")


@never_cache
@reauthentication_required
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    verified = session_mfa_verified(request=request)
    device = pending_totp_device(user=user)
    if device is None or request.method == "GET":
        try:
            device = mfa.totp_enrolment_start(user=user, session_verified=verified, request=request)
        except MfaRequired as error:
            return _refused(request, error)
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            confirmed, codes = mfa.totp_enrolment_confirm(
                user=user,
                code=form.cleaned_data["code"],
                session_verified=verified,
                request=request,
            )
        except MfaRequired as error:
            return _refused(request, error)
        except DomainError as error:
            form.add_error("code", error.message)
        else:
            _after_new_factor(request, confirmed)
            messages.success(request, _("Your authenticator app is set up."))
            if codes:
                return _recovery_codes_page(request, codes, first_time=True)
            return redirect("accounts:security")
    secret = totp_secret(device=device)
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
    try:
        codes = mfa.recovery_codes_regenerate(
            user=signed_in_user(request),
            session_verified=session_mfa_verified(request=request),
            request=request,
        )
    except (MfaNotEnabled, MfaRequired) as error:  # no factor yet, or this session never passed it
        return _refused(request, error)
    return _recovery_codes_page(request, codes, first_time=False)


@never_cache
@reauthentication_required
@require_http_methods(["GET", "POST"])
def sms_setup(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    verified = session_mfa_verified(request=request)
    start_form = SmsStartForm(request.POST if "phone" in request.POST else None)
    confirm_form = SmsConfirmForm(request.POST if "code" in request.POST else None)
    step = "start"
    if request.method == "POST" and "phone" in request.POST and start_form.is_valid():
        try:
            mfa.sms_enrolment_start(
                user=user,
                phone=start_form.cleaned_data["phone"],
                session_verified=verified,
                request=request,
            )
        except MfaRequired as error:
            return _refused(request, error)
        except ValidationError as error:
            start_form.add_error("phone", error.messages)
        except (RateLimited, SmsDeliveryError) as error:
            start_form.add_error(
                "phone",
                getattr(error, "message", _("The SMS could not be sent. Try again later.")),
            )
        else:
            step = "confirm"
    elif request.method == "POST" and "code" in request.POST:
        step = "confirm"
        if confirm_form.is_valid():
            try:
                device = mfa.sms_enrolment_confirm(
                    user=user,
                    code=confirm_form.cleaned_data["code"],
                    session_verified=verified,
                    request=request,
                )
            except MfaRequired as error:
                return _refused(request, error)
            except DomainError as error:
                confirm_form.add_error("code", error.message)
            else:
                _after_new_factor(request, device)
                messages.success(request, _("Your phone can now receive sign-in codes."))
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
            user=signed_in_user(request),
            device_id=request.POST.get("device_id", ""),
            session_verified=session_mfa_verified(request=request),
            request=request,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The sign-in method was removed."))
    return redirect("accounts:security")
