"""Offline in a real browser: once the service worker is installed, a page that cannot be
fetched shows the offline page; the worker's cache holds the shell only, never a page a
signed-in patient opened."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.factories import TEST_PASSWORD, PatientProfileFactory


@pytest.mark.django_db(transaction=True)
def test_offline_shows_the_offline_page_and_nothing_personal_is_kept(
    live_server, browser_page: tuple[Page, list[str]]
):
    page, _console = browser_page
    patient = PatientProfileFactory.create().user

    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate("navigator.serviceWorker.ready")
    page.get_by_label("Email").fill(patient.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My appointments")).to_be_visible()
    page.goto(f"{live_server.url}/accounts/profile/")
    cached = page.evaluate(
        """async () => {
            const urls = [];
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
            }
            return urls.sort();
        }"""
    )

    page.context.set_offline(True)
    page.goto(f"{live_server.url}/appointments/")

    expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
    assert cached == sorted(
        [
            "/offline/",
            "/static/css/site.css",
            "/static/img/favicon.svg",
            "/static/img/icon-192.png",
            "/static/js/site.js",
        ]
    )
    page.context.set_offline(False)
