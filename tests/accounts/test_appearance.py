"""Light, dark or the device's setting, chosen once and kept for the person on every page."""

from __future__ import annotations

import re

import pytest

from accounts.models import User
from tests.factories import PatientProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient_client(client):
    user = PatientProfileFactory.create().user
    client.force_login(user)
    client.user = user
    return client


def test_by_default_the_pages_follow_the_device(patient_client):
    html = patient_client.get("/accounts/").content.decode()

    assert '<html lang="en" dir="ltr">' in html
    assert re.search(r'<input type="radio" name="theme" value="system"[^>]* checked>', html)


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_a_chosen_theme_is_saved_and_set_on_every_page(patient_client, theme):
    saved = patient_client.post("/accounts/appearance/", {"theme": theme}, follow=True)

    assert "Appearance saved." in saved.content.decode()
    assert User.objects.get(pk=patient_client.user.pk).theme == theme
    for path in ("/accounts/", "/appointments/", "/"):
        html = patient_client.get(path).content.decode()
        assert f'<html lang="en" dir="ltr" data-theme="{theme}">' in html, path


def test_back_to_the_devices_setting(patient_client):
    patient_client.post("/accounts/appearance/", {"theme": "dark"})
    patient_client.post("/accounts/appearance/", {"theme": "system"})

    assert "data-theme=" not in patient_client.get("/accounts/").content.decode()


def test_anything_else_is_refused_and_changes_nothing(patient_client):
    refused = patient_client.post("/accounts/appearance/", {"theme": "purple"}, follow=True)

    assert "Choose light, dark or your device" in refused.content.decode()
    assert User.objects.get(pk=patient_client.user.pk).theme == "system"


def test_only_a_post_by_someone_signed_in(client):
    assert client.get("/accounts/appearance/").status_code in (302, 405)
    response = client.post("/accounts/appearance/", {"theme": "dark"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
