"""Found by a review: a request racing "sign out everywhere" read the still-committed session
row and cached it again (cached_db), where it outlived its row; the cached copies are now
removed again once the deletion commits."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from accounts.services import sessions
from tests.conftest import web_login

# The race is in the session cache (cached_db on Redis).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services("REDIS_URL")]

ME = "/api/v1/account/me"


def test_a_request_during_sign_out_everywhere_does_not_bring_the_session_back(
    settings, client, patient
):
    assert settings.SESSION_ENGINE == "accounts.session_store"
    assert web_login(client, patient.email).status_code == 302
    assert client.get(ME).status_code == 200
    statuses = []

    def concurrent_request() -> None:
        try:
            statuses.append(client.get(ME).status_code)
        finally:
            connection.close()

    with transaction.atomic():  # the revoke's transaction, not yet committed
        sessions.sessions_end_others(
            user=patient, keep=None, reason=sessions.EndReason.REVOKED, request=None
        )
        racer = threading.Thread(target=concurrent_request)
        racer.start()
        racer.join()
    assert statuses == [200]  # it ran before the commit: still signed in then

    assert client.get(ME).status_code in (401, 403)  # committed: signed out everywhere


def test_control_without_the_racing_request(settings, client, patient):
    assert web_login(client, patient.email).status_code == 302
    assert client.get(ME).status_code == 200
    with transaction.atomic():
        sessions.sessions_end_others(
            user=patient, keep=None, reason=sessions.EndReason.REVOKED, request=None
        )
    assert client.get(ME).status_code in (401, 403)


def test_the_resurrected_session_lives_on_after_a_minute(settings, client, patient, time_machine):
    import datetime

    from django.utils import timezone

    assert web_login(client, patient.email).status_code == 302
    assert client.get(ME).status_code == 200

    def concurrent_request() -> None:
        try:
            client.get(ME)
        finally:
            connection.close()

    with transaction.atomic():
        sessions.sessions_end_others(
            user=patient, keep=None, reason=sessions.EndReason.REVOKED, request=None
        )
        racer = threading.Thread(target=concurrent_request)
        racer.start()
        racer.join()
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=10), tick=False)
    assert client.get(ME).status_code in (401, 403)
