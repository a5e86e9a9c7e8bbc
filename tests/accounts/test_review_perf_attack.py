"""Review attacks on today's performance changes: the session store's guessed prefetch
(accounts.session_store), the CSRF masking context processor (core.csrf), the appointments
list's practitioners from the slot catalog (practitioners_listed) and the orjson renderer
(core.renderers). Each test tries to make a request run as the wrong user, show stale data,
keep a session that should have ended, or produce different bytes; each passes only when the
claim holds."""

from __future__ import annotations

import json

import pytest
from django.conf import settings as django_settings
from django.middleware.csrf import CSRF_ALLOWED_CHARS
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.renderers import JSONRenderer as DrfJSONRenderer

from accounts import session_store
from accounts.models import User
from core.renderers import JSONRenderer
from tests.admin_pages import changeform_data
from tests.appointments.conftest import MONDAY, api_as, at, book
from tests.appointments.conftest import consultation as consultation
from tests.appointments.conftest import department as department
from tests.appointments.conftest import practitioner as practitioner
from tests.conftest import UNREACHABLE_REDIS_CACHE, login_verified, totp_code, web_login
from tests.factories import PatientProfileFactory, StaffProfileFactory, UserFactory

ME = "/api/v1/account/me"
LIST = "/api/v1/appointments"
DEAD_REDIS = UNREACHABLE_REDIS_CACHE


def _unmasked(token: str) -> str:
    """The secret under a masked token, as Django's middleware reads it."""
    chars, size = CSRF_ALLOWED_CHARS, len(CSRF_ALLOWED_CHARS)
    mask, cipher = token[:32], token[32:]
    return "".join(
        chars[(chars.index(c) - chars.index(m)) % size] for c, m in zip(cipher, mask, strict=True)
    )


def _signed_in(user) -> Client:
    client = Client()
    assert web_login(client, user.email).status_code == 302
    return client


def _warm(client: Client, path: str = ME) -> str:
    """A few requests: this process now guesses whom the session is signed in as."""
    for _ in range(3):
        assert client.get(path).status_code == 200
    key = client.session.session_key
    assert key is not None and key in session_store._SIGNED_IN_AS
    return key


def _staff_signed_in(user) -> tuple[Client, TOTPDevice]:
    """A clinician signed in through the real login: password, then their authenticator's
    code (a tracked browser session that passed a second factor)."""
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    client = Client()
    assert web_login(client, user.email)["Location"] == "/accounts/2fa/verify/"
    code = client.post("/accounts/2fa/verify/", {"method": "totp", "code": totp_code(device)})
    assert code.status_code == 302
    return client, device


def _superuser_client() -> Client:
    client = Client()
    login_verified(client, UserFactory.create(role="admin", is_superuser=True))
    return client


def _admin_post(client: Client, url: str, **changes) -> int:
    data = {**changeform_data(client.get(url)), **changes}
    for name, value in list(data.items()):
        if value is False:
            del data[name]
    response = client.post(url, data)
    return response.status_code


# --- 1. the session store's guess --------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.services("REDIS_URL")
def test_a_guess_naming_another_verified_clinician_never_serves_or_verifies_as_them(patient):
    """Another user's cached row and device read along with a patient's session (a guess
    planted for the patient's key): the patient is served, and never as verified."""
    clinician = StaffProfileFactory.create().user
    staff = Client()
    device = login_verified(staff, clinician)
    _warm(staff)  # the clinician's user and device entries are in the cache, hot
    client = _signed_in(patient)
    key = _warm(client)

    session_store._SIGNED_IN_AS[key] = (str(clinician.pk), device.persistent_id)
    me = client.get(ME)

    assert me.status_code == 200
    assert me.json()["email"] == patient.email
    assert session_store._SIGNED_IN_AS[key] == (str(patient.pk), None)
    # The same guess with the patient's own id but the clinician's device: the session
    # passed no device, so none is taken from the guess.
    session_store._SIGNED_IN_AS[key] = (str(patient.pk), device.persistent_id)
    assert client.get(ME).json()["email"] == patient.email
    # And the clinician is still themselves, verified.
    assert staff.get(LIST).status_code == 200


