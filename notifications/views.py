"""The notifications pages: the inbox under the bell and the person's choices."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.authentication import signed_in_user
from accounts.selectors.profiles import messaging_facts_of
from notifications.errors import NotificationNotFound
from notifications.forms import PreferencesForm
from notifications.selectors import (
    categories_for,
    inbox_shown,
    notifications_of,
    preference_choices_of,
    quiet_hours_of,
    unread_count_of,
)
from notifications.services import inbox as inbox_service


@require_http_methods(["GET", "POST"])
def inbox(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "POST":
        if "read_all" in request.POST:
            inbox_service.notifications_mark_all_read(user=user)
            messages.success(request, _("All notifications are marked read."))
        else:
            try:
                inbox_service.notification_mark_read(
                    user=user,
                    notification_id=request.POST.get("read", ""),  # type: ignore[arg-type]
                )
            except (NotificationNotFound, ValidationError, ValueError):
                messages.error(request, _("That notification was not found."))
        return redirect(request.get_full_path())
    page = Paginator(notifications_of(user=user), 25).get_page(request.GET.get("page"))
    inbox_shown(page.object_list, request=request)
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": page,
            "unread_count": unread_count_of(user=user),
            "viewer_zone": messaging_facts_of(user=user).zone.key,
        },
    )


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    choices = preference_choices_of(user=user)
    quiet = quiet_hours_of(user=user)
    initial = {
        "quiet_hours_start": quiet.quiet_hours_start if quiet else None,
        "quiet_hours_end": quiet.quiet_hours_end if quiet else None,
    }
    form = PreferencesForm(request.POST or None, choices=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = inbox_service.preferences_update(
                user=user,
                enabled=form.enabled(),
                quiet_hours_start=form.cleaned_data["quiet_hours_start"],
                quiet_hours_end=form.cleaned_data["quiet_hours_end"],
                request=request,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(
                    "quiet_hours_start" if field == "quiet_hours" else None,
                    errors,
                )
        else:
            messages.success(
                request, _("Your choices are saved.") if changed else _("Nothing was changed.")
            )
            return redirect("notifications:preferences")
    rows = [
        (
            next(c.category_label for c in choices if c.category == category),
            [(form[c.field_name], c) for c in choices if c.category == category],
        )
        for category in categories_for(user=user)
    ]
    facts = messaging_facts_of(user=user)
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "rows": rows,
            "viewer_zone": facts.zone.key,
            "has_verified_phone": bool(facts.verified_phone),
        },
    )
