"""Who a signed-in request is, from the authentication cache (accounts.auth_cache, users): no
query for the user on a warm request, and every change to the user seen by the next request,
even one that ends no session (issue 10)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import auth_cache
from accounts.models import User
from accounts.services import sessions
from tests.conftest import login_verified, web_login

pytestmark = pytest.mark.django_db

ME = "/api/v1/account/me"


def _user_queries(client, path: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    return response.status_code, [
        query["sql"] for query in captured.captured_queries if '"accounts_user"' in query["sql"]
    ]


def test_a_warm_page_reads_no_user_row(client, patient):
    web_login(client, patient.email)
    client.get("/")  # the user is read into the cache

    status, user_queries = _user_queries(client, "/")

    assert status == 200
    assert user_queries == []


def test_a_warm_bearer_token_reads_no_user_row(patient):
    from rest_framework.test import APIClient

    pair = sessions.api_session_start(user=patient, request=None)
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")
    api.get(ME)
    api.get(ME)

    status, user_queries = _user_queries(api, ME)

    assert status == 200
    assert user_queries == []


def test_a_change_to_the_user_is_seen_by_the_next_request(client, patient):
    web_login(client, patient.email)
    client.get(ME)
    client.get(ME)

    patient.full_name = "Renamed Person"
    patient.save(update_fields=["full_name"])

    assert client.get(ME).json()["full_name"] == "Renamed Person"


@pytest.mark.parametrize("change", ["deactivated", "password"])
def test_a_change_that_ends_no_session_still_signs_it_out_at_once(client, patient, change):
    # force_login: no session record, so nothing ends it but Django's own checks of the user.
    client.force_login(patient, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(ME).status_code == 200
    assert client.get(ME).status_code == 200  # from the cache

    user = User.objects.get(pk=patient.pk)
    if change == "deactivated":
        user.is_active = False
    else:
        user.set_password("an entirely different passphrase 2026")
    user.save()

    assert client.get(ME).status_code in (401, 403)


def test_a_role_change_is_seen_by_the_next_request(client, patient):
    client.force_login(patient, backend="django.contrib.auth.backends.ModelBackend")
    client.get(ME)
    client.get(ME)

    user = User.objects.get(pk=patient.pk)
    user.role = "receptionist"
    user.save(update_fields=["role"])

    # Staff now: no further without a second factor.
    refused = client.get(ME)
    assert refused.status_code == 403
    assert "MFA_ENROLMENT_REQUIRED" in refused.content.decode()


def test_the_cache_never_holds_the_password_hash(patient):
    lookup = auth_cache.user_get(user_id=patient.pk)
    auth_cache.user_keep(user=User.objects.get(pk=patient.pk), generation=lookup.generation)

    found = auth_cache.user_get(user_id=patient.pk).found

    assert found is not None
    assert "password" not in found.user.__dict__  # deferred: read from the database if asked
    assert found.session_auth_hash == User.objects.get(pk=patient.pk).get_session_auth_hash()


def test_a_row_read_before_a_change_is_never_used(patient):
    lookup = auth_cache.user_get(user_id=patient.pk)
    before = User.objects.get(pk=patient.pk)  # read, then the change commits

    patient.full_name = "Changed Meanwhile"
    patient.save(update_fields=["full_name"])
    auth_cache.user_keep(user=before, generation=lookup.generation)

    assert auth_cache.user_get(user_id=patient.pk).found is None


def test_a_row_read_before_the_commit_is_never_used_after_it(
    patient, django_capture_on_commit_callbacks
):
    before = User.objects.get(pk=patient.pk)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        patient.full_name = "Changed In A Transaction"
        patient.save(update_fields=["full_name"])
        # Another request, between the save and the commit: it still reads the old row.
        lookup = auth_cache.user_get(user_id=patient.pk)
        auth_cache.user_keep(user=before, generation=lookup.generation)

    assert auth_cache.user_get(user_id=patient.pk).found is None


def test_a_deleted_user_is_never_answered_from_the_cache(db):
    user = User.objects.create_user(email="leaving@example.test", password=None)
    lookup = auth_cache.user_get(user_id=user.pk)
    auth_cache.user_keep(user=User.objects.get(pk=user.pk), generation=lookup.generation)
    user_id = user.pk

    User.objects.filter(pk=user_id).delete()

    assert auth_cache.user_get(user_id=user_id).found is None


# --- the second factor a browser session passed --------------------------------------------


def _device_queries(client, path: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    return response.status_code, [
        query["sql"]
        for query in captured.captured_queries
        if '"otp_totp_totpdevice"."id" =' in query["sql"]  # the device by its key
    ]


def test_a_warm_staff_page_reads_no_device_row(client, doctor):
    login_verified(client, doctor)
    client.get("/accounts/")

    status, device_queries = _device_queries(client, "/accounts/")

    assert status == 200
    assert device_queries == []


@pytest.mark.parametrize("change", ["unconfirmed", "deleted"])
def test_a_changed_device_is_seen_by_the_next_request(client, doctor, change):
    device = login_verified(client, doctor)
    assert client.get("/accounts/").status_code == 200
    assert client.get("/accounts/").status_code == 200  # from the cache

    if change == "deleted":
        TOTPDevice.objects.filter(pk=device.pk).delete()
    else:
        device.confirmed = False
        device.save(update_fields=["confirmed"])

    # No longer verified: a staff member without a confirmed factor goes to enrolment.
    refused = client.get("/accounts/")
    assert refused.status_code == 302
    assert refused["Location"] == reverse("accounts:security")


def test_the_cache_never_holds_a_devices_secret(doctor):
    device = TOTPDevice.objects.create(user=doctor, name="App", confirmed=True)
    lookup = auth_cache.user_get(user_id=doctor.pk, device_id=device.persistent_id)
    auth_cache.device_keep(device=device, generation=lookup.generation)

    cached = auth_cache.user_get(user_id=doctor.pk, device_id=device.persistent_id).device

    assert isinstance(cached, TOTPDevice) and cached.pk == device.pk and cached.confirmed
    assert "key" not in cached.__dict__  # deferred: read from the database if asked
    assert cached.key == device.key


# --- Warmed when a token is issued -----------------------------------------------------------


def test_a_new_tokens_first_request_reads_no_user_row(patient, django_capture_on_commit_callbacks):
    from rest_framework.test import APIClient

    with django_capture_on_commit_callbacks(execute=True):
        pair = sessions.api_session_start(user=patient, request=None)
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")

    status, user_queries = _user_queries(api, ME)

    assert status == 200
    assert user_queries == []


def test_a_rotated_tokens_first_request_reads_no_user_row(
    patient, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient

    with django_capture_on_commit_callbacks(execute=True):
        first = sessions.api_session_start(user=patient, request=None)
    auth_cache.user_changed(user_id=patient.pk)  # forgotten since (as after an eviction)
    with django_capture_on_commit_callbacks(execute=True):
        pair = sessions.api_tokens_refresh(refresh_token=first.refresh_token)
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")

    status, user_queries = _user_queries(api, ME)

    assert status == 200
    assert user_queries == []


def test_a_change_after_the_token_was_issued_is_seen_by_its_first_request(
    patient, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient

    with django_capture_on_commit_callbacks(execute=True):
        pair = sessions.api_session_start(user=patient, request=None)
    patient.full_name = "Renamed After Sign-in"
    patient.save(update_fields=["full_name"])
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")

    assert api.get(ME).json()["full_name"] == "Renamed After Sign-in"


def test_a_deactivation_after_the_token_was_issued_refuses_its_first_request(
    patient, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient

    with django_capture_on_commit_callbacks(execute=True):
        pair = sessions.api_session_start(user=patient, request=None)
    User.objects.filter(pk=patient.pk).update(is_active=False)  # no signal: the row only
    auth_cache.user_changed(user_id=patient.pk)  # as the services do on a deactivation
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")

    assert api.get(ME).status_code == 401