@pytest.mark.django_db
@pytest.mark.services("REDIS_URL")
def test_a_deleted_otp_device_unverifies_a_warm_session_on_the_next_request():
    clinician = StaffProfileFactory.create().user
    client, device = _staff_signed_in(clinician)
    key = _warm(client, LIST)
    assert session_store._SIGNED_IN_AS[key] == (str(clinician.pk), device.persistent_id)

    TOTPDevice.objects.filter(pk=device.pk).get().delete()

    assert client.get(LIST).status_code == 403
    assert client.get(LIST).status_code == 403


@pytest.mark.django_db
@pytest.mark.services("REDIS_URL")
def test_a_password_set_outside_the_services_signs_a_warm_session_out(patient):
    client = _signed_in(patient)
    _warm(client)

    stored = User.objects.get(pk=patient.pk)
    stored.set_password("an entirely new passphrase 42")
    stored.save()  # an operator's shell: no session ended, only the hash changes

    assert client.get(ME).status_code in (401, 403)
    home = client.get("/")
    assert "Sign out" not in home.content.decode()


@pytest.mark.django_db
@pytest.mark.services("REDIS_URL")
def test_admin_deactivation_and_role_change_end_warm_sessions():
    patient = PatientProfileFactory.create().user
    clinician = StaffProfileFactory.create().user
    patient_client = _signed_in(patient)
    _warm(patient_client)
    staff_client, _ = _staff_signed_in(clinician)
    _warm(staff_client, LIST)
    admin = _superuser_client()

    status = _admin_post(admin, f"/admin/accounts/user/{patient.pk}/change/", is_active=False)
    assert status == 302
    status = _admin_post(admin, f"/admin/accounts/user/{clinician.pk}/change/", role="nurse")
    assert status == 302

    assert patient_client.get(ME).status_code in (401, 403)
    assert staff_client.get(LIST).status_code in (401, 403)
    assert staff_client.get(ME).status_code in (401, 403)


@pytest.mark.django_db
@pytest.mark.services("REDIS_URL")
def test_redis_unreachable_mid_session_serves_the_right_user_then_resumes(settings, patient):
    other = PatientProfileFactory.create().user
    other_client = _signed_in(other)
    _warm(other_client)
    client = _signed_in(patient)
    key = _warm(client)
    session_store._SIGNED_IN_AS[key] = (str(other.pk), None)  # and a wrong guess
    working = settings.CACHES
    settings.CACHES = {**working, "default": DEAD_REDIS}

    down = client.get(ME)
    assert down.status_code == 200
    assert down.json()["email"] == patient.email
    # A user deactivated meanwhile (the database decides while the cache is down).
    User.objects.filter(pk=other.pk).update(is_active=False)
    assert other_client.get(ME).status_code in (401, 403)
    User.objects.filter(pk=other.pk).update(is_active=True)

    settings.CACHES = working
    back = client.get(ME)
    assert back.status_code == 200
    assert back.json()["email"] == patient.email


# --- 2. CSRF masking --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.services("REDIS_URL")
def test_the_page_token_after_sign_in_is_accepted_and_never_the_secret(patient, monkeypatch):
    from core import csrf

    made: list[str] = []
    real = csrf.masked_secret

    def spied(secret: str) -> str:
        made.append(real(secret))
        return made[-1]

    monkeypatch.setattr(csrf, "masked_secret", spied)
    client = Client(enforce_csrf_checks=True)
    login_page = client.get("/accounts/login/")
    token = login_page.context["csrf_token"]
    response = client.post(
        "/accounts/login/",
        {"login": patient.email, "password": "x" * 3, "csrfmiddlewaretoken": str(token)},
    )
    assert response.status_code != 403  # a wrong password, not a CSRF refusal
    from tests.factories import TEST_PASSWORD

    signed_in = client.post(
        "/accounts/login/",
        {"login": patient.email, "password": TEST_PASSWORD, "csrfmiddlewaretoken": str(token)},
    )
    assert signed_in.status_code == 302
    page = client.get("/")
    tokens = set()
    for _ in range(20):
        page = client.get("/")
        masked = str(page.context["csrf_token"])
        assert len(masked) == 64
        secret = client.cookies[django_settings.CSRF_COOKIE_NAME].value
        assert secret not in masked
        assert _unmasked(masked) == secret
        tokens.add(masked)
    assert len(tokens) == 20
    assert tokens <= set(made)  # the project's masking made them, not Django's
    logout = client.post("/accounts/logout/", {"csrfmiddlewaretoken": masked})
    assert logout.status_code == 302
    assert client.get(ME).status_code in (401, 403)


