"""Security headers on every response, secure transport settings in production, and pages
without inline scripts (so the strict Content-Security-Policy does not break them)."""

from __future__ import annotations

import json
import re

import pytest

from tests.hospital.run_manage import PRODUCTION_ENV, run_manage

PAGES_AND_ENDPOINTS = ["/", "/healthz", "/api/v1/nope", "/accounts/login/"]

PRINT_TRANSPORT_SETTINGS = (
    "import json; from django.conf import settings as s; print(json.dumps({"
    "'SESSION_COOKIE_SECURE': s.SESSION_COOKIE_SECURE,"
    "'CSRF_COOKIE_SECURE': s.CSRF_COOKIE_SECURE,"
    "'SESSION_COOKIE_HTTPONLY': s.SESSION_COOKIE_HTTPONLY,"
    "'SESSION_COOKIE_SAMESITE': s.SESSION_COOKIE_SAMESITE,"
    "'SECURE_HSTS_SECONDS': s.SECURE_HSTS_SECONDS,"
    "'SECURE_SSL_REDIRECT': s.SECURE_SSL_REDIRECT}))"
)

# A <script> element without a src attribute, or an inline event handler attribute.
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE)
INLINE_EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)


def _csp_directives(response) -> dict[str, str]:
    directives = (part.strip() for part in response["Content-Security-Policy"].split(";"))
    return {name: value for name, _, value in (d.partition(" ") for d in directives if d)}


@pytest.mark.parametrize("url", PAGES_AND_ENDPOINTS)
def test_every_response_has_a_content_security_policy_without_inline_scripts(db, client, url):
    response = client.get(url)

    directives = _csp_directives(response)
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


@pytest.mark.parametrize("url", PAGES_AND_ENDPOINTS)
def test_every_response_has_the_other_security_headers(db, client, url):
    response = client.get(url)

    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_an_api_not_found_still_carries_the_security_headers(db, client):
    response = client.get("/api/v1/nope")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert "Content-Security-Policy" in response
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/accounts/signup/"])
def test_pages_contain_no_inline_scripts(db, client, url):
    response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert INLINE_SCRIPT.findall(html) == []
    assert INLINE_EVENT_HANDLER.findall(html) == []


def test_production_uses_secure_cookies_hsts_and_https_redirects(tmp_path):
    result = run_manage(
        "shell", "-c", PRINT_TRANSPORT_SETTINGS, env=PRODUCTION_ENV, tmp_var=tmp_path
    )

    assert result.returncode == 0, result.stderr
    chosen = json.loads(result.stdout.strip().splitlines()[-1])
    assert chosen["SESSION_COOKIE_SECURE"] is True
    assert chosen["CSRF_COOKIE_SECURE"] is True
    assert chosen["SESSION_COOKIE_HTTPONLY"] is True
    assert chosen["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert chosen["SECURE_HSTS_SECONDS"] > 0
    assert chosen["SECURE_SSL_REDIRECT"] is True
