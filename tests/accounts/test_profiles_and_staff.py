"""Roles as groups, the staff directory, profiles, `manage.py create_staff`, demo data."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Department, PatientProfile, StaffProfile, User
from accounts.roles import GROUP_NAMES, Role, role_grants
from accounts.validators import is_valid_medical_record_number, new_medical_record_number
from audit.models import AuditEvent
from tests.conftest import web_login
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


def test_the_data_migration_sets_up_every_role_as_a_group_with_its_permissions():
    for role, group_name in GROUP_NAMES.items():
        group = Group.objects.get(name=group_name)
        granted = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert granted == set(role_grants()[role]), role
    assert set(GROUP_NAMES) == set(Role.values)


def test_medical_record_numbers_carry_a_check_digit():
    numbers = {new_medical_record_number() for _ in range(200)}

    assert all(is_valid_medical_record_number(number) for number in numbers)
    assert len(numbers) == 200
    assert not is_valid_medical_record_number("MRN123456789")  # one digit off


def test_a_patient_edits_their_details_on_the_profile_page(client, patient):
    web_login(client, patient.email)
    profile = PatientProfile.objects.get(user=patient)
    form = {
        "phone": "+44 20 7946 0958",
        "city": "London",
        "country": "GB",
        "preferred_language": "cy",
    }

    response = client.post("/accounts/profile/", form)

    profile.refresh_from_db()
    assert response.status_code == 302
    assert profile.phone == "+442079460958"
    assert profile.country == "GB"
    assert profile.preferred_language == "cy"
    row = AuditEvent.objects.get(action="accounts.patient_profile_updated")
    assert set(row.details["fields"]) >= {"phone", "city"}
    assert "London" not in str(row.details)  # field names only, never values


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"phone": "call me"}, "phone", "valid phone number"),
        ({"emergency_contact_phone": "+44 1"}, "emergency_contact_phone", "valid phone number"),
        ({"country": "United Kingdom"}, "country", "Select a valid choice"),
        ({"country": "ZZ"}, "country", "Select a valid choice"),
        # Legal name, date of birth and sex: tests/accounts/test_identity.py (requests only).
    ],
)
def test_bad_profile_input_is_refused_clearly_and_changes_nothing(
    client, patient, change, field, message
):
    web_login(client, patient.email)
    before = PatientProfile.objects.filter(user=patient).values().get()
    form = {"preferred_language": "en", **change}

    response = client.post("/accounts/profile/", form)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert PatientProfile.objects.filter(user=patient).values().get() == before
    assert not AuditEvent.objects.filter(action="accounts.patient_profile_updated").exists()


def test_the_profile_form_offers_countries_by_name_and_tells_browsers_what_to_fill(client, patient):
    client.force_login(patient)

    html = client.get("/accounts/profile/").content.decode()

    assert '<option value="GB">United Kingdom</option>' in html
    assert '<option value="ES">Spain</option>' in html
    assert 'type="tel" name="phone"' in html
    assert 'autocomplete="tel"' in html
    assert 'autocomplete="address-line1"' in html
    assert 'autocomplete="postal-code"' in html


def test_the_api_refuses_a_country_that_is_no_iso_code(client, patient):
    from tests.appointments.conftest import api_as

    api = api_as(patient)

    refused = api.patch("/api/v1/account/profile", {"country": "United Kingdom"}, format="json")
    unknown = api.patch("/api/v1/account/profile", {"country": "ZZ"}, format="json")
    accepted = api.patch("/api/v1/account/profile", {"country": "ES"}, format="json")

    assert refused.status_code == 400
    assert unknown.status_code == 400
    assert "country" in str(unknown.json())
    assert accepted.status_code == 200
    assert PatientProfile.objects.get(user=patient).country == "ES"


def test_create_staff_makes_an_account_with_its_profile_and_role():
    DepartmentFactory.create(code="cardiology", name="Cardiology")
    out = StringIO()

    call_command(
        "create_staff",
        "--role=doctor",
        "--email=New.Doctor@Hospital.test",
        "--name=Meredith Grey",
        "--department=cardiology",
        "--title=Dr",
        "--licence-number=GMC-1234567",
        stdout=out,
    )

    user = User.objects.get(email__iexact="new.doctor@hospital.test")
    assert user.role == "doctor"
    assert list(user.groups.values_list("name", flat=True)) == ["Doctors"]
    assert user.has_usable_password() is False
    assert StaffProfile.objects.get(user=user).department.code == "cardiology"
    assert "set up two-factor authentication" in out.getvalue()
    assert AuditEvent.objects.filter(
        action="accounts.user_created", details__source="create_staff"
    ).exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--role=doctor", "--email=a@b.test", "--name=A"], "department"),
        (
            ["--role=doctor", "--email=a@b.test", "--name=A", "--department=nowhere"],
            "No department",
        ),
        (["--role=nurse", "--email=not-an-email", "--name=A", "--department=cardiology"], "email"),
    ],
)
def test_create_staff_refuses_bad_input_and_creates_nothing(arguments, message):
    DepartmentFactory.create(code="cardiology")

    with pytest.raises(CommandError, match=message):
        call_command("create_staff", *arguments, stdout=StringIO())

    assert not User.objects.exists()


def test_create_staff_refuses_the_patient_role():
    with pytest.raises(CommandError):
        call_command(
            "create_staff", "--role=patient", "--email=a@b.test", "--name=A", stdout=StringIO()
        )


def test_a_licence_number_belongs_to_one_staff_member():
    department = DepartmentFactory.create(code="cardiology")
    call_command(
        "create_staff",
        "--role=doctor",
        "--email=a@b.test",
        "--name=A",
        "--department=cardiology",
        "--licence-number=GMC-1",
        stdout=StringIO(),
    )

    with pytest.raises(CommandError, match="licence number"):
        call_command(
            "create_staff",
            "--role=doctor",
            "--email=b@b.test",
            "--name=B",
            "--department=cardiology",
            "--licence-number=GMC-1",
            stdout=StringIO(),
        )

    assert User.objects.count() == 1
    assert department.staff.count() == 1


def test_seed_demo_creates_departments_staff_of_every_role_with_totp_and_patients():
    out = StringIO()

    call_command("seed_demo", stdout=out)

    printed = out.getvalue()
    assert Department.objects.count() >= 4
    staff_roles = set(User.objects.exclude(role="patient").values_list("role", flat=True))
    assert staff_roles == {"doctor", "nurse", "receptionist", "admin", "compliance_officer"}
    for user in User.objects.exclude(role="patient"):
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        assert "TOTP secret" in printed
        import base64

        assert base64.b32encode(device.bin_key).decode() in printed
    assert PatientProfile.objects.count() == 3
    assert all(
        is_valid_medical_record_number(p.medical_record_number)
        for p in PatientProfile.objects.all()
    )


def test_the_profile_page_fills_the_date_picker_in_iso_format(client, patient):
    web_login(client, patient.email)

    html = client.get("/accounts/profile/").content.decode()

    assert 'type="date" name="date_of_birth" value="1980-01-31"' in html
