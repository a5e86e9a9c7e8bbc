"""Found by a review of the authentication cache: what ends access must reach the cache even
right after this process saw the cache fail (invalidations ignore the back-off), and a device
given to another user stops verifying its old owner's session."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.services import sessions
from accounts.services.users import user_deactivate
from tests.accounts.test_review_auth_cache import (
    ME,
    _backoff_over,
    _this_process_saw_a_cache_error,
    _warm_bearer,
)
from tests.conftest import login_verified
from tests.factories import StaffProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_backoff_left_over():
    _backoff_over()
    yield
    _backoff_over()


def test_a_deactivation_made_during_a_cache_backoff_ends_bearer_access(
    patient, admin_user, django_capture_on_commit_callbacks
):
    api = _warm_bearer(patient)
    _this_process_saw_a_cache_error()
    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=User.objects.get(pk=patient.pk), deactivated_by=admin_user)
    _backoff_over()

    assert api.get(ME).status_code == 401


def test_signing_out_everywhere_during_a_cache_backoff_ends_bearer_access(
    patient, django_capture_on_commit_callbacks
):
    api = _warm_bearer(patient)
    _this_process_saw_a_cache_error()
    with django_capture_on_commit_callbacks(execute=True):
        sessions.sessions_end_others(
            user=patient, keep=None, reason=sessions.EndReason.REVOKED, request=None
        )
    _backoff_over()

    assert api.get(ME).status_code == 401


def test_a_device_moved_to_another_user_no_longer_verifies_its_old_users_session(client, doctor):
    device = login_verified(client, doctor)
    assert client.get("/accounts/").status_code == 200
    assert client.get("/accounts/").status_code == 200  # user and device from the cache

    device.user = StaffProfileFactory.create().user
    device.save(update_fields=["user"])

    refused = client.get("/accounts/")
    assert refused.status_code == 302
    assert refused["Location"] == reverse("accounts:security")


def test_control_device_moved_without_cache(client, doctor):
    from django.core.cache import cache

    device = login_verified(client, doctor)
    assert client.get("/accounts/").status_code == 200
    device.user = StaffProfileFactory.create().user
    device.save(update_fields=["user"])
    cache.clear()
    refused = client.get("/accounts/")
    assert refused.status_code == 302


def test_control_signout_everywhere_without_backoff(patient, django_capture_on_commit_callbacks):
    api = _warm_bearer(patient)
    with django_capture_on_commit_callbacks(execute=True):
        sessions.sessions_end_others(
            user=patient, keep=None, reason=sessions.EndReason.REVOKED, request=None
        )
    assert api.get(ME).status_code == 401
