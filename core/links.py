"""Links that leave the request: the address people and other services are given."""

from __future__ import annotations

from django.conf import settings


def public_url(path: str) -> str:
    """``path`` on the configured public site (HOSPITAL_PUBLIC_URL), whatever host name the
    request came in on: a link handed to a calendar service or put in a message must work
    from the internet, not only from the address a person happened to use (an internal name,
    127.0.0.1, a load balancer's)."""
    if path.startswith(("http://", "https://")):
        return path
    return f"{settings.HOSPITAL_PUBLIC_URL}{path}"
