"""End to end, in a real browser: a passkey-only patient cannot get API tokens with the
password alone, and gets them by answering the API's passkey step with the passkey.

The patient sets up a passkey on the security page (Chromium's virtual authenticator, as in
test_passkeys.py), signs out, and then the page's script plays the mobile app: it calls the
token API with fetch() and answers /auth/mfa/passkey/begin with navigator.credentials.get(),
which returns the same assertion as the phones' platform passkey APIs.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.models import AuthSession, RecoveryCodeDevice, User
from audit.models import AuditEvent
from tests.e2e.test_passkeys import (  # noqa: F401 - fixtures used by name
    PasskeyBrowser,
    _webauthn_for_live_server,
    passkey_browser,
    sign_in,
    sign_out,
)
from tests.factories import TEST_PASSWORD, PatientProfileFactory

# The mobile app's part, run in the page: JSON over fetch(), the passkey through WebAuthn.
API_CLIENT_JS = """
async ([email, password]) => {
  const post = async (path, body) => {
    const response = await fetch(path, {
      method: "POST",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify(body),
    });
    return {status: response.status, body: await response.json()};
  };
  const login = await post("/api/v1/auth/login", {email, password});
  if (login.body.status !== "mfa_required") { return {login}; }
  const begin = await post("/api/v1/auth/mfa/passkey/begin", {mfa_token: login.body.mfa_token});
  const options = PublicKeyCredential.parseRequestOptionsFromJSON(begin.body);
  const credential = await navigator.credentials.get({publicKey: options});
  const mfa = await post("/api/v1/auth/mfa", {
    mfa_token: login.body.mfa_token, method: "passkey", credential: credential.toJSON(),
  });
  let me = null;
  if (mfa.status === 200) {
    const response = await fetch("/api/v1/account/me", {
      headers: {"Authorization": "Bearer " + mfa.body.tokens.access_token,
                "Accept": "application/json"},
      credentials: "omit",
    });
    me = {status: response.status, body: await response.json()};
  }
  return {login, begin, mfa, me};
}
"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_webauthn_for_live_server")
@pytest.mark.asvs("6.3.2", "6.3.3", "6.3.7")
def test_a_passkey_only_patient_needs_the_passkey_for_api_tokens(
    live_server,
    passkey_browser: PasskeyBrowser,  # noqa: F811 - the imported fixture
) -> None:
    patient: User = PatientProfileFactory.create().user
    page = passkey_browser.page
    base_url = live_server.url

    # The patient's only factor is a passkey, set up on the security page.
    sign_in(page, base_url, email=patient.email)
    page.goto(f"{base_url}/accounts/security/passkey/")
    if "/accounts/reauthenticate/" in page.url:
        page.fill("input[name=password]", TEST_PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
    page.locator("#passkey-register-button").click()
    expect(page.locator("#passkey-register-status-message")).to_have_text(
        "Registration successful!"
    )
    sign_out(page)
    # Passkey-only: no recovery codes either (an account whose codes were never issued, or
    # were removed), so the API has nothing but the passkey to ask for.
    RecoveryCodeDevice.objects.filter(user=patient).delete()

    result: dict[str, Any] = page.evaluate(API_CLIENT_JS, [patient.email, TEST_PASSWORD])

    login = result["login"]
    assert login["status"] == 200
    assert login["body"]["status"] == "mfa_required"  # the password alone: no tokens
    assert "tokens" not in login["body"]
    assert login["body"]["methods"] == ["passkey"]
    assert result["begin"]["status"] == 200
    assert result["mfa"]["status"] == 200, result["mfa"]
    assert result["mfa"]["body"]["status"] == "authenticated"
    assert result["me"]["status"] == 200
    assert result["me"]["body"]["email"] == patient.email
    api_session = AuthSession.objects.get(user=patient, kind="api")
    assert api_session.is_mfa_verified
    assert AuditEvent.objects.get(
        action="accounts.login", actor=patient, details__factors=["password", "passkey"]
    )
