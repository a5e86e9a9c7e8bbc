"""Browser-test plumbing: Debian's headless Chromium (never a Playwright download)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.conftest import IN_CI

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
UI_TIMEOUT_MS = 15_000


@pytest.fixture(autouse=True)
def _allow_orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    # Playwright's sync API runs an asyncio event loop in the main thread, so Django's
    # async-safety check mistakes any ORM call made from the test (or from pytest-django's
    # fixtures while the browser is open) for a call from async code. Nothing here is
    # async: the ORM is only ever called synchronously, so the check is a false alarm.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = "chromium is not installed (apt-get install -y chromium)."
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def browser_page(chromium_path: str) -> Iterator[tuple[Page, list[str]]]:
    """A fresh browser page and the list its console errors are collected into."""
    console_errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.on("console", on_console)
            yield page, console_errors
        finally:
            browser.close()


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Browser]:
    """One headless Chromium for a test that opens several contexts (roles, widths)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
