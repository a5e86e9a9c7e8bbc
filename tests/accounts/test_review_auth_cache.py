"""Review of the authentication cache (accounts.auth_cache): what a change to an account must
end on the next request, whatever the cache went through in between."""

from __future__ import annotations

import time

import pytest
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from rest_framework.test import APIClient

from accounts import auth_cache
from accounts.models import User
from accounts.services import sessions
from accounts.services.users import user_deactivate

pytestmark = pytest.mark.django_db

ME = "/api/v1/account/me"


@pytest.fixture(autouse=True)
def _no_backoff_left_over():
    _backoff_over()
    yield
    _backoff_over()


def _warm_bearer(user: User) -> APIClient:
    pair = sessions.api_session_start(user=user, request=None)
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")
    assert api.get(ME).status_code == 200
    assert api.get(ME).status_code == 200  # token and user now answered from the cache
    return api


def _this_process_saw_a_cache_error() -> None:
    # What _guarded() records after one RedisError/OSError (e.g. a 2 s socket timeout):
    # for DOWN_BACKOFF_SECONDS this process treats the cache as unreachable.
    auth_cache._down_until[caches[DEFAULT_CACHE_ALIAS]] = (
        time.monotonic() + auth_cache.DOWN_BACKOFF_SECONDS
    )


def _backoff_over() -> None:
    # The 5 s pass (or the next request lands on another process, which never saw the error).
    auth_cache._down_until.pop(caches[DEFAULT_CACHE_ALIAS], None)


def test_a_cache_unreachable_for_every_process_authenticates_against_the_database(
    patient, admin_user, django_capture_on_commit_callbacks
):
    api = _warm_bearer(patient)
    _this_process_saw_a_cache_error()
    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=User.objects.get(pk=patient.pk), deactivated_by=admin_user)

    # Still "down" here: the database decides, and refuses.
    assert api.get(ME).status_code == 401


def test_two_users_tokens_are_never_confused(patient):
    from tests.factories import PatientProfileFactory

    other = PatientProfileFactory.create().user
    mine = _warm_bearer(patient)
    theirs = _warm_bearer(other)

    assert mine.get(ME).json()["email"] == patient.email
    assert theirs.get(ME).json()["email"] == other.email
