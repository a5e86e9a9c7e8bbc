"""core.csrf: the templates' CSRF token, masked from one read of random bytes, is one Django's
CsrfViewMiddleware accepts, new on every page, and never reveals the secret."""

from __future__ import annotations

import collections
import re

import pytest
from django.middleware.csrf import (  # type: ignore[attr-defined]
    CSRF_ALLOWED_CHARS,
    _get_new_csrf_string,
    _unmask_cipher_token,
)
from django.test import Client
from django.urls import reverse

from core.csrf import masked_secret

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_a_masked_secret_unmasks_to_the_secret_and_differs_each_time():
    secret = _get_new_csrf_string()

    tokens = {masked_secret(secret) for _ in range(50)}

    assert len(tokens) == 50
    for token in tokens:
        assert len(token) == 64
        assert set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _unmask_cipher_token(token) == secret
        assert secret not in token


def test_every_mask_character_is_equally_likely():
    secret = _get_new_csrf_string()
    counts = collections.Counter(
        character for _ in range(2_000) for character in masked_secret(secret)[:32]
    )

    # 64,000 draws over 62 characters: ~1,032 each; a bias towards the first characters
    # (bytes folded modulo 62 without drawing again) would put them near 1,290.
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    assert max(counts.values()) < 1_200
    assert min(counts.values()) > 870


def test_a_pages_token_is_accepted_by_the_csrf_check(patient):
    client = Client(enforce_csrf_checks=True)
    client.force_login(patient)

    first = client.get("/")
    second = client.get("/")
    tokens = [TOKEN.search(page.content.decode()).group(1) for page in (first, second)]
    secret = client.cookies["csrftoken"].value

    assert tokens[0] != tokens[1]
    assert [_unmask_cipher_token(token) for token in tokens] == [secret, secret]
    assert "csrftoken" in second.cookies  # sent again, its expiry renewed (as Django does)
    signed_out = client.post(reverse("account_logout"), {"csrfmiddlewaretoken": tokens[0]})
    assert signed_out.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_wrong_token_is_still_refused(patient):
    client = Client(enforce_csrf_checks=True)
    client.force_login(patient)
    client.get("/")

    refused = client.post(reverse("account_logout"), {"csrfmiddlewaretoken": "x" * 64})

    assert refused.status_code == 403


def test_without_a_csrf_cookie_djangos_get_token_makes_one():
    client = Client(enforce_csrf_checks=True)

    page = client.get(reverse("account_login"))
    token = TOKEN.search(page.content.decode()).group(1)

    assert _unmask_cipher_token(token) == client.cookies["csrftoken"].value


def test_pages_take_their_token_from_here(monkeypatch, patient):
    import core.csrf

    masked: list[str] = []
    real = core.csrf.masked_secret

    def counted(secret: str) -> str:
        masked.append(secret)
        return real(secret)

    monkeypatch.setattr(core.csrf, "masked_secret", counted)
    client = Client(enforce_csrf_checks=True)
    client.force_login(patient)
    client.get("/")  # no CSRF cookie yet: Django's get_token makes the secret
    masked.clear()

    page = client.get("/")

    assert TOKEN.search(page.content.decode())
    assert len(masked) == 1
