"""accounts.session_store: a signed-in page reads its session and its user's cached row in
one round trip; the session's own data still decides who is signed in."""

from __future__ import annotations

import pytest
import redis
from django.test import Client
from django.urls import reverse

from accounts import session_store
from tests.conftest import UNREACHABLE_REDIS_CACHE, web_login
from tests.factories import PatientProfileFactory

pytestmark = [pytest.mark.django_db, pytest.mark.services("REDIS_URL")]

ME = "/api/v1/account/me"


@pytest.fixture
def redis_commands(monkeypatch):
    """The Redis commands sent while the test runs (the real client; counted on the way)."""
    sent: list[str] = []
    real = redis.Redis.execute_command

    def counted(self, *args, **options):
        sent.append(str(args[0]).upper())
        return real(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counted)
    return sent


def _signed_in(user) -> Client:
    client = Client()
    assert web_login(client, user.email).status_code == 302
    return client


def test_a_signed_in_page_is_one_round_trip_for_session_and_user(settings, patient, redis_commands):
    assert settings.SESSION_ENGINE == "accounts.session_store"
    client = _signed_in(patient)
    client.get("/")  # this process learns whom the session is signed in as
    client.get("/")
    redis_commands.clear()

    page = client.get("/")

    assert page.status_code == 200
    assert "Sign out" in page.content.decode()
    assert redis_commands == ["MGET"]


def test_the_sessions_own_data_decides_who_is_signed_in(patient, redis_commands):
    other = PatientProfileFactory.create().user
    for client in (_signed_in(other), _signed_in(patient)):
        client.get(ME)
    client = _signed_in(patient)
    assert client.get(ME).json()["email"] == patient.email
    key = client.session.session_key
    assert key is not None
    # A wrong guess (another user's entries, cached): read along, then not used.
    session_store._SIGNED_IN_AS[key] = (str(other.pk), None)

    me = client.get(ME)

    assert me.status_code == 200
    assert me.json()["email"] == patient.email
    assert session_store._SIGNED_IN_AS[key] == (str(patient.pk), None)


def test_a_deactivated_user_is_refused_on_the_next_request(patient):
    client = _signed_in(patient)
    assert client.get(ME).status_code == 200
    assert client.get(ME).status_code == 200

    patient.is_active = False
    patient.save()

    assert client.get(ME).status_code in (401, 403)
    home = client.get("/")
    assert home.status_code == 200
    assert "Sign out" not in home.content.decode()


def test_a_signed_out_session_is_forgotten(patient):
    client = _signed_in(patient)
    client.get("/")
    key = client.session.session_key
    assert key in session_store._SIGNED_IN_AS

    client.post("/accounts/logout/")

    assert client.get(ME).status_code in (401, 403)
    assert key not in session_store._SIGNED_IN_AS or client.session.session_key != key


def test_without_the_cache_pages_read_the_session_from_the_database(settings, patient):
    client = _signed_in(patient)
    client.get("/")
    settings.CACHES = {"default": UNREACHABLE_REDIS_CACHE}

    page = client.get("/")

    assert page.status_code == 200
    assert "Sign out" in page.content.decode()


def test_an_unreadable_cached_session_is_read_from_the_database(settings, patient):
    from django.contrib.sessions.backends.cached_db import KEY_PREFIX
    from django.core.cache import cache

    client = _signed_in(patient)
    client.get(ME)
    client.get(ME)  # the guess is made
    key = client.session.session_key
    assert key in session_store._SIGNED_IN_AS
    raw = redis.Redis.from_url(settings.REDIS_URL)  # the cache's own Redis
    raw.set(cache.make_key(KEY_PREFIX + key), b"\x80\x05garbage")
    # And the user's entry too (written by another version, say).
    raw.set(cache.make_key(f"auth:v1:user-gen:{patient.pk}"), b"\x80\x05garbage")

    me = client.get(ME)

    assert me.status_code == 200
    assert me.json()["email"] == patient.email
    assert client.get(ME).status_code == 200


_UNREACHABLE = {"default": UNREACHABLE_REDIS_CACHE}


def test_a_cached_copy_lives_five_minutes_at_most(settings, patient):
    from django.contrib.sessions.backends.cached_db import KEY_PREFIX
    from django.core.cache import cache

    client = _signed_in(patient)
    client.get(ME)
    key = client.session.session_key
    assert key is not None

    remaining = redis.Redis.from_url(settings.REDIS_URL).ttl(cache.make_key(KEY_PREFIX + key))

    assert 0 < remaining <= session_store.CACHED_COPY_SECONDS == 300


def test_with_the_cache_unreachable_sign_out_ends_the_session(settings, patient):
    from django.contrib.sessions.models import Session

    client = _signed_in(patient)
    client.get(ME)
    key = client.session.session_key
    settings.CACHES = _UNREACHABLE

    signed_out = client.post(reverse("account_logout"))

    assert signed_out.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(ME).status_code in (401, 403)


def test_with_the_cache_unreachable_a_deactivation_ends_every_session(settings, patient):
    from accounts.models import AuthSession
    from accounts.services.users import user_deactivate
    from tests.factories import UserFactory

    client = _signed_in(patient)
    assert client.get(ME).status_code == 200
    settings.CACHES = _UNREACHABLE

    user_deactivate(user=patient, deactivated_by=UserFactory.create(role="admin"))

    assert client.get(ME).status_code in (401, 403)
    assert not AuthSession.objects.filter(user=patient, ended_at__isnull=True).exists()
