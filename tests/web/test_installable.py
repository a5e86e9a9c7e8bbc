"""Installable: the manifest, the service worker and the offline page. The worker keeps the
shell only; the offline page holds nothing of anyone."""

from __future__ import annotations

import json

import pytest
from django.contrib.staticfiles import finders

from tests.factories import PatientProfileFactory

pytestmark = pytest.mark.django_db


def test_the_manifest_names_the_app_its_start_and_its_icons(client, settings):
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == settings.SITE_NAME
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/start/",
        "/",
        "standalone",
    )
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        path = icon["src"].removeprefix(settings.STATIC_URL)
        assert finders.find(path), icon["src"]


def test_the_service_worker_is_served_from_the_root_and_revalidated(client):
    response = client.get("/sw.js")

    script = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]
    assert '"/static/css/site.css"' in script and '"/offline/"' in script
    assert 'request.mode === "navigate"' in script
    # It stores the shell it installs with and, again in a new language, the offline page
    # (which names nobody): nothing else.
    assert script.count("cache.put(") == script.count("cache.put(OFFLINE, response)") == 1


def test_the_offline_page_shows_nothing_of_whoever_is_signed_in(client):
    patient = PatientProfileFactory.create(legal_name="Ada Lovelace").user
    patient.full_name = "Ada Lovelace"
    patient.save(update_fields=["full_name"])
    client.force_login(patient)

    html = client.get("/offline/").content.decode()

    assert "You are offline" in html
    assert "Ada" not in html and patient.email not in html
    assert "Sign out" not in html and "<nav" not in html


def test_every_page_links_the_manifest_and_registers_the_worker(client):
    html = client.get("/").content.decode()

    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert '<meta name="theme-color"' in html
    assert 'data-service-worker="/sw.js"' in html
