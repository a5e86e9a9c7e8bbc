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


OFFLINE_PAGE_LANGUAGE = """async () => {
    for (const name of await caches.keys()) {
        const kept = await (await caches.open(name)).match("/offline/");
        if (kept) {
            const match = (await kept.text()).match(/<html lang="([^"]+)"/);
            return match ? match[1] : null;
        }
    }
    return null;
}"""


@pytest.mark.django_db(transaction=True)
def test_the_offline_page_follows_a_change_of_language(
    live_server, browser_page: tuple[Page, list[str]]
):
    """Installed while the site was English, then switched to Spanish: offline, the page says
    so in Spanish."""
    page, _console = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate("navigator.serviceWorker.ready")
    page.wait_for_function(f"({OFFLINE_PAGE_LANGUAGE})().then((lang) => lang === 'en')")

    page.locator("#language-choice").select_option("es")
    page.locator(".language-form button").click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "es"
    page.wait_for_function(f"({OFFLINE_PAGE_LANGUAGE})().then((lang) => lang === 'es')")

    page.context.set_offline(True)
    page.goto(f"{live_server.url}/appointments/")

    expect(page.get_by_role("heading", name="No tiene conexión")).to_be_visible()
    page.context.set_offline(False)
