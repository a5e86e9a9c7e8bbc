"""Pages of one's own account: the dashboard, the patient profile, deactivation."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.authentication import signed_in_user
from accounts.forms import AppearanceForm, ConfirmPasswordForm, PatientProfileForm
from accounts.identity_forms import IdentityChangeRequestForm
from accounts.permissions import can_decide_identity_changes
from accounts.selectors.mfa import mfa_status_of
from accounts.selectors.profiles import patient_profile_of, staff_profile_of
from accounts.services.profiles import PATIENT_EDITABLE_FIELDS, patient_profile_update
from accounts.services.users import user_deactivate, user_theme_set
from accounts.views.identity import profile_page


@require_http_methods(["POST"])
def appearance(request: HttpRequest) -> HttpResponse:
    """Light, dark or the device's: saved for the person, on every page and device."""
    user = signed_in_user(request)
    form = AppearanceForm(request.POST)
    if form.is_valid():
        user_theme_set(user=user, theme=form.cleaned_data["theme"])
        messages.success(request, _("Appearance saved."))
    else:
        messages.error(request, _("Choose light, dark or your device's setting."))
    return redirect("accounts:dashboard")


@require_http_methods(["GET"])
def dashboard(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    mfa_status = mfa_status_of(user=user)
    return render(
        request,
        "accounts/dashboard.html",
        {
            "patient_profile": patient_profile_of(user=user),
            "staff_profile": staff_profile_of(user=user),
            "has_mfa": mfa_status.has_mfa,
            "must_enrol": mfa_status.enrolment_required,
            "decides_identity_changes": can_decide_identity_changes(user=user),
            "appearance_form": AppearanceForm(initial={"theme": user.theme}),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    profile = patient_profile_of(user=user)
    if profile is None:
        messages.info(
            request, _("Staff details are kept by the administrators. Ask them to change them.")
        )
        return redirect("accounts:dashboard")
    # The bound form writes the posted values onto its instance; the service compares the
    # changes with the profile as it was.
    before_edit = copy.copy(profile)
    form = PatientProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            patient_profile_update(
                profile=before_edit,
                changed_by=user,
                request=request,
                **{name: form.cleaned_data[name] for name in PATIENT_EDITABLE_FIELDS},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your details were saved."))
            return redirect("accounts:dashboard")
    return profile_page(
        request,
        profile=before_edit,
        form=form,
        identity_form=IdentityChangeRequestForm(profile=before_edit),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def deactivate(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = ConfirmPasswordForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        user_deactivate(user=user, deactivated_by=user, request=request)
        logout(request)
        messages.success(
            request, _("Your account was deactivated. Contact the hospital to reopen it.")
        )
        return redirect("home")
    return render(
        request, "accounts/deactivate.html", {"form": form}, status=400 if form.errors else 200
    )
