"""The language switcher at the foot of every page."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django.views.i18n import set_language

from accounts.middleware import _session_user
from accounts.selectors.languages import page_languages
from accounts.services.users import user_language_set


def _from_another_site(request: HttpRequest) -> bool:
    """A browser says where a form was posted from (Sec-Fetch-Site, Origin): only our own
    pages may change someone's language."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("Origin")
    if origin is not None and origin != "null":
        parts = urlsplit(origin)
        return f"{parts.netloc}" != request.get_host() or parts.scheme != request.scheme
    return origin == "null"


# The form carries no token: the signed-out pages are rendered once for every visitor (no
# per-visitor token fits them), so the browser's own headers stand in for it.
@csrf_exempt
@login_not_required
@require_http_methods(["POST"])
def language(request: HttpRequest) -> HttpResponseBase | HttpResponse:
    """Remembers the choice in a cookie (anyone) and, for a signed-in person, on their
    account; then back to the page they were on (Django's set_language checks `next`)."""
    if _from_another_site(request):
        return HttpResponseForbidden("Another site cannot change your language.")
    response = set_language(request)
    chosen = request.POST.get("language", "")
    user = _session_user(request)
    if user is not None and chosen in page_languages():
        user_language_set(user=user, language=chosen)
    return response
