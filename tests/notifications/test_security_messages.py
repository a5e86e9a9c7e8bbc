"""Each account-security event tells the account's owner: by email to the owner's address and
in the app, except an email change (in the app only: allauth emails the old address itself)
and a deactivation (by email only, and it reaches the deactivated account). Security messages
cannot be switched off, and allauth's own "password changed" notice is not sent as well.

Every flow runs through the real pages and API; the outbox relay, the subscribers and the
sends run after the commit (``django_capture_on_commit_callbacks(execute=True)``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.models import User
from accounts.selectors.mfa import device_public_id
from accounts.services import mfa
from notifications.models import (
    Category,
    Channel,
    Delivery,
    Notification,
    NotificationPreference,
)
from tests.conftest import login_verified, totp_code, web_login
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a quiet lighthouse keeps watch over winter seas"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
PREFIX = "[St. Example Hospital] "
SUBJECTS = {
    "security.new_sign_in": "New sign-in to your account",
    "security.password_changed": "Your password was changed",
    "security.email_changed": "Your sign-in email address was changed",
    "security.factor_added": "A sign-in method was added to your account",
    "security.factor_removed": "A sign-in method was removed from your account",
    "security.recovery_code_used": "A recovery code was used to sign in",
    "security.account_deactivated": "Your account was deactivated",
}


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """Run what follows the commit of each step: the relay, the subscribers, the sends."""

    @contextmanager
    def committed() -> Iterator[None]:
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return committed


def _security_emails(address: str) -> list[str]:
    """The subjects of the security notices (ours) that reached ``address``."""
    ours = {PREFIX + subject for subject in SUBJECTS.values()}
    return [str(m.subject) for m in mail.outbox if m.to == [address] and m.subject in ours]


def _in_app(user: User) -> list[tuple[str, str]]:
    return list(
        Notification.objects.filter(recipient=user, category=Category.SECURITY)
        .order_by("created_at", "id")
        .values_list("kind", "title")
    )


def _told(user: User, kind: str) -> None:
    """Told by email (to the account's address) and in the app, once."""
    assert _security_emails(user.email) == [PREFIX + SUBJECTS[kind]]
    assert _in_app(user) == [(kind, SUBJECTS[kind])]
    assert set(
        Delivery.objects.filter(recipient=user, kind=kind).values_list("channel", "status")
    ) == {(Channel.EMAIL, "sent"), (Channel.IN_APP, "sent")}


def _reauthenticate(client: Client) -> None:
    client.post("/accounts/reauthenticate/", {"password": TEST_PASSWORD})


def _api_login(email: str, password: str = TEST_PASSWORD, **headers: str) -> APIClient:
    api = APIClient()
    api.credentials(**headers)
    response = api.post("/api/v1/auth/login", {"email": email, "password": password}, format="json")
    assert response.status_code == 200, response.content
    token = response.json()["tokens"]["access_token"]
    api.credentials(**headers, HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def _every_preference_off(user: User) -> None:
    """Every category x channel switched off, security too (written directly: the service
    refuses it, which is the point of the test that uses this)."""
    NotificationPreference.objects.bulk_create(
        NotificationPreference(user=user, category=category, channel=channel, enabled=False)
        for category in Category.values
        for channel in Channel.values
    )


# --- Password --------------------------------------------------------------------------------------


def test_a_password_changed_on_the_web_page_tells_the_owner_once(
    client: Client, patient: User, after_commit: Any
):
    with after_commit():
        web_login(client, patient.email)
    with after_commit():
        response = client.post(
            "/accounts/password/change/",
            {"oldpassword": TEST_PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )

    assert response.status_code == 302
    _told(patient, "security.password_changed")
    # allauth's own notice is suppressed: one email about the change, ours.
    assert [m.subject for m in mail.outbox] == [PREFIX + SUBJECTS["security.password_changed"]]


def test_a_password_changed_on_the_api_tells_the_owner_once(patient: User, after_commit: Any):
    with after_commit():
        api = _api_login(patient.email)
    with after_commit():
        response = api.post(
            "/api/v1/account/password",
            {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD},
            format="json",
        )

    assert response.status_code == 200
    _told(patient, "security.password_changed")
    assert [m.subject for m in mail.outbox] == [PREFIX + SUBJECTS["security.password_changed"]]


def _reset_link(address: str) -> str:
    message = next(m for m in mail.outbox if m.to == [address])
    match = re.search(r"http://[^\s]+/accounts/password/reset/key/[^\s]+/", str(message.body))
    assert match, message.body
    return match.group(0)


def test_a_password_reset_on_the_web_tells_the_owner_once(
    client: Client, patient: User, after_commit: Any
):
    with after_commit():
        client.post("/accounts/password/reset/", {"email": patient.email})
    link = _reset_link(patient.email)
    form_page = client.get(link, follow=True)
    with after_commit():
        done = client.post(
            form_page.request["PATH_INFO"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        )

    assert done.status_code == 302
    _told(patient, "security.password_changed")
    # The reset link, then our notice; not allauth's "password reset" notice as well.
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject == PREFIX + SUBJECTS["security.password_changed"]


def test_a_password_reset_on_the_api_tells_the_owner_once(patient: User, after_commit: Any):
    api = APIClient()
    with after_commit():
        api.post("/api/v1/auth/password/reset", {"email": patient.email}, format="json")
    key = _reset_link(patient.email).rstrip("/").rsplit("/", 1)[1]
    with after_commit():
        done = api.post(
            "/api/v1/auth/password/reset/confirm",
            {"key": key, "password": NEW_PASSWORD},
            format="json",
        )

    assert done.status_code == 200
    _told(patient, "security.password_changed")
    assert len(mail.outbox) == 2


# --- Signing in from a new device ---------------------------------------------------------------


def _sign_in(email: str, user_agent: str) -> Any:
    browser = Client(HTTP_USER_AGENT=user_agent)
    return web_login(browser, email)


def test_a_sign_in_from_a_new_device_tells_the_owner_but_not_the_first_or_a_known_one(
    patient: User, after_commit: Any
):
    with after_commit():
        first = _sign_in(patient.email, FIREFOX)  # the first sign-in ever: nothing to compare
    told_after_first = (list(mail.outbox), _in_app(patient))
    with after_commit():
        again = _sign_in(patient.email, FIREFOX)  # the same browser again
    told_after_same = (list(mail.outbox), _in_app(patient))
    with after_commit():
        new = _sign_in(patient.email, SAFARI)  # another browser

    assert first.status_code == again.status_code == new.status_code == 302
    assert told_after_first == told_after_same == ([], [])
    _told(patient, "security.new_sign_in")
    (message,) = mail.outbox
    notification = Notification.objects.get(recipient=patient)
    assert "from a new device (Safari on iPhone)" in str(message.body)
    assert "from a new device (Safari on iPhone)" in notification.body


def test_a_sign_in_on_the_api_from_a_new_app_tells_the_owner(patient: User, after_commit: Any):
    with after_commit():
        _sign_in(patient.email, FIREFOX)
    with after_commit():
        _api_login(patient.email, HTTP_USER_AGENT="HospitalApp/2.1 (Android 14)")

    assert _security_emails(patient.email) == [PREFIX + SUBJECTS["security.new_sign_in"]]
    assert [kind for kind, _ in _in_app(patient)] == ["security.new_sign_in"]


# --- Second factors ------------------------------------------------------------------------------


def test_adding_an_authenticator_app_tells_the_owner(
    client: Client, patient: User, after_commit: Any
):
    with after_commit():
        web_login(client, patient.email)
    _reauthenticate(client)
    client.get("/accounts/security/totp/")
    device = TOTPDevice.objects.get(user=patient, confirmed=False)
    with after_commit():
        response = client.post("/accounts/security/totp/", {"code": totp_code(device)})

    assert response.status_code == 200
    _told(patient, "security.factor_added")
    (message,) = mail.outbox
    assert "authenticator app was added to your account" in str(message.body)


def test_removing_an_authenticator_app_tells_the_owner(
    client: Client, patient: User, after_commit: Any
):
    device = TOTPDevice.objects.create(user=patient, name="App", confirmed=True)
    mfa.recovery_codes_generate(user=patient)
    login_verified(client, patient)
    _reauthenticate(client)

    with after_commit():
        client.post("/accounts/security/remove/", {"device_id": device_public_id(device=device)})

    assert not TOTPDevice.objects.filter(user=patient).exists()
    _told(patient, "security.factor_removed")
    (notification,) = Notification.objects.filter(recipient=patient)
    assert "authenticator app was removed" in notification.body


def test_signing_in_with_a_recovery_code_tells_the_owner(
    client: Client, patient: User, after_commit: Any
):
    TOTPDevice.objects.create(user=patient, name="App", confirmed=True)
    codes = mfa.recovery_codes_generate(user=patient)

    web_login(client, patient.email)
    with after_commit():
        response = client.post("/accounts/2fa/verify/", {"method": "recovery", "code": codes[0]})

    assert response.status_code == 302
    _told(patient, "security.recovery_code_used")


def test_the_factor_messages_read_correctly_for_an_authenticator_app(
    patient: User, after_commit: Any
):
    from django.utils import timezone

    from accounts.events import FactorAdded
    from core.events import publish

    with after_commit():
        publish(FactorAdded(user_id=patient.public_id, at=timezone.now(), method="totp"))

    (message,) = mail.outbox
    assert "An authenticator app was added to your account" in str(message.body)


# --- Email address and deactivation ------------------------------------------------------------


def test_a_changed_sign_in_address_is_told_in_the_app_and_allauth_emails_the_old_address(
    client: Client, patient: User, after_commit: Any
):
    old_email = patient.email
    web_login(client, old_email)
    needs_password = client.post(
        "/accounts/email/", {"email": "new.address@example.org", "action_add": ""}
    )
    client.post(needs_password["Location"], {"password": TEST_PASSWORD})
    with after_commit():
        client.post("/accounts/email/", {"email": "new.address@example.org", "action_add": ""})
    confirmation = next(m for m in mail.outbox if m.to == ["new.address@example.org"])
    link = re.search(r"http://[^\s]+/accounts/confirm-email/[^\s/]+/", str(confirmation.body))
    assert link
    with after_commit():
        client.post(link.group(0))

    patient.refresh_from_db()
    assert patient.email == "new.address@example.org"
    # In the app only, from us ...
    assert _in_app(patient) == [
        ("security.email_changed", SUBJECTS["security.email_changed"]),
    ]
    assert _security_emails(old_email) == _security_emails(patient.email) == []
    assert list(
        Delivery.objects.filter(kind="security.email_changed").values_list("channel", flat=True)
    ) == [Channel.IN_APP]
    # ... and allauth's notice to the old address, the one that no longer signs in.
    to_old = [m.subject for m in mail.outbox if m.to == [old_email]]
    assert to_old == [PREFIX + "Email changed"]  # allauth's subject, in sentence case


def test_a_sign_in_address_changed_by_staff_is_told_in_the_app_and_the_old_address_by_email(
    patient: User, after_commit: Any
):
    from accounts.services.emails import user_email_change_by_staff
    from tests.factories import UserFactory

    old_email = patient.email
    with after_commit():
        user_email_change_by_staff(
            user=patient,
            email="changed.by.staff@example.org",
            changed_by=UserFactory.create(role="admin"),
        )

    assert [kind for kind, _ in _in_app(patient)] == ["security.email_changed"]
    assert _security_emails(old_email) == _security_emails("changed.by.staff@example.org") == []
    assert len([m for m in mail.outbox if m.to == [old_email]]) == 1


def test_a_deactivated_account_is_told_by_email_only(
    client: Client, patient: User, after_commit: Any
):
    web_login(client, patient.email)

    with after_commit():
        response = client.post("/accounts/deactivate/", {"password": TEST_PASSWORD})

    patient.refresh_from_db()
    assert response.status_code == 302
    assert patient.is_active is False
    assert _security_emails(patient.email) == [PREFIX + SUBJECTS["security.account_deactivated"]]
    assert _in_app(patient) == []
    assert list(
        Delivery.objects.filter(kind="security.account_deactivated").values_list(
            "channel", "status"
        )
    ) == [(Channel.EMAIL, "sent")]


def test_a_deactivation_on_the_api_is_told_by_email_too(patient: User, after_commit: Any):
    api = _api_login(patient.email)

    with after_commit():
        response = api.post(
            "/api/v1/account/deactivate", {"password": TEST_PASSWORD}, format="json"
        )

    assert response.status_code == 204
    assert _security_emails(patient.email) == [PREFIX + SUBJECTS["security.account_deactivated"]]
    assert _in_app(patient) == []


# --- Security messages cannot be switched off -------------------------------------------------------


def test_security_messages_arrive_with_every_preference_switched_off(
    client: Client, patient: User, after_commit: Any
):
    _every_preference_off(patient)
    with after_commit():
        _sign_in(patient.email, FIREFOX)
    with after_commit():
        web_login(client, patient.email)  # another browser (no user agent): a new device
    with after_commit():
        client.post(
            "/accounts/password/change/",
            {"oldpassword": TEST_PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )

    assert _security_emails(patient.email) == [
        PREFIX + SUBJECTS["security.new_sign_in"],
        PREFIX + SUBJECTS["security.password_changed"],
    ]
    assert [kind for kind, _ in _in_app(patient)] == [
        "security.new_sign_in",
        "security.password_changed",
    ]
