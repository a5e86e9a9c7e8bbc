"""The chosen theme wins over the device's: dark chosen on a light device renders dark."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Page

from tests.factories import PatientProfileFactory


@pytest.mark.django_db(transaction=True)
def test_dark_chosen_on_a_light_device_is_dark(live_server, browser_page: tuple[Page, list[str]]):
    page, _console = browser_page
    user = PatientProfileFactory.create().user
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    page.context.add_cookies(
        [{"name": name, "value": client.cookies[name].value, "url": live_server.url}]
    )
    page.emulate_media(color_scheme="light")
    page.goto(f"{live_server.url}/accounts/")
    light = page.evaluate("getComputedStyle(document.body).backgroundColor")

    page.get_by_label("Dark").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    dark = page.evaluate("getComputedStyle(document.body).backgroundColor")

    assert light == "rgb(244, 246, 249)"  # --color-bg, light
    assert dark == "rgb(14, 20, 27)"  # --color-bg, dark
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
