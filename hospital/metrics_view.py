"""/metrics: Prometheus exposition (core.metrics), for a scraper, not for people.

Who may read it (hospital/settings/metrics.py):
- ``METRICS_TOKEN`` set: a caller presenting ``Authorization: Bearer <token>`` (compared in
  constant time); anyone else gets 401.
- no token, production: 404, as if the endpoint did not exist.
- no token, development: loopback callers that came through no proxy; others get 404.
No session, user or database is needed to answer (the view is exempt from sign-in).
"""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.metrics import exposition


@login_not_required
@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    token: str = settings.METRICS_TOKEN
    if token:
        if not _bearer_matches(request, token):
            response = HttpResponse("A bearer token is required.\n", status=401)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    elif not (settings.METRICS_ALLOW_LOOPBACK and _from_loopback(request)):
        raise Http404
    body, content_type = exposition(accept=request.headers.get("Accept", ""))
    return HttpResponse(body, content_type=content_type)


def _bearer_matches(request: HttpRequest, token: str) -> bool:
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        presented.strip().encode(), token.encode()
    )


def _from_loopback(request: HttpRequest) -> bool:
    """A caller on this machine, directly: a local proxy forwarding someone else's request
    would also connect from loopback, so a forwarded request does not count."""
    if "HTTP_X_FORWARDED_FOR" in request.META or "HTTP_FORWARDED" in request.META:
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False