# --- 3. the list's practitioners from the catalog, changed through the admin --------------


def _practitioner_listed(api) -> dict:
    response = api.get(LIST)
    assert response.status_code == 200
    return response.json()["results"][0]["practitioner"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.services("REDIS_URL")
def test_admin_changes_to_name_title_and_department_show_on_the_next_list(
    patient,
    practitioner,
    consultation,
    department,
):
    book(patient, practitioner, consultation, at(MONDAY, 9))
    api = api_as(patient)
    _practitioner_listed(api)
    _practitioner_listed(api)
    admin = _superuser_client()
    user = practitioner.user

    assert (
        _admin_post(admin, f"/admin/accounts/user/{user.pk}/change/", full_name="Grace Hopper")
        == 302
    )
    assert _practitioner_listed(api)["name"].endswith("Grace Hopper")

    profile = user.staff_profile
    url = f"/admin/accounts/staffprofile/{profile.pk}/change/"
    assert _admin_post(admin, url, title="Rear Admiral") == 302
    assert _practitioner_listed(api)["name"] == "Rear Admiral Grace Hopper"

    url = f"/admin/accounts/department/{department.pk}/change/"
    assert _admin_post(admin, url, name="Computing") == 302
    assert _practitioner_listed(api)["department"]["name"] == "Computing"

    assert (
        _admin_post(admin, f"/admin/accounts/user/{user.pk}/change/", email="gh@example.org") == 302
    )
    user.refresh_from_db()
    assert user.full_name == "Grace Hopper"
    assert _practitioner_listed(api)["name"] == "Rear Admiral Grace Hopper"

    url = f"/admin/appointments/practitioner/{practitioner.pk}/change/"
    assert _admin_post(admin, url, time_zone="Asia/Tokyo") == 302
    assert _practitioner_listed(api)["time_zone"] == "Asia/Tokyo"


# --- 4. the renderer on real responses ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.services("REDIS_URL")
def test_real_api_responses_render_to_drfs_bytes(
    patient,
    practitioner,
    consultation,
):
    practitioner.user.full_name = "Zoë \u2028Ünïcode \u2029“quoted” </script>"
    practitioner.user.save()
    book(patient, practitioner, consultation, at(MONDAY, 9), reason="Ça va\u2028? 🙂")
    book(patient, practitioner, consultation, at(MONDAY, 10))
    clinician_api = api_as(practitioner.user)
    patient_api = api_as(patient)
    checked = 0
    for api, path in (
        (patient_api, LIST),
        (patient_api, ME),
        (patient_api, "/api/v1/appointment-types"),
        (patient_api, "/api/v1/practitioners"),
        (patient_api, f"/api/v1/slots?appointment_type={consultation.public_id}"),
        (clinician_api, LIST),
        (clinician_api, ME),
        (patient_api, "/api/v1/appointments/not-a-uuid"),
        (patient_api, "/api/v1/account/sessions"),
    ):
        response = api.get(path)
        data = getattr(response, "data", None)
        if data is None:
            continue
        context = {"response": response, "view": None, "request": None}
        theirs = DrfJSONRenderer().render(data, "application/json", context)
        ours = JSONRenderer().render(data, "application/json", context)
        assert ours == theirs, path
        assert response.content == theirs, path
        json.loads(ours)
        checked += 1
    assert checked >= 6
