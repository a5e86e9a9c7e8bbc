"""Identity changes on the pages: the patient asks on their profile page; the reception (and
administrators) decide on their own page. The services decide, audit and apply the rules."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.authentication import signed_in_user
from accounts.errors import IdentityChangeAlreadyDecided, IdentityDecisionRefused
from accounts.forms import PatientProfileForm
from accounts.identity_forms import IdentityChangeRequestForm, IdentityDecisionForm
from accounts.models import PatientProfile
from accounts.permissions import can_decide_identity_changes
from accounts.selectors.profiles import (
    identity_change_request_get,
    identity_change_requests_of,
    identity_changes_to_decide,
    patient_profile_of,
)
from accounts.services.identity import (
    identity_change_approve,
    identity_change_reject,
    identity_change_request,
)


def profile_page(
    request: HttpRequest,
    *,
    profile: PatientProfile,
    form: BaseForm,
    identity_form: IdentityChangeRequestForm,
) -> HttpResponse:
    """The patient's details page: contact details to edit, identity to ask to change."""
    context: dict[str, Any] = {
        "form": form,
        "identity_form": identity_form,
        "profile": profile,
        "identity_requests": identity_change_requests_of(user=profile.user)[:10],
    }
    errors = form.errors or identity_form.errors
    return render(request, "accounts/profile_edit.html", context, status=400 if errors else 200)


@never_cache
@require_http_methods(["POST"])
def identity_change_request_create(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    profile = patient_profile_of(user=user)
    if profile is None:
        raise Http404("This account has no patient profile.")
    identity_form = IdentityChangeRequestForm(request.POST, profile=profile)
    if identity_form.is_valid():
        try:
            identity_change_request(patient=user, request=request, **identity_form.changes())
        except ValidationError as error:
            identity_form.add_error(None, error)
        else:
            messages.success(
                request,
                _("We received your request. The reception checks it before it applies."),
            )
            return redirect("accounts:profile_edit")
    return profile_page(
        request,
        profile=profile,
        form=PatientProfileForm(instance=profile),
        identity_form=identity_form,
    )


@never_cache
@require_http_methods(["GET"])
def identity_requests(request: HttpRequest) -> HttpResponse:
    """The reception's list of identity changes waiting for a decision."""
    user = signed_in_user(request)
    if not can_decide_identity_changes(user=user):
        raise PermissionDenied
    return render(
        request,
        "accounts/identity_requests.html",
        {"requests": identity_changes_to_decide(user=user), "form": IdentityDecisionForm()},
    )


@never_cache
@require_POST
def identity_request_decide(request: HttpRequest, request_id: str) -> HttpResponse:
    user = signed_in_user(request)
    change_request = identity_change_request_get(public_id=request_id)
    if change_request is None:
        raise Http404("No such identity change request.")
    form = IdentityDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("accounts:identity_requests")
    try:
        if form.cleaned_data["decision"] == "approve":
            identity_change_approve(change_request=change_request, decided_by=user, request=request)
            messages.success(request, _("Approved: the patient's record shows the new value."))
        else:
            identity_change_reject(
                change_request=change_request,
                decided_by=user,
                note=form.cleaned_data["note"],
                request=request,
            )
            messages.success(request, _("Rejected: the patient sees your note."))
    except IdentityDecisionRefused as refused:
        raise PermissionDenied(refused.message) from None
    except IdentityChangeAlreadyDecided as decided:
        messages.error(request, decided.message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("accounts:identity_requests")
