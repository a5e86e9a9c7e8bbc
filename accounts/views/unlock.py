"""The page behind the link a locked account's owner is emailed (accounts.services.lockout).
Opening the link shows a button; only the POST unlocks, so mail scanners that fetch links
do not spend it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.services.lockout import account_unlock


@never_cache
@login_not_required
@require_http_methods(["GET", "POST"])
def unlock(request: HttpRequest, key: str) -> HttpResponse:
    if request.method == "POST":
        try:
            account_unlock(key=key, request=request)
        except ValidationError as error:
            message = " ".join(error.message_dict.get("key", error.messages))
            return render(request, "accounts/unlock.html", {"error": message}, status=400)
        messages.success(request, _("Your account is unlocked. You can sign in again."))
        return redirect(settings.LOGIN_URL)
    return render(request, "accounts/unlock.html")
