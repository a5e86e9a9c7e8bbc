"""Sessions: the active-sessions page, revocation, automatic logoff (idle and absolute)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.conf import settings

from accounts.models import AuthSession
from accounts.services.users import user_set_role
from audit.models import AuditEvent
from tests.conftest import login_verified, web_login

pytestmark = pytest.mark.django_db


FIREFOX_ON_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:135.0) Gecko/20100101 Firefox/135.0"
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.2 Mobile/15E148 Safari/604.1"
)


def test_the_sessions_page_names_devices_in_words_not_user_agent_strings(client, patient):
    other = type(client)(HTTP_USER_AGENT=FIREFOX_ON_LINUX)
    web_login(other, patient.email)
    client.defaults["HTTP_USER_AGENT"] = SAFARI_ON_IPHONE
    web_login(client, patient.email)

    html = client.get("/accounts/sessions/").content.decode()

    assert "Firefox on Linux" in html
    assert "Safari on iPhone" in html
    assert "Mozilla/5.0" not in html
    assert "Gecko" not in html


def test_the_sessions_page_lists_devices_and_revokes_one(client, patient):
    other = type(client)(HTTP_USER_AGENT="Firefox on a library computer")
    web_login(other, patient.email)
    client.defaults["HTTP_USER_AGENT"] = "Safari on my phone"
    web_login(client, patient.email)
    other_session = AuthSession.objects.get(user=patient, user_agent__startswith="Firefox")

    page = client.get("/accounts/sessions/")
    revoked = client.post(
        "/accounts/sessions/revoke/", {"session_id": str(other_session.public_id)}
    )

    html = page.content.decode()
    assert "Firefox on a library computer" in html
    assert "Safari on my phone" in html
    assert "(this browser)" in html
    assert revoked.status_code == 302
    assert other.get("/accounts/").status_code == 302
    assert client.get("/accounts/").status_code == 200
    other_session.refresh_from_db()
    assert other_session.end_reason == "revoked"
    assert AuditEvent.objects.filter(
        action="accounts.session_ended", target_id=str(other_session.public_id)
    ).exists()


def test_sign_out_everywhere_else(client, patient):
    browsers = [type(client)() for _ in range(3)]
    for browser in browsers:
        web_login(browser, patient.email)
    web_login(client, patient.email)

    client.post("/accounts/sessions/revoke/", {"scope": "others"})

    assert all(browser.get("/accounts/").status_code == 302 for browser in browsers)
    assert client.get("/accounts/").status_code == 200
    assert AuthSession.objects.filter(user=patient, ended_at__isnull=True).count() == 1


def test_another_users_session_cannot_be_revoked(client, patient, doctor):
    web_login(type(client)(), doctor.email)
    doctor_session = AuthSession.objects.get(user=doctor)
    web_login(client, patient.email)

    response = client.post(
        "/accounts/sessions/revoke/", {"session_id": str(doctor_session.public_id)}, follow=True
    )

    assert "does not exist" in response.content.decode()
    doctor_session.refresh_from_db()
    assert doctor_session.ended_at is None


@pytest.mark.parametrize(
    ("role_fixture", "idle_minutes"),
    [
        ("patient", settings.SESSION_IDLE_TIMEOUT_PATIENT // 60),
        ("doctor", settings.SESSION_IDLE_TIMEOUT_STAFF // 60),
    ],
)
def test_the_idle_timeout_signs_out(client, request, role_fixture, idle_minutes):
    user = request.getfixturevalue(role_fixture)
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        if user.is_staff_member:
            login_verified(client, user)
        else:
            web_login(client, user.email)
        assert client.get("/accounts/").status_code == 200

        clock.shift(datetime.timedelta(minutes=idle_minutes - 1))
        still_in = client.get("/accounts/")
        clock.shift(datetime.timedelta(minutes=idle_minutes + 1))
        timed_out = client.get("/accounts/", follow=False)

    assert still_in.status_code == 200
    assert timed_out.status_code == 302
    assert timed_out["Location"].startswith("/accounts/login/")
    assert client.get("/accounts/").status_code == 302
    assert AuditEvent.objects.filter(
        action="accounts.session_ended", details__reason="idle"
    ).exists()


def test_activity_keeps_the_session_alive_until_the_absolute_lifetime(client, patient, settings):
    settings.SESSION_ABSOLUTE_LIFETIME = 2 * 60 * 60
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        web_login(client, patient.email)
        statuses = []
        for _ in range(7):  # every 20 minutes, for 2h20m
            clock.shift(datetime.timedelta(minutes=20))
            statuses.append(client.get("/accounts/").status_code)

    assert statuses[:5] == [200] * 5
    assert statuses[-1] == 302
    assert AuditEvent.objects.filter(
        action="accounts.session_ended", details__reason="expired"
    ).exists()


def test_the_idle_timeout_on_the_api_is_a_json_401(client, patient):
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        web_login(client, patient.email)
        client.get("/api/v1/account/me")
        clock.shift(datetime.timedelta(hours=1))
        response = client.get("/api/v1/account/me")

    assert response.status_code == 401
    assert response.json()["code"] == "SESSION_EXPIRED"


def test_a_role_change_ends_the_users_sessions(client, patient, admin_user):
    web_login(client, patient.email)

    user_set_role(user=patient, role="receptionist", changed_by=admin_user)

    assert client.get("/accounts/").status_code == 302
    assert list(patient.groups.values_list("name", flat=True)) == ["Receptionists"]
    assert AuditEvent.objects.filter(
        action="accounts.privileges_changed",
        details={"fields": ["role"], "role_before": "patient", "role_after": "receptionist"},
    ).exists()


@pytest.mark.services("REDIS_URL")
def test_sessions_are_kept_in_redis_with_a_database_copy(client, patient):
    import redis
    from django.contrib.sessions.models import Session

    web_login(client, patient.email)
    key = client.session.session_key

    in_redis = redis.Redis.from_url(settings.REDIS_URL).keys(f"*{key}*")

    assert settings.SESSION_ENGINE == "accounts.session_store"
    assert len(in_redis) == 1
    assert Session.objects.filter(session_key=key).exists()


def test_the_periodic_task_closes_expired_and_idle_sessions_and_drops_dead_tokens(
    patient, settings
):
    from accounts.models import ApiToken
    from accounts.services import sessions
    from accounts.tasks import expire_sessions

    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        idle = sessions.api_session_start(user=patient, request=None)
        active = sessions.api_session_start(user=patient, request=None)
        clock.shift(datetime.timedelta(seconds=settings.SESSION_IDLE_TIMEOUT_PATIENT - 60))
        sessions.api_tokens_refresh(refresh_token=active.refresh_token)
        clock.shift(datetime.timedelta(seconds=120))
        closed = expire_sessions.delay().get()

    assert closed == 1
    assert AuthSession.objects.get(pk=idle.session.pk).end_reason == "idle"
    assert AuthSession.objects.get(pk=active.session.pk).ended_at is None
    assert not ApiToken.objects.filter(session=idle.session).exists()
    assert not ApiToken.objects.filter(
        kind="access",
        expires_at__lte=start
        + datetime.timedelta(seconds=settings.SESSION_IDLE_TIMEOUT_PATIENT + 60),
    ).exists()
