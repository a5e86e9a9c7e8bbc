"""Screenshots of the main pages for reviewers: every role's home and main pages, at 1280 and
390 CSS pixels, light and dark, in English and in Arabic (right to left), on the demo data. Not a test: `make screenshots` runs it
(pytest gives it the live server and the browser) and writes docs/screenshots/.

    make screenshots            # or: pytest tests/e2e/screenshots.py
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import pytest
from playwright.sync_api import Browser

from tests.e2e.conftest import UI_TIMEOUT_MS
from tests.e2e.site_pages import ANONYMOUS, SitePages, seed_site, signed_in

OUT = Path(
    os.environ.get("SCREENSHOTS_DIR", Path(__file__).resolve().parents[2] / "docs" / "screenshots")
)
WIDTHS = {"desktop": 1280, "phone": 390}
SCHEMES: tuple[Literal["light", "dark"], ...] = ("light", "dark")
# English names the files as before; Arabic adds "-ar".
LANGUAGES = ("en", "ar")
MAX_HEIGHT = 1600  # the top of a long page: what a reviewer reads first


def _main_pages(site: SitePages) -> dict[str, list[tuple[str, str]]]:
    """(file name, path) per role: the pages a reviewer looks at first."""

    def first(role: str, start: str) -> str:
        return next(path for path in site.by_role[role] if path.startswith(start))

    return {
        ANONYMOUS: [
            ("home", "/"),
            ("sign-in", "/accounts/login/"),
            ("sign-up", "/accounts/signup/"),
        ],
        "patient": [
            ("my-appointments", "/appointments/"),
            ("book", "/appointments/book/"),
            ("appointment", _appointment(site)),
            ("move", f"{_appointment(site)}reschedule/"),
            ("account", "/accounts/"),
            ("notifications", "/notifications/"),
        ],
        "doctor": [
            ("schedule-day", first("doctor", "/appointments/schedule/?date=")),
            ("schedule-week", first("doctor", "/appointments/schedule/?date=") + "&view=week"),
        ],
        "receptionist": [
            ("reception", first("receptionist", "/appointments/reception/")),
            ("find-patient", "/appointments/book/"),
            ("register-patient", "/appointments/reception/patients/new/"),
        ],
        "admin": [("manage", "/appointments/manage/"), ("styleguide", "/styleguide/")],
    }


def _appointment(site: SitePages) -> str:
    return next(
        path
        for path in site.by_role["patient"]
        if path.startswith("/appointments/") and path.count("/") == 3 and len(path) > 40
    )


@pytest.fixture
def site(transactional_db: Any) -> SitePages:
    return seed_site()


def test_take_screenshots(site: SitePages, live_server: Any, browser: Browser) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.jpg"):
        old.unlink()
    taken = []
    for language in LANGUAGES:
        taken += _take(site, live_server.url, browser, language)
    (OUT / "README.md").write_text(
        "# Screenshots\n\nThe main pages of every role on the demo data, at 1280 and 390 CSS "
        "pixels, light and dark, in English and in Arabic (files ending in -ar), written by "
        "`make screenshots` (tests/e2e/screenshots.py).\n\n"
        + "".join(f"- [{name}]({name})\n" for name in sorted(taken))
    )


def _take(site: SitePages, base_url: str, browser: Browser, language: str) -> list[str]:
    suffix = "" if language == "en" else f"-{language}"
    taken = []
    for role, pages in _main_pages(site).items():
        with signed_in(browser, base_url, role, language=language) as context:
            page = context.new_page()
            page.set_default_timeout(UI_TIMEOUT_MS)
            for scheme in SCHEMES:
                page.emulate_media(color_scheme=scheme)
                for device, width in WIDTHS.items():
                    page.set_viewport_size({"width": width, "height": 900})
                    for name, path in pages:
                        response = page.goto(f"{base_url}{path}")
                        assert response is not None and response.status == 200, path
                        target = OUT / f"{role}-{name}-{device}-{scheme}{suffix}.jpg"
                        height = page.evaluate("document.documentElement.scrollHeight")
                        page.screenshot(
                            path=str(target),
                            full_page=True,
                            clip={
                                "x": 0,
                                "y": 0,
                                "width": width,
                                "height": min(height, MAX_HEIGHT),
                            },
                            type="jpeg",
                            quality=60,
                        )
                        taken.append(target.name)
    return taken
