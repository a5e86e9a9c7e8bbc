"""Every page, for every role, fits a phone: nothing scrolls sideways at 320 or 390 CSS pixels
(WCAG 1.4.10 reflow), every control is at least 44 x 44 px at 390 px, and no select offers
"---------" as a choice. And every page stays light: loaded with the browser's cache off, at
most ``MAX_REQUESTS`` requests and ``MAX_BYTES`` transferred, with no console error and no
Content Security Policy violation.

Links inside a sentence are measured by the line they sit on, as WCAG 2.5.8 excepts them: a
link whose parent has text of its own besides the link is left out of the size check.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Request

from tests.e2e.conftest import UI_TIMEOUT_MS
from tests.e2e.site_pages import ROLES, SitePages, seed_site, signed_in

PHONE_WIDTHS = (320, 390)
TARGET_WIDTH = 390
MINIMUM_TARGET_PX = 44
MAX_REQUESTS = 6
MAX_BYTES = 150 * 1024

MEASURE = """(minimum) => {
  const root = document.documentElement;
  const overflow = Math.max(root.scrollWidth, document.body.scrollWidth) - root.clientWidth;
  const wide = [];
  if (overflow > 0) {
    for (const element of document.body.querySelectorAll('*')) {
      const rect = element.getBoundingClientRect();
      if (rect.right > root.clientWidth + 0.5 && rect.width > 0) {
        wide.push(`${element.tagName.toLowerCase()}${element.className ? '.' + String(element.className).replace(/ +/g, '.') : ''} right=${Math.round(rect.right)}`);
      }
    }
  }
  const small = [];
  const controls = document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex]:not([tabindex="-1"])'
  );
  for (const control of controls) {
    let rect = control.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0) continue;  // not rendered
    if (rect.right <= 0 || rect.bottom <= 0) continue;  // off screen until focused (skip link)
    const style = getComputedStyle(control);
    if (style.visibility === 'hidden') continue;
    if (control.tagName === 'A') {
      const own = Array.from(control.parentElement.childNodes)
        .filter((node) => node !== control && !(node.nodeType === 1 && node.matches('a, br')))
        .map((node) => node.textContent).join('').trim();
      if (own.length > 0) continue;  // a link in a sentence
    }
    if ((control.type === 'checkbox' || control.type === 'radio') && control.labels.length) {
      // The label is the target too: a tap on it ticks the box.
      const boxes = [rect, ...Array.from(control.labels, (label) => label.getBoundingClientRect())];
      const left = Math.min(...boxes.map((b) => b.left)), right = Math.max(...boxes.map((b) => b.right));
      const top = Math.min(...boxes.map((b) => b.top)), bottom = Math.max(...boxes.map((b) => b.bottom));
      rect = {width: right - left, height: bottom - top};
    }
    if (rect.width < minimum - 0.5 || rect.height < minimum - 0.5) {
      const name = (control.getAttribute('aria-label') || control.textContent || control.name || control.type || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
      small.push(`${control.tagName.toLowerCase()} "${name}" ${Math.round(rect.width)}x${Math.round(rect.height)}`);
    }
  }
  // A select's empty choice says what to choose ("Choose a type"), never "---------".
  const dashed = Array.from(document.querySelectorAll('option'))
    .filter((option) => /^-+$/.test(option.textContent.trim()))
    .map((option) => option.parentElement.name);
  return {overflow, wide: wide.slice(0, 5), small, dashed};
}"""


@pytest.fixture
def site(transactional_db: Any) -> SitePages:
    return seed_site()


def _open(page: Page, url: str) -> int:
    response = page.goto(url)
    assert response is not None
    assert response.status in (200, 404), f"{url} answered {response.status}"
    return response.status


def _weight_problems(
    path: str, loaded: list[Request], *, started_ms: float, weights: dict[str, str]
) -> list[str]:
    """What one load of the page asked for: each address once (as a browser's memory cache
    serves a repeated one within a page), the page it was redirected to only, nothing left
    over from the page before."""
    mine = {
        request.url: request
        for request in loaded
        if request.redirected_to is None and request.timing["startTime"] >= started_ms - 1
    }
    sizes = [request.sizes() for request in mine.values()]
    transferred = sum(size["responseBodySize"] + size["responseHeadersSize"] for size in sizes)
    weights[path] = f"{len(mine)} requests, {transferred / 1024:.1f} KB"
    found = []
    if len(mine) > MAX_REQUESTS:
        found.append(f"{len(mine)} requests: {sorted(mine)}")
    if transferred > MAX_BYTES:
        found.append(f"{transferred} bytes transferred")
    return found


@pytest.mark.services("REDIS_URL")
@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_a_phone_and_every_control_is_big_enough_to_tap(
    role: str, site: SitePages, asgi_server: str, browser: Browser, language: str = "en"
) -> None:
    """In English here; the Arabic pages (right to left) are held to the same by
    tests/e2e/test_right_to_left.py (every page of the patient and the reception)."""
    problems: dict[str, list[str]] = {}
    weights: dict[str, str] = {}
    # The service worker blocked: what a first visit asks of the network, every time.
    # Served as `make run` serves it (ASGI: pages and the notifications socket), so a console
    # error is a real one.
    with signed_in(
        browser, asgi_server, role, service_workers="block", language=language
    ) as context:
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        # Every load as a first visit's: nothing from the browser's cache.
        context.new_cdp_session(page).send("Network.setCacheDisabled", {"cacheDisabled": True})
        loaded: list[Request] = []
        console: list[str] = []
        page.on("requestfinished", lambda request: loaded.append(request))
        page.on(
            "console",
            lambda message: console.append(message.text) if message.type == "error" else None,
        )
        for path in site.by_role[role]:
            # One load a page, at the width that is measured most; the narrower width is a
            # resize of the same page (the layout follows it without a reload).
            page.set_viewport_size({"width": TARGET_WIDTH, "height": 800})
            loaded.clear()
            console.clear()
            started_ms = time.time() * 1000
            status = _open(page, f"{asgi_server}{path}")
            page.wait_for_load_state("load")
            for width in sorted(PHONE_WIDTHS, key=lambda width: width != TARGET_WIDTH):
                page.set_viewport_size({"width": width, "height": 800})
                measured = page.evaluate(MEASURE, MINIMUM_TARGET_PX)
                found: list[str] = []
                if width == TARGET_WIDTH:
                    found += _weight_problems(path, loaded, started_ms=started_ms, weights=weights)
                    # A missing page's own 404 is what it should answer.
                    found += [
                        f"console: {text}"
                        for text in console
                        if not (status == 404 and "status of 404" in text)
                    ]
                if measured["overflow"] > 0:
                    found.append(f"scrolls {measured['overflow']} px sideways: {measured['wide']}")
                if width == TARGET_WIDTH:
                    found += [f"small target {target}" for target in measured["small"]]
                    found += [f"select {name} offers dashes" for name in measured["dashed"]]
                if found:
                    problems[f"{path} at {width} px"] = found

    # The whole list on failure (pytest cuts a long assertion's diff), and each page's weight.
    print(json.dumps(weights, indent=1))
    print(json.dumps(problems, indent=1))
    assert problems == {}
