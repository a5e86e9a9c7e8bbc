"""Identity fields (legal name, date of birth, sex) change only through a request that the
reception or an administrator approves; every step is audited by field name (issue 8,
point 13)."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import IdentityChangeRequest, PatientProfile
from accounts.services import sessions
from audit.models import AuditEvent
from tests.conftest import login_verified, web_login
from tests.factories import PatientProfileFactory, StaffProfileFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_responses_match_schema")]

REQUESTS = "/api/v1/account/profile/identity-requests"
DENIED = AuditEvent.Outcome.DENIED


def _api_as(user) -> APIClient:
    pair = sessions.api_session_start(
        user=user, request=None, mfa_device="test" if user.is_staff_member else ""
    )
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")


@pytest.fixture
def ada(db):
    return PatientProfileFactory.create(
        legal_name="Ada Byron", date_of_birth=datetime.date(1985, 12, 10), sex="female"
    )


def _profile_values(profile):
    return (
        PatientProfile.objects.filter(pk=profile.pk)
        .values("legal_name", "date_of_birth", "sex")
        .get()
    )


def _staff_client(role):
    client = Client()
    login_verified(client, StaffProfileFactory.create(user__role=role, department=None).user)
    return client


# --- the profile API refuses identity fields ------------------------------------------------


@pytest.mark.asvs("8.2.3", "16.3.3")
@pytest.mark.parametrize(
    "change",
    [
        {"legal_name": "Ada King"},
        {"date_of_birth": "1986-01-01"},
        {"sex": "male"},
        {"legal_name": "Ada King", "city": "London"},  # nothing half-written
    ],
)
def test_the_profile_patch_refuses_identity_fields_and_points_to_the_request(ada, change):
    before = _profile_values(ada)
    city = ada.city

    response = _api_as(ada.user).patch("/api/v1/account/profile", change, format="json")

    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "IDENTITY_CHANGE_NEEDS_REQUEST"
    identity = sorted(set(change) - {"city"})
    assert sorted(body["errors"]) == identity
    assert REQUESTS in body["errors"][identity[0]][0]
    assert body["identity_change_requests"] == REQUESTS
    assert _profile_values(ada) == before
    ada.refresh_from_db()
    assert ada.city == city
    assert not AuditEvent.objects.filter(action="accounts.patient_profile_updated").exists()


@pytest.mark.asvs("8.2.3")
def test_the_profile_api_still_shows_identity_fields_and_what_is_pending(ada):
    api = _api_as(ada.user)

    created = api.post(REQUESTS, {"legal_name": "Ada King"}, format="json")
    profile = api.get("/api/v1/account/profile").json()

    assert created.status_code == 201
    assert profile["legal_name"] == "Ada Byron"
    assert profile["date_of_birth"] == "1985-12-10"
    assert profile["sex"] == "female"
    assert [
        (p["field"], p["requested_value"], p["status"]) for p in profile["pending_identity_changes"]
    ] == [("legal_name", "Ada King", "pending")]


# --- asking for a change ------------------------------------------------------------------------


@pytest.mark.asvs("8.2.3", "16.3.3")
def test_a_patient_asks_for_an_identity_change_on_the_api_and_nothing_changes_yet(ada):
    api = _api_as(ada.user)

    response = api.post(
        REQUESTS, {"legal_name": "Ada King", "date_of_birth": "1985-12-11"}, format="json"
    )
    listed = api.get(REQUESTS)

    assert response.status_code == 201
    body = response.json()
    assert [(r["field"], r["current_value"], r["requested_value"], r["status"]) for r in body] == [
        ("legal_name", "Ada Byron", "Ada King", "pending"),
        ("date_of_birth", "1985-12-10", "1985-12-11", "pending"),
    ]
    assert listed.status_code == 200
    assert {r["id"] for r in listed.json()} == {r["id"] for r in body}
    assert _profile_values(ada)["legal_name"] == "Ada Byron"
    rows = AuditEvent.objects.filter(action="accounts.identity_change_requested").order_by("id")
    assert [row.details for row in rows] == [{"field": "legal_name"}, {"field": "date_of_birth"}]
    assert all(row.patient == ada.user and row.actor == ada.user for row in rows)
    assert "Ada" not in str([row.details for row in rows])  # names only, never values


@pytest.mark.asvs("8.2.3")
@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"date_of_birth": "1899-12-31"}, "date_of_birth", "after 1900"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "future"),
        ({"legal_name": "   "}, "legal_name", "blank"),
        ({"legal_name": "x" * 151}, "legal_name", "150"),
        ({"sex": "dragon"}, "sex", "valid choice"),
        ({"legal_name": "Ada Byron"}, "legal_name", "already"),
        ({}, "non_field_errors", "at least one"),
    ],
)
def test_a_bad_identity_request_is_refused_clearly(ada, change, field, message):
    response = _api_as(ada.user).post(REQUESTS, change, format="json")

    assert response.status_code == 400
    assert message in str(response.json()["errors"][field])
    assert not IdentityChangeRequest.objects.exists()


@pytest.mark.asvs("8.2.1")
def test_only_patients_ask_for_identity_changes():
    doctor = StaffProfileFactory.create().user

    response = _api_as(doctor).post(REQUESTS, {"legal_name": "Someone"}, format="json")

    assert response.status_code == 404


def test_a_new_request_for_the_same_field_replaces_the_pending_one(ada):
    api = _api_as(ada.user)

    api.post(REQUESTS, {"legal_name": "Ada Kin"}, format="json")
    api.post(REQUESTS, {"legal_name": "Ada King"}, format="json")

    statuses = list(IdentityChangeRequest.objects.order_by("id").values_list("new_value", "status"))
    assert statuses == [("Ada Kin", "withdrawn"), ("Ada King", "pending")]


def test_a_retried_identity_request_with_its_idempotency_key_happens_once(ada):
    """Issue 9 #11: a creating POST of the accounts API takes an Idempotency-Key too."""
    api = _api_as(ada.user)
    key = "identity-0f6b2c1e"

    first = api.post(REQUESTS, {"legal_name": "Ada King"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    retry = api.post(REQUESTS, {"legal_name": "Ada King"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    other_body = api.post(
        REQUESTS, {"legal_name": "Ada Kin"}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )

    assert (first.status_code, retry.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in first
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert other_body.status_code == 422
    assert other_body.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert list(IdentityChangeRequest.objects.values_list("new_value", "status")) == [
        ("Ada King", "pending")
    ]
    assert AuditEvent.objects.filter(action="accounts.identity_change_requested").count() == 1


# --- the profile page -------------------------------------------------------------------------


@pytest.mark.asvs("8.2.3")
def test_the_profile_page_saves_contact_details_but_never_identity_fields(client, ada):
    web_login(client, ada.user.email)

    response = client.post(
        "/accounts/profile/",
        {
            "legal_name": "Someone Else",
            "date_of_birth": "2001-01-01",
            "sex": "male",
            "phone": "+44 20 7946 0958",
            "preferred_language": "en",
        },
    )

    ada.refresh_from_db()
    assert response.status_code == 302
    assert ada.phone == "+442079460958"
    assert (ada.legal_name, ada.date_of_birth, ada.sex) == (
        "Ada Byron",
        datetime.date(1985, 12, 10),
        "female",
    )
    assert AuditEvent.objects.get(action="accounts.patient_profile_updated").details == {
        "fields": ["phone"]
    }


@pytest.mark.asvs("8.2.3", "16.3.3")
def test_a_patient_asks_for_an_identity_change_on_the_profile_page_and_sees_it_pending(client, ada):
    web_login(client, ada.user.email)

    response = client.post(
        "/accounts/profile/identity/",
        {"legal_name": "Ada King", "date_of_birth": "1985-12-10", "sex": "female"},
    )
    page = client.get("/accounts/profile/").content.decode()

    assert response.status_code == 302
    assert _profile_values(ada)["legal_name"] == "Ada Byron"
    request = IdentityChangeRequest.objects.get()
    assert (request.field, request.new_value, request.status) == (
        "legal_name",
        "Ada King",
        "pending",
    )
    assert "Pending change" in page
    assert "Ada King" in page
    assert AuditEvent.objects.filter(action="accounts.identity_change_requested").count() == 1


@pytest.mark.asvs("8.2.3")
def test_the_profile_page_refuses_a_date_of_birth_before_1900(client, ada):
    web_login(client, ada.user.email)

    response = client.post(
        "/accounts/profile/identity/",
        {"legal_name": "Ada Byron", "date_of_birth": "1899-01-01", "sex": "female"},
    )

    assert response.status_code == 400
    assert "after 1900" in response.content.decode()
    assert not IdentityChangeRequest.objects.exists()


# --- deciding ------------------------------------------------------------------------------------


@pytest.mark.asvs("8.2.1", "8.3.1", "16.3.3")
def test_reception_approves_on_the_staff_page_and_the_profile_changes_audited(ada):
    _api_as(ada.user).post(REQUESTS, {"legal_name": "Ada King"}, format="json")
    request = IdentityChangeRequest.objects.get()
    reception = _staff_client("receptionist")

    listing = reception.get("/accounts/identity-requests/")
    decided = reception.post(
        f"/accounts/identity-requests/{request.public_id}/", {"decision": "approve"}
    )

    request.refresh_from_db()
    ada.refresh_from_db()
    assert listing.status_code == 200
    assert "Ada King" in listing.content.decode()
    assert decided.status_code == 302
    assert ada.legal_name == "Ada King"
    assert request.status == "approved"
    assert request.decided_by.role == "receptionist"
    assert request.decided_at is not None
    approved = AuditEvent.objects.get(action="accounts.identity_change_approved")
    assert approved.actor == request.decided_by
    assert approved.patient == ada.user
    assert approved.details == {"field": "legal_name"}


@pytest.mark.asvs("8.2.1", "16.3.3")
def test_reception_rejects_with_a_note_the_patient_sees(ada):
    api = _api_as(ada.user)
    api.post(REQUESTS, {"date_of_birth": "1984-12-10"}, format="json")
    request = IdentityChangeRequest.objects.get()

    _staff_client("receptionist").post(
        f"/accounts/identity-requests/{request.public_id}/",
        {"decision": "reject", "note": "Please bring your passport to the reception."},
    )

    ada.refresh_from_db()
    assert ada.date_of_birth == datetime.date(1985, 12, 10)
    mine = api.get(REQUESTS).json()
    assert [(r["status"], r["decision_note"]) for r in mine] == [
        ("rejected", "Please bring your passport to the reception.")
    ]
    assert AuditEvent.objects.get(action="accounts.identity_change_rejected").details == {
        "field": "date_of_birth"
    }


@pytest.mark.asvs("8.2.1", "16.3.2")
@pytest.mark.parametrize("role", ["doctor", "nurse", "compliance_officer"])
def test_clinicians_and_compliance_do_not_decide_identity_changes(ada, role):
    _api_as(ada.user).post(REQUESTS, {"legal_name": "Ada King"}, format="json")
    request = IdentityChangeRequest.objects.get()
    staff = _staff_client(role)

    listing = staff.get("/accounts/identity-requests/")
    decided = staff.post(
        f"/accounts/identity-requests/{request.public_id}/", {"decision": "approve"}
    )

    request.refresh_from_db()
    assert listing.status_code == 403
    assert decided.status_code == 403
    assert request.status == "pending"
    assert _profile_values(ada)["legal_name"] == "Ada Byron"
    refused = AuditEvent.objects.filter(action="accounts.identity_change_decision_refused")
    assert refused.count() == 1
    assert refused.get().outcome == DENIED


@pytest.mark.asvs("8.2.1", "8.3.1", "16.3.2")
def test_the_decision_service_refuses_patients_and_deciding_ones_own_request(ada):
    from accounts.errors import IdentityDecisionRefused
    from accounts.services.identity import identity_change_approve

    _api_as(ada.user).post(REQUESTS, {"legal_name": "Ada King"}, format="json")
    request = IdentityChangeRequest.objects.get()

    with pytest.raises(IdentityDecisionRefused):
        identity_change_approve(change_request=request, decided_by=ada.user)

    request.refresh_from_db()
    assert request.status == "pending"
    assert (
        AuditEvent.objects.filter(
            action="accounts.identity_change_decision_refused", outcome=DENIED
        ).count()
        == 1
    )


@pytest.mark.asvs("8.2.3", "8.3.1")
def test_approval_applies_the_sign_up_rule_again(ada):
    from django.core.exceptions import ValidationError

    from accounts.services.identity import identity_change_approve

    # A request that bypassed the checks (e.g. written before the rule existed).
    request = IdentityChangeRequest.objects.create(
        patient=ada.user, field="date_of_birth", old_value="1985-12-10", new_value="1850-01-01"
    )
    reception = StaffProfileFactory.create(user__role="receptionist", department=None).user

    with pytest.raises(ValidationError, match="after 1900"):
        identity_change_approve(change_request=request, decided_by=reception)

    request.refresh_from_db()
    assert request.status == "pending"
    assert _profile_values(ada)["date_of_birth"] == datetime.date(1985, 12, 10)


@pytest.mark.asvs("8.2.1", "16.3.3")
def test_an_administrator_approves_in_the_admin(ada, client):
    _api_as(ada.user).post(REQUESTS, {"sex": "intersex"}, format="json")
    request = IdentityChangeRequest.objects.get()
    admin = UserFactory.create(role="admin")
    login_verified(client, admin)

    listing = client.get("/admin/accounts/identitychangerequest/")
    response = client.post(
        "/admin/accounts/identitychangerequest/",
        {"action": "approve_requests", "_selected_action": [str(request.pk)]},
    )

    request.refresh_from_db()
    assert listing.status_code == 200
    assert response.status_code == 302
    assert request.status == "approved"
    assert _profile_values(ada)["sex"] == "intersex"
    assert AuditEvent.objects.get(action="accounts.identity_change_approved").actor == admin


# --- the sign-up rule on every path ----------------------------------------------------------


@pytest.mark.asvs("8.2.3")
def test_a_profile_created_by_any_path_keeps_the_sign_up_rule():
    from django.core.exceptions import ValidationError

    from accounts.services.profiles import patient_profile_create

    user = UserFactory.create()

    with pytest.raises(ValidationError, match="after 1900"):
        patient_profile_create(
            user=user, legal_name="Old Person", date_of_birth=datetime.date(1899, 12, 31)
        )
    with pytest.raises(ValidationError, match="future"):
        patient_profile_create(
            user=user, legal_name="Unborn", date_of_birth=datetime.date(2999, 1, 1)
        )

    assert not PatientProfile.objects.filter(user=user).exists()


@pytest.mark.asvs("8.2.3")
def test_the_sign_up_api_refuses_a_date_of_birth_before_1900():
    response = APIClient().post(
        "/api/v1/auth/signup",
        {
            "email": "old@example.org",
            "password": "a long enough passphrase for sign-up",
            "legal_name": "Old Person",
            "date_of_birth": "1899-12-31",
        },
        format="json",
    )

    assert response.status_code == 400
    assert "date_of_birth" in response.json()["errors"]


def test_the_openapi_schema_documents_identity_requests(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    requests = schema["paths"]["/api/v1/account/profile/identity-requests"]
    patch = schema["paths"]["/api/v1/account/profile"]["patch"]
    profile = schema["components"]["schemas"]["PatientProfileOutput"]["properties"]

    assert set(requests) == {"get", "post"}
    assert requests["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert "201" in requests["post"]["responses"]
    assert "IDENTITY_CHANGE_NEEDS_REQUEST" in str(patch["responses"]["400"])
    assert profile["legal_name"]["readOnly"] is True
    assert "pending_identity_changes" in profile


def test_contact_details_stay_editable_on_a_record_whose_identity_breaks_todays_rule():
    from accounts.services.profiles import patient_profile_update

    # e.g. imported from the replaced system with a placeholder date of birth
    legacy = PatientProfileFactory.create(date_of_birth=datetime.date(1850, 1, 1))

    patient_profile_update(profile=legacy, changed_by=legacy.user, city="Leeds")

    legacy.refresh_from_db()
    assert legacy.city == "Leeds"
    assert legacy.date_of_birth == datetime.date(1850, 1, 1)
