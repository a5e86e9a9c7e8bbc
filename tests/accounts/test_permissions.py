"""Who may do what, as a table; and deny by default: no page or endpoint opens without a rule."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from tests.conftest import login_verified
from tests.factories import PatientProfileFactory, StaffProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"


def _client_for(role: str):
    client = APIClient()
    if role == ANONYMOUS:
        return client
    if role == "patient":
        user = PatientProfileFactory.create().user
        client.force_login(user)
    elif role == "doctor_without_mfa":
        user = StaffProfileFactory.create(user__role="doctor").user
        client.force_login(user)
    elif role == "superuser":
        login_verified(client, UserFactory.create(role="admin", is_superuser=True))
    else:
        user = StaffProfileFactory.create(user__role=role, department=None).user
        login_verified(client, user)
    return client


# role x (method, path) -> expected status. 302 means "sent elsewhere" (to sign in or enrol).
TABLE = {
    ("GET", "/accounts/"): {
        ANONYMOUS: 302,
        "patient": 200,
        "doctor": 200,
        "nurse": 200,
        "receptionist": 200,
        "admin": 200,
        "compliance_officer": 200,
        "doctor_without_mfa": 302,
    },
    ("GET", "/accounts/profile/"): {
        ANONYMOUS: 302,
        "patient": 200,
        "doctor": 302,
        "receptionist": 302,
        "admin": 302,
    },
    ("GET", "/accounts/sessions/"): {
        ANONYMOUS: 302,
        "patient": 200,
        "doctor": 200,
        "doctor_without_mfa": 302,
    },
    ("GET", "/api/v1/account/me"): {
        ANONYMOUS: 401,
        "patient": 200,
        "doctor": 200,
        "nurse": 200,
        "receptionist": 200,
        "admin": 200,
        "compliance_officer": 200,
        "doctor_without_mfa": 403,
    },
    ("GET", "/api/v1/account/profile"): {
        ANONYMOUS: 401,
        "patient": 200,
        "doctor": 404,
        "admin": 404,
    },
    ("GET", "/api/v1/account/staff-profile"): {
        ANONYMOUS: 401,
        "patient": 404,
        "doctor": 200,
        "nurse": 200,
    },
    ("GET", "/api/v1/account/mfa"): {ANONYMOUS: 401, "patient": 200, "doctor_without_mfa": 200},
    ("GET", "/api/v1/departments"): {
        ANONYMOUS: 401,
        "patient": 200,
        "doctor": 200,
        "doctor_without_mfa": 403,
    },
    ("GET", "/admin/"): {
        ANONYMOUS: 302,
        "patient": 302,
        "doctor": 302,
        "nurse": 302,
        "receptionist": 302,
        "admin": 200,
        "compliance_officer": 200,
        "superuser": 200,
    },
    ("GET", "/admin/accounts/user/"): {
        "patient": 302,
        "doctor": 302,
        "admin": 200,
        "compliance_officer": 200,
        "superuser": 200,
    },
    ("GET", "/admin/accounts/department/add/"): {
        "admin": 200,
        "compliance_officer": 403,
        "superuser": 200,
    },
    ("GET", "/admin/audit/auditevent/"): {
        "admin": 403,
        "compliance_officer": 200,
        "superuser": 200,
    },
}
CASES = [
    (method, path, role, status)
    for (method, path), roles in TABLE.items()
    for role, status in roles.items()
]


@pytest.mark.parametrize(
    ("method", "path", "role", "expected"), CASES, ids=[f"{r}-{m}-{p}" for m, p, r, _ in CASES]
)
def test_permission_table(method, path, role, expected):
    client = _client_for(role)

    response = client.generic(method, path)

    assert response.status_code == expected, (
        role,
        path,
        response.status_code,
        response.get("Location"),
    )


def test_an_admin_role_may_not_reach_the_admin_when_its_session_has_no_second_factor():
    client = APIClient()
    client.force_login(StaffProfileFactory.create(user__role="admin", department=None).user)

    assert client.get("/admin/").status_code == 302


# --- deny by default ---------------------------------------------------------------------

# Pages anyone may open (sign-in and recovery flows, public information, probes).
PUBLIC = {
    "/",
    "/healthz",
    "/readyz",
    # Its own rule, not a session: a bearer token (METRICS_TOKEN), or in development direct
    # loopback callers only (the test client is one); tests/hospital/test_metrics.py.
    "/metrics",
    "/api/schema/",
    "/api/docs/",
    # The installable app's files: nothing of anyone (hospital/installable.py).
    "/manifest.webmanifest",
    "/sw.js",
    "/offline/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/logout/",
    "/accounts/inactive/",
    "/accounts/confirm-email/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/done/",
    "/accounts/login/code/confirm/",
    "/accounts/2fa/verify/",
    "/accounts/2fa/passkey/i18n.js",
    "/accounts/unlock/x/",
    "/admin/login/",
    "/admin/logout/",
    "/api/v1/auth/login",
    "/api/v1/auth/mfa",
    "/api/v1/auth/mfa/sms",
    "/api/v1/auth/mfa/passkey/begin",
    "/api/v1/auth/unlock",
    "/api/v1/auth/refresh",
    "/api/v1/auth/signup",
    "/api/v1/auth/email/verify",
    "/api/v1/auth/email/verify/resend",
    "/api/v1/auth/password/reset",
    "/api/v1/auth/password/reset/confirm",
}
SAMPLES = {"uuid": str(uuid.uuid4()), "int": "1", "str": "x", "slug": "x", "path": "x"}


def _concrete_paths(resolver: URLResolver, prefix: str = "") -> list[str]:
    paths = []
    for entry in resolver.url_patterns:
        route = str(entry.pattern)
        if route.startswith("^") or "(?P" in route:
            if "(?P" in route or "[" in route:  # a regex with groups: not enumerable
                continue
            route = route.lstrip("^").rstrip("$").replace("\\Z", "")
        route = re.sub(
            r"<(?:(\w+):)?\w+>", lambda m: SAMPLES.get(str(m.group(1) or "str"), "x"), route
        )
        if isinstance(entry, URLResolver):
            paths.extend(_concrete_paths(entry, prefix + route))
        elif isinstance(entry, URLPattern):
            paths.append("/" + prefix + route)
    return paths


def test_every_route_is_closed_to_anonymous_callers_unless_listed_public():
    client = APIClient()
    paths = sorted(set(_concrete_paths(get_resolver())))
    opened = []

    for path in paths:
        if path in PUBLIC or path.startswith("/static/"):
            continue
        for method in ("GET", "POST"):
            status = client.generic(method, path).status_code
            if status < 300:
                opened.append((method, path, status))

    assert len(paths) > 40  # the walk found the routes
    assert opened == []
