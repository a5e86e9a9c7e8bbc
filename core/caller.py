"""Facts about the HTTP caller that several apps record (IP, user agent)."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The caller's IP, trusting X-Forwarded-For only as far as TRUSTED_PROXY_COUNT proxies."""
    candidate = request.META.get("REMOTE_ADDR", "")
    proxies: int = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= proxies:
            candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def user_agent(request: HttpRequest, *, max_length: int = 512) -> str:
    return request.headers.get("User-Agent", "")[:max_length]
