"""DRF authentication: bearer access tokens (mobile apps) and browser sessions."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import AuthSession, User
from accounts.selectors.sessions import api_access_token_authenticate
from accounts.services.sessions import session_touch


def signed_in_user(request: HttpRequest | Request) -> User:
    """The signed-in user of a page or API request that requires one.

    Pages are closed to anonymous users by LoginRequiredMiddleware and the API by
    IsAuthenticated, so reaching a view means this holds.
    """
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - guaranteed by the deny-by-default layers
    return user


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <access token>``. Tokens are opaque, short-lived and stored
    hashed; ending the session (logout, revoke, password change) invalidates them at once."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, AuthSession] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2 or len(header[1]) > 128:
            raise exceptions.AuthenticationFailed(
                _("Malformed Authorization header: expected 'Bearer <token>'.")
            )
        token = header[1].decode(errors="ignore")
        session = api_access_token_authenticate(token=token)
        if session is None:
            raise exceptions.AuthenticationFailed(
                _("The access token is invalid or has expired. Refresh it or sign in again.")
            )
        session_touch(session=session, access_token=token)
        return session.user, session

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class BrowserSessionAuthentication(authentication.SessionAuthentication):
    """Browser session (with CSRF) for the site's own pages calling the API."""


# drf-spectacular's extension base registers subclasses in an untyped __init_subclass__.
class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Access token from POST /api/v1/auth/login (or /auth/mfa, /auth/refresh).",
        }


class SessionScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "accounts.authentication.BrowserSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
