"""What a signed-in read costs: queries per request, the authentication cache (hits, and
invalidation the moment a session ends), and no write on a read unless something changed
(issue 10)."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from accounts.errors import InvalidToken
from accounts.models import AuthSession, RecoveryCodeDevice, SmsDevice
from accounts.selectors.mfa import user_has_mfa
from accounts.selectors.sessions import api_access_token_authenticate
from accounts.services import sessions
from accounts.services.users import user_deactivate, user_set_role
from tests.conftest import web_login
from tests.factories import TEST_PASSWORD
from tests.tcp_proxy import free_port

pytestmark = pytest.mark.django_db

ME = "/api/v1/account/me"
WRITE = re.compile(r"^\s*(UPDATE|INSERT|DELETE)\b", re.IGNORECASE)


def _bearer(pair: sessions.TokenPair) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")


def _token_lookups(result: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "hospital_cache_lookups_total", {"cache": "tokens", "result": result}
        )
        or 0.0
    )


def _get(client, path: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    return response.status_code, [query["sql"] for query in captured.captured_queries]


def _writes(statements: list[str]) -> list[str]:
    return [sql for sql in statements if WRITE.match(sql)]


def _audited_reads(statements: list[str]) -> list[str]:
    return [sql for sql in statements if sql.startswith('INSERT INTO "audit_auditevent"')]


def _without_reads(result: tuple[int, list[str]]) -> tuple[int, list[str]]:
    status, statements = result
    return status, [sql for sql in statements if sql not in _audited_reads(statements)]


# --- queries per request ------------------------------------------------------------------


def test_me_with_a_bearer_token_costs_two_queries_then_one_when_the_cache_knows_all(patient):
    api = _bearer(sessions.api_session_start(user=patient, request=None))
    hits_before = _token_lookups("hit")

    cold_status, cold = _get(api, ME)
    warm_status, warm = _get(api, ME)
    hot_status, hot = _get(api, ME)

    assert (cold_status, warm_status, hot_status) == (200, 200, 200)
    # Cold: the token with its session and user; has a second factor and a confirmed address
    # (one statement of EXISTS).
    assert len(cold) == 2
    assert "accounts_apitoken" in cold[0]
    # Warm: the token from the cache, the user alone (and kept in the cache).
    assert len(warm) == 2
    assert not any("accounts_apitoken" in sql or "accounts_authsession" in sql for sql in warm)
    assert 'FROM "accounts_user"' in warm[0]
    # Hot: the token and the user from the cache; only what the view itself reads.
    assert len(hot) == 1
    assert not any(table in hot[0] for table in ("accounts_apitoken", '"accounts_user"'))
    assert _token_lookups("hit") == hits_before + 2
    assert _writes(cold + warm + hot) == []


def test_a_new_access_tokens_first_request_does_not_read_the_token(
    patient, django_capture_on_commit_callbacks
):
    """Issued tokens are cached once their pair commits (login and refresh): the first
    request of each finds it in the cache, as later ones do."""
    with django_capture_on_commit_callbacks(execute=True):
        pair = sessions.api_session_start(user=patient, request=None)
    first_status, first = _get(_bearer(pair), ME)
    with django_capture_on_commit_callbacks(execute=True):
        refreshed = sessions.api_tokens_refresh(refresh_token=pair.refresh_token)
    after_refresh_status, after_refresh = _get(_bearer(refreshed), ME)

    assert (first_status, after_refresh_status) == (200, 200)
    for statements in (first, after_refresh):
        assert not any(
            "accounts_apitoken" in sql or "accounts_authsession" in sql for sql in statements
        )
    assert _bearer(pair).get(ME).status_code == 401  # the refreshed-away token


def test_a_token_ended_before_its_first_request_is_refused_though_it_was_cached(
    patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pair = sessions.api_session_start(user=patient, request=None)
    with django_capture_on_commit_callbacks(execute=True):
        sessions.sessions_end_others(
            user=patient, keep=None, reason=sessions.EndReason.REVOKED, request=None
        )

    assert _bearer(pair).get(ME).status_code == 401


def test_me_in_a_browser_session_costs_one_query_when_warm(client, patient):
    web_login(client, patient.email)
    client.get(ME)  # the session's activity clock and the user are read into the cache

    status, warm = _get(client, ME)

    # Without Redis (SESSION_ENGINE db) the session itself is one more read.
    beyond_the_session_store = [sql for sql in warm if "django_session" not in sql]
    assert status == 200
    assert len(beyond_the_session_store) == 1  # has a factor and a confirmed address
    assert not any("accounts_authsession" in sql or '"accounts_user"' in sql for sql in warm)


def test_has_mfa_is_one_query_whatever_the_devices(patient, django_assert_num_queries):
    TOTPDevice.objects.create(user=patient, name="Pending", confirmed=False)
    SmsDevice.objects.create(user=patient, name="Phone", number="+15551234567", confirmed=True)

    with django_assert_num_queries(1):
        assert user_has_mfa(user=patient) is True


def test_has_mfa_counts_confirmed_primary_factors_only(patient, doctor, admin_user):
    TOTPDevice.objects.create(user=patient, name="Pending", confirmed=False)
    RecoveryCodeDevice.objects.create(user=patient, name="Recovery codes", confirmed=True)
    TOTPDevice.objects.create(user=doctor, name="App", confirmed=True)
    WebAuthnCredential.objects.create(
        user=admin_user,
        name="Phone",
        confirmed=True,
        credential_id=b"credential-request-cost",
        public_key=b"unused",
        aaguid="00000000-0000-0000-0000-000000000000",
    )

    assert user_has_mfa(user=patient) is False  # unconfirmed, and recovery codes alone
    assert user_has_mfa(user=doctor) is True
    assert user_has_mfa(user=admin_user) is True


# --- no write on a read -------------------------------------------------------------------


def test_a_signed_in_page_and_api_read_write_nothing_within_the_minute_then_one_update(
    client, patient
):
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        web_login(client, patient.email)
        api = _bearer(sessions.api_session_start(user=patient, request=None))
        record = AuthSession.objects.get(user=patient, kind=AuthSession.Kind.WEB)
        first = [_get(client, "/accounts/"), _get(client, ME), _get(api, ME)]
        clock.shift(datetime.timedelta(seconds=30))
        within = [_get(client, "/accounts/"), _get(client, ME), _get(api, ME)]
        clock.shift(datetime.timedelta(seconds=31))
        page_after = _get(client, "/accounts/")
        api_after = _get(api, ME)
        again = [_get(client, "/accounts/"), _get(client, ME), _get(api, ME)]

    assert all(status == 200 for status, _ in [*first, *within, page_after, api_after, *again])
    # The account page shows the patient's profile: each view of it is an audited read (one
    # INSERT, audit/access.py), whatever the session does; the session writes nothing here.
    pages = [first[0], within[0], page_after, again[0]]
    assert all(_audited_reads(queries) for _, queries in pages)
    first, within, again = ([_without_reads(r) for r in rs] for rs in (first, within, again))
    page_after = _without_reads(page_after)
    assert [_writes(queries) for _, queries in first + within] == [[]] * 6
    for _, queries in (page_after, api_after):
        (update,) = _writes(queries)
        assert update.startswith('UPDATE "accounts_authsession" SET "last_seen_at"')
        assert '"last_seen_at" <' in update  # conditional: concurrent requests write once
    assert [_writes(queries) for _, queries in again] == [[]] * 3
    record.refresh_from_db()
    assert record.last_seen_at == start + datetime.timedelta(seconds=61)


def test_concurrent_requests_of_one_session_record_its_activity_once(patient):
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        pair = sessions.api_session_start(user=patient, request=None)
        first = AuthSession.objects.get(pk=pair.session.pk)
        second = AuthSession.objects.get(pk=pair.session.pk)  # read before the first wrote
        clock.shift(datetime.timedelta(seconds=61))
        sessions.session_touch(session=first)
        clock.shift(datetime.timedelta(seconds=5))
        with CaptureQueriesContext(connection) as captured:
            sessions.session_touch(session=second)

    assert len(_writes([q["sql"] for q in captured.captured_queries])) == 1  # it tried...
    first.refresh_from_db()
    assert first.last_seen_at == start + datetime.timedelta(seconds=61)  # ...and changed nothing


# --- the cache answers only for live sessions ----------------------------------------------


def _warm(api: APIClient) -> None:
    """Two reads: the second is answered from the authentication cache."""
    hits = _token_lookups("hit")
    assert api.get(ME).status_code == 200
    assert api.get(ME).status_code == 200
    assert _token_lookups("hit") == hits + 1


def test_logout_refuses_the_old_token_at_once_with_a_warm_cache(patient):
    api = _bearer(sessions.api_session_start(user=patient, request=None))
    _warm(api)

    assert api.post("/api/v1/auth/logout").status_code == 204

    assert api.get(ME).status_code == 401


def test_revoking_a_session_refuses_its_token_at_once(patient):
    phone = sessions.api_session_start(user=patient, request=None)
    laptop = _bearer(sessions.api_session_start(user=patient, request=None))
    _warm(_bearer(phone))

    revoked = laptop.delete(f"/api/v1/account/sessions/{phone.session.public_id}")

    assert revoked.status_code == 204
    assert _bearer(phone).get(ME).status_code == 401
    assert laptop.get(ME).status_code == 200


def test_a_password_change_refuses_the_other_sessions_tokens_at_once(patient):
    phone = _bearer(sessions.api_session_start(user=patient, request=None))
    laptop = _bearer(sessions.api_session_start(user=patient, request=None))
    _warm(phone)
    _warm(laptop)

    changed = laptop.post(
        "/api/v1/account/password",
        {"current_password": TEST_PASSWORD, "new_password": "a-brand-new-passphrase-for-2026"},
        format="json",
    )

    assert changed.status_code == 200
    assert phone.get(ME).status_code == 401
    assert laptop.get(ME).status_code == 200  # the session it was changed from stays


def test_deactivation_and_a_role_change_refuse_tokens_at_once(patient, doctor, admin_user):
    device = TOTPDevice.objects.create(user=doctor, name="App", confirmed=True)
    patient_api = _bearer(sessions.api_session_start(user=patient, request=None))
    doctor_api = _bearer(
        sessions.api_session_start(user=doctor, request=None, mfa_device=device.persistent_id)
    )
    _warm(patient_api)
    _warm(doctor_api)

    user_deactivate(user=patient, deactivated_by=admin_user)
    user_set_role(user=doctor, role="receptionist", changed_by=admin_user)

    assert patient_api.get(ME).status_code == 401
    assert doctor_api.get(ME).status_code == 401


def test_refreshing_refuses_the_previous_access_token_at_once(patient):
    pair = sessions.api_session_start(user=patient, request=None)
    _warm(_bearer(pair))

    new = sessions.api_tokens_refresh(refresh_token=pair.refresh_token)

    assert _bearer(pair).get(ME).status_code == 401
    assert _bearer(new).get(ME).status_code == 200


def test_reusing_a_refresh_token_refuses_the_familys_cached_access_token(patient, settings):
    settings.API_REFRESH_GRACE_SECONDS = 0
    pair = sessions.api_session_start(user=patient, request=None)
    new = sessions.api_tokens_refresh(refresh_token=pair.refresh_token)
    _warm(_bearer(new))

    with pytest.raises(InvalidToken):
        sessions.api_tokens_refresh(refresh_token=pair.refresh_token)  # replayed: stolen

    assert _bearer(new).get(ME).status_code == 401


def test_a_second_factor_passed_is_seen_by_the_next_request(patient):
    pair = sessions.api_session_start(user=patient, request=None)
    _warm(_bearer(pair))
    device = TOTPDevice.objects.create(user=patient, name="App", confirmed=True)

    sessions.session_mark_verified(session=pair.session, device=device, request=None)

    session = api_access_token_authenticate(token=pair.access_token)
    assert session is not None
    assert session.is_mfa_verified


# --- a cache that is down -----------------------------------------------------------------


def test_with_the_cache_unreachable_tokens_are_checked_in_the_database(patient):
    pair = sessions.api_session_start(user=patient, request=None)
    api = _bearer(pair)
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    misses = _token_lookups("miss")

    with override_settings(CACHES=unreachable):
        statuses = [api.get(ME).status_code for _ in range(3)]
        logout = api.post("/api/v1/auth/logout").status_code
        after = api.get(ME).status_code

    assert statuses == [200, 200, 200]
    assert _token_lookups("miss") == misses + 5  # every lookup answered by the database
    assert (logout, after) == (204, 401)
