"""The language of the pages: the person's choice (User.language), else the browser's.

Django's LocaleMiddleware picks a language from the switcher's cookie or Accept-Language; for
a signed-in person this middleware then puts their saved choice first, so the pages follow
them from device to device. The API speaks the language of the client's Accept-Language.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from accounts.middleware import _session_user
from accounts.selectors.languages import page_languages


class UserLanguageMiddleware:
    """After authentication: a signed-in person's saved language wins over the browser's.
    Reads the user row the authentication middleware already has (no query)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = _session_user(request)
        chosen = getattr(user, "language", "") if user is not None else ""
        if chosen and chosen in page_languages() and chosen != translation.get_language():
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)
