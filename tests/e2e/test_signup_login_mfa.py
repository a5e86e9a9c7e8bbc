"""End to end, in a real browser: a patient signs up, confirms the email address, sets up an
authenticator app, signs out and signs in again with the password and a TOTP code.

Runs Debian's headless Chromium (never a Playwright-downloaded one) against pytest-django's
``live_server``, which serves the app from a thread of this process: the emails it sends land
in ``mailoutbox``.
"""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path

import pytest
from django.core import mail
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

EMAIL = "ada.patient@example.org"
PASSWORD = "a quiet lighthouse keeps watch over winter seas"
CONFIRM_LINK = re.compile(r"https?://[^\s\"'<>]+/accounts/confirm-email/[^/\s\"'<>]+/")


def totp_code_for(secret: str, *, at: float) -> str:
    """What an authenticator app holding ``secret`` (base32) shows at time ``at``."""
    totp = TOTP(base64.b32decode(secret), step=30, t0=0, digits=6)
    totp.time = at
    return f"{totp.token():06d}"


def wait_until_the_code_lasts(seconds: float = 5.0) -> None:
    """Wait for a 30-second TOTP step with at least ``seconds`` left, so that the server checks
    the code in the step it was made for. (Checked in the next step, it would still pass, but
    django-otp would record one step of clock drift and refuse the later sign-in code.)"""
    left = 30 - time.time() % 30
    if left < seconds:
        time.sleep(left + 0.1)


def csp_violations(console_errors: list[str]) -> list[str]:
    return [text for text in console_errors if "content security policy" in text.lower()]


def sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.mark.django_db(transaction=True)
def test_patient_signs_up_verifies_email_enrols_totp_and_signs_in_with_it(
    live_server, mailoutbox: list[mail.EmailMessage], browser_page, tmp_path: Path, settings
) -> None:
    page, console_errors = browser_page
    base_url = live_server.url
    # Emails link to the site's public address (HOSPITAL_SITE_DOMAIN): here, the live server.
    settings.HOSPITAL_PUBLIC_URL = base_url

    # 1. Sign up.
    page.goto(f"{base_url}/accounts/signup/")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=legal_name]", "Ada Lovelace")
    page.fill("input[name=date_of_birth]", "1990-04-12")
    page.fill("input[name=password1]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    assert not csp_violations(console_errors), console_errors

    # 2. Confirm the address with the link from the email.
    assert len(mailoutbox) == 1, [message.subject for message in mailoutbox]
    assert mailoutbox[0].to == [EMAIL]
    link = CONFIRM_LINK.search(str(mailoutbox[0].body))
    assert link is not None, mailoutbox[0].body
    page.goto(link.group(0))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/accounts/confirm-email/" not in page.url

    # 3. Sign in with the password (no second factor yet).
    sign_in(page, base_url)
    expect(page).to_have_url(f"{base_url}/appointments/")  # a patient's home
    expect(page.get_by_role("heading", level=1)).to_have_text("My appointments")

    # 4. Set up an authenticator app.
    page.goto(f"{base_url}/accounts/security/")
    page.get_by_role("link", name="Authenticator app").click()
    page.wait_for_load_state()
    if "/accounts/reauthenticate/" in page.url:
        page.fill("input[name=password]", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
    expect(page).to_have_url(f"{base_url}/accounts/security/totp/")
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]+=*", secret), secret
    wait_until_the_code_lasts()
    page.fill("input[name=code]", totp_code_for(secret, at=time.time()))
    page.get_by_role("button", name="Confirm").click()
    recovery_codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(recovery_codes).to_have_count(10)
    # Keep them: download (a file made in the page), copy, print.
    shown = [text.strip() for text in recovery_codes.all_inner_texts()]
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as a file").click()
    downloaded = Path(download_info.value.path()).read_text().splitlines()
    assert [line for line in downloaded if line in shown] == shown
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("[data-copy-status]")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()").split() == shown
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.printed") == 1
    page.get_by_role("link", name="I have saved them").click()
    expect(page).to_have_url(f"{base_url}/accounts/security/")

    # 5. Sign out (allauth may ask to confirm on its own page).
    page.locator("nav").get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    if "/accounts/logout/" in page.url:
        page.locator("main").get_by_role("button", name="Sign out").click()
        page.wait_for_load_state()
    expect(page.locator("nav").get_by_role("link", name="Sign in")).to_be_visible()

    # 6. Sign in again: the password, then a code. The enrolment code may not be replayed,
    # so send the next step's code (the server accepts one step of clock drift).
    sign_in(page, base_url)
    expect(page).to_have_url(f"{base_url}/accounts/2fa/verify/")
    page.fill("input[name=code]", totp_code_for(secret, at=time.time() + 30))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(f"{base_url}/appointments/")  # a patient's home
    expect(page.get_by_role("heading", level=1)).to_have_text("My appointments")
    page.goto(f"{base_url}/accounts/")
    expect(page.locator("main")).to_contain_text(re.compile(r"MRN\d{9}"))

    page.screenshot(path=str(tmp_path / "signed-in-with-totp.png"), full_page=True)
    assert not csp_violations(console_errors), console_errors
