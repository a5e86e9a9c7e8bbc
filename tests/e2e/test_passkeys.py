"""End to end, in a real browser: a patient adds a passkey as their first factor, signs out,
and signs in again with the password and the passkey.

Chromium's DevTools protocol supplies a virtual authenticator (``WebAuthn.*`` commands over a
CDP session), so the real WebAuthn ceremonies run in the page: django-otp-webauthn's scripts
call ``navigator.credentials.create()`` / ``.get()`` and the authenticator answers them with
user verification already given. Runs Debian's headless Chromium (never a Playwright-downloaded
one) against pytest-django's ``live_server``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import CDPSession, ConsoleMessage, Page, expect, sync_playwright

from accounts.models import AuthSession, RecoveryCodeDevice, User
from audit.models import AuditEvent
from tests.e2e.conftest import CHROMIUM_ARGS, UI_TIMEOUT_MS
from tests.factories import TEST_PASSWORD, PatientProfileFactory

# A platform authenticator (think Touch ID) that holds discoverable credentials, verifies the
# user and answers every ceremony at once, as if the user had touched it.
VIRTUAL_AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


@dataclass
class PasskeyBrowser:
    page: Page
    cdp: CDPSession
    authenticator_id: str
    console_errors: list[str]

    def stored_credentials(self) -> list[dict[str, Any]]:
        """The credentials the virtual authenticator holds."""
        result = self.cdp.send(
            "WebAuthn.getCredentials", {"authenticatorId": self.authenticator_id}
        )
        return list(result["credentials"])


@pytest.fixture
def _webauthn_for_live_server(live_server, settings) -> None:
    # django-otp-webauthn reads its settings from django.conf.settings on every access
    # (AppSettings.__getattribute__), so overriding them here reaches the live server's
    # thread at request time. The live server listens on http://localhost:<port>; browsers
    # treat localhost as a secure context, so WebAuthn works there without TLS.
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]


@pytest.fixture
def passkey_browser(chromium_path: str) -> Iterator[PasskeyBrowser]:
    """A fresh page with a virtual authenticator attached, and its collected console errors."""
    console_errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.on("console", on_console)
            cdp = context.new_cdp_session(page)
            cdp.send("WebAuthn.enable")
            added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_AUTHENTICATOR})
            yield PasskeyBrowser(
                page=page,
                cdp=cdp,
                authenticator_id=added["authenticatorId"],
                console_errors=console_errors,
            )
        finally:
            browser.close()


def csp_violations(console_errors: list[str]) -> list[str]:
    return [text for text in console_errors if "content security policy" in text.lower()]


def sign_in(page: Page, base_url: str, *, email: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def sign_out(page: Page) -> None:
    page.locator("nav").get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    if "/accounts/logout/" in page.url:  # allauth may ask to confirm on its own page
        page.locator("main").get_by_role("button", name="Sign out").click()
        page.wait_for_load_state()
    expect(page.locator("nav").get_by_role("link", name="Sign in")).to_be_visible()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_webauthn_for_live_server")
def test_patient_adds_a_passkey_signs_out_and_signs_in_with_it(
    live_server, passkey_browser: PasskeyBrowser, tmp_path: Path
) -> None:
    patient: User = PatientProfileFactory.create().user
    page = passkey_browser.page
    base_url = live_server.url

    # 1. Sign in with the password (no second factor yet).
    sign_in(page, base_url, email=patient.email)
    expect(page).to_have_url(f"{base_url}/appointments/")  # a patient's home
    expect(page.get_by_role("heading", level=1)).to_have_text("My appointments")

    # 2. Add a passkey; adding a factor may first ask for the password again.
    page.goto(f"{base_url}/accounts/security/passkey/")
    if "/accounts/reauthenticate/" in page.url:
        page.fill("input[name=password]", TEST_PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
    expect(page).to_have_url(f"{base_url}/accounts/security/passkey/")
    page.locator("#passkey-register-button").click()
    # django-otp-webauthn's script stays on the page and reports the outcome in the status line.
    expect(page.locator("#passkey-register-status-message")).to_have_text(
        "Registration successful!"
    )

    credential = WebAuthnCredential.objects.get(user=patient, confirmed=True)
    assert len(passkey_browser.stored_credentials()) == 1
    assert RecoveryCodeDevice.objects.filter(user=patient).exists()
    assert AuditEvent.objects.filter(
        action="accounts.mfa_enrolled", actor=patient, details__method="passkey"
    ).exists()
    # The first factor verifies the session it was set up in, through the audited service.
    assert AuditEvent.objects.filter(
        action="accounts.session_verified", actor=patient, details__method="passkey"
    ).exists()
    assert not csp_violations(passkey_browser.console_errors), passkey_browser.console_errors

    # The first factor's recovery codes wait in the session for the security page.
    page.get_by_role("link", name="Back to two-factor authentication").click()
    expect(page).to_have_url(f"{base_url}/accounts/security/")
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)

    # 3. Sign out, then in again: after the password the login asks for the second factor.
    sign_out(page)
    sign_in(page, base_url, email=patient.email)
    expect(page).to_have_url(f"{base_url}/accounts/2fa/verify/")
    passkey_button = page.locator("#passkey-verification-button")
    expect(passkey_button).to_have_text("Use your passkey")
    passkey_button.click()
    expect(page).to_have_url(f"{base_url}/appointments/")  # a patient's home
    expect(page.get_by_role("heading", level=1)).to_have_text("My appointments")

    assert AuditEvent.objects.filter(
        action="accounts.mfa_verified", actor=patient, details__method="passkey"
    ).exists()
    latest_session = AuthSession.objects.filter(user=patient).latest("created_at")
    assert latest_session.mfa_device == credential.persistent_id
    assert len(passkey_browser.stored_credentials()) == 1

    page.screenshot(path=str(tmp_path / "signed-in-with-passkey.png"), full_page=True)
    assert not csp_violations(passkey_browser.console_errors), passkey_browser.console_errors
