"""Browser-test plumbing: Debian's headless Chromium (never a Playwright download)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from django.conf import settings as django_settings
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


@pytest.fixture
def asgi_server(settings: Any) -> Iterator[str]:
    """uvicorn serving the project's ASGI application (pages and WebSockets on one origin,
    Redis as the channel layer) in a thread of this process, on a free port; its base URL.

    pytest-django's ``live_server`` speaks only HTTP (WSGI): on it a signed-in page's
    notifications socket is refused, a console error a check of every page would have to
    forgive. Like ``live_server``, it reaches the test database."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [django_settings.REDIS_URL],
                "prefix": f"{django_settings.REDIS_KEY_PREFIX}:e2e:{uuid.uuid4().hex}",
            },
        }
    }
    from hospital.asgi import application

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(application, lifespan="off", log_level="warning", ws_ping_interval=None)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        listener.close()
