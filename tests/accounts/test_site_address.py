"""Links in allauth's emails name the configured public site, whatever an old migration
wrote into the sites row, and the emails read as ours (no "user x has given your email
address to register an account on 127.0.0.1:8000")."""

from __future__ import annotations

import re

import pytest
from django.contrib.sites.models import Site

from accounts.apps import site_sync
from tests.accounts.test_web_auth import _signup

pytestmark = pytest.mark.django_db

PUBLIC_HOST = "care.example.org"


@pytest.fixture
def configured_host(settings):
    """The domain set in the environment after the sites row was first written."""
    assert Site.objects.get(pk=settings.SITE_ID).domain != PUBLIC_HOST
    settings.SITE_DOMAIN = PUBLIC_HOST
    settings.HOSPITAL_PUBLIC_URL = f"https://{PUBLIC_HOST}"  # as settings derive it in production
    settings.SITE_NAME = "Care Example Hospital"
    site_sync()


def test_the_sync_writes_the_configured_domain_and_name_to_the_sites_row(settings):
    settings.SITE_DOMAIN = PUBLIC_HOST
    settings.SITE_NAME = "Care Example Hospital"

    site_sync()
    site_sync()  # twice: still one row

    assert list(Site.objects.values_list("pk", "domain", "name")) == [
        (settings.SITE_ID, PUBLIC_HOST, "Care Example Hospital")
    ]


def test_the_sign_up_confirmation_links_to_the_configured_site_in_our_words(
    client, mailoutbox, django_capture_on_commit_callbacks, configured_host
):
    with django_capture_on_commit_callbacks(execute=True):
        _signup(client)

    message = mailoutbox[0]
    assert re.search(rf"https://{re.escape(PUBLIC_HOST)}/accounts/confirm-email/\S+/", message.body)
    assert "127.0.0.1" not in message.body
    assert "Care Example Hospital" in message.body
    assert "register an account" not in message.body
    assert message.subject.endswith("Confirm your email address")


def test_the_password_reset_links_to_the_configured_site(
    client, patient, mailoutbox, django_capture_on_commit_callbacks, configured_host
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": patient.email})

    message = mailoutbox[0]
    assert re.search(
        rf"https://{re.escape(PUBLIC_HOST)}/accounts/password/reset/key/", message.body
    )
    assert "127.0.0.1" not in message.body
    assert message.subject.endswith("Reset your password")
