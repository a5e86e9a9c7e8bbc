"""The Django admin is a front door like the others: privileges, email addresses, passwords and
profiles change there only through the audited services, and only as far as the person at the
keyboard may change them (issue 8, points 5 to 7)."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from accounts.models import Department, StaffProfile, User
from accounts.selectors.users import user_email_verified
from audit.models import AuditEvent
from tests.admin_pages import changeform_data
from tests.conftest import login_verified, web_login
from tests.factories import (
    TEST_PASSWORD,
    DepartmentFactory,
    PatientProfileFactory,
    StaffProfileFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DENIED = AuditEvent.Outcome.DENIED


@pytest.fixture
def admin_client(client):
    """A hospital administrator (not a superuser) in an OTP-verified admin session."""
    admin = StaffProfileFactory.create(user__role="admin", department=None).user
    login_verified(client, admin)
    client.admin = admin
    return client


@pytest.fixture
def superuser_client(client):
    superuser = UserFactory.create(role="admin", is_superuser=True)
    login_verified(client, superuser)
    client.admin = superuser
    return client


def _change_page(client, user):
    return client.get(f"/admin/accounts/user/{user.pk}/change/")


def _post_change(client, user, **changes):
    data = {**changeform_data(_change_page(client, user)), **changes}
    for name, value in list(data.items()):
        if value is False:
            del data[name]  # an unticked checkbox is not posted
    return client.post(f"/admin/accounts/user/{user.pk}/change/", data)


# --- Point 5: privileges --------------------------------------------------------------------


@pytest.mark.asvs("8.2.3", "8.3.1", "16.3.2", "16.3.3")
def test_an_administrator_cannot_make_themselves_superuser_even_by_posting_the_field(
    admin_client,
):
    admin = admin_client.admin
    page = _change_page(admin_client, admin)

    response = _post_change(admin_client, admin, is_superuser="on", role="admin")

    admin.refresh_from_db()
    assert 'name="is_superuser"' not in page.content.decode()  # read-only for them
    assert 'name="role"' not in page.content.decode()
    assert response.status_code == 200
    assert "Nobody changes their own privileges" in response.content.decode()
    assert not admin.is_superuser
    refused = AuditEvent.objects.get(action="accounts.privileges_change_refused")
    assert refused.outcome == DENIED
    assert refused.actor == admin
    assert refused.target_id == str(admin.public_id)
    assert refused.details == {"fields": ["is_superuser"], "surface": "admin"}
    assert not AuditEvent.objects.filter(action="accounts.privileges_changed").exists()


@pytest.mark.asvs("8.2.3", "8.3.1", "16.3.2")
def test_only_a_superuser_grants_superuser_status_or_an_administration_site_role(admin_client):
    doctor = StaffProfileFactory.create().user
    page = _change_page(admin_client, doctor).content.decode()

    to_admin = _post_change(admin_client, doctor, role="admin")
    to_superuser = _post_change(admin_client, doctor, is_superuser="on")

    doctor.refresh_from_db()
    assert 'name="is_superuser"' not in page
    assert '<option value="admin"' not in page  # the roles they may not grant are not offered
    assert to_admin.status_code == 200
    assert "Only a superuser grants administration-site roles" in to_admin.content.decode()
    assert to_superuser.status_code == 200
    assert "Only a superuser grants or removes superuser status" in to_superuser.content.decode()
    assert doctor.role == "doctor"
    assert not doctor.is_superuser
    assert not doctor.is_staff
    refusals = AuditEvent.objects.filter(action="accounts.privileges_change_refused")
    assert [row.details["fields"] for row in refusals] == [["role"], ["is_superuser"]]


@pytest.mark.asvs("8.2.3", "8.3.1")
def test_an_administrator_cannot_change_another_administrator_or_a_superuser(admin_client):
    other_admin = UserFactory.create(role="admin")
    superuser = UserFactory.create(role="admin", is_superuser=True)

    page = _change_page(admin_client, superuser).content.decode()
    demote = _post_change(admin_client, other_admin, role="doctor")
    deactivate = _post_change(admin_client, superuser, is_active="")  # crafted: read-only

    other_admin.refresh_from_db()
    superuser.refresh_from_db()
    assert 'name="is_active"' not in page
    assert 'name="role"' not in page
    assert other_admin.role == "admin"
    assert superuser.is_active
    assert "Only a superuser changes" in demote.content.decode()
    assert "Only a superuser changes" in deactivate.content.decode()
    assert (
        AuditEvent.objects.filter(
            action="accounts.privileges_change_refused", outcome=DENIED
        ).count()
        == 2
    )


@pytest.mark.asvs("8.2.1", "16.3.3")
def test_an_administrator_changes_a_clinicians_role_audited_with_before_and_after(admin_client):
    nurse = StaffProfileFactory.create(user__role="nurse").user

    response = _post_change(admin_client, nurse, role="receptionist")

    nurse.refresh_from_db()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert nurse.role == "receptionist"
    assert list(nurse.groups.values_list("name", flat=True)) == ["Receptionists"]
    changed = AuditEvent.objects.get(action="accounts.privileges_changed")
    assert changed.actor == admin_client.admin
    assert changed.target_id == str(nurse.public_id)
    assert changed.details == {
        "fields": ["role"],
        "role_before": "nurse",
        "role_after": "receptionist",
    }


@pytest.mark.asvs("8.2.3", "7.4.2", "16.3.3")
def test_a_superuser_grants_superuser_and_deactivates_audited_and_sessions_end(superuser_client):

    admin = UserFactory.create(role="admin")
    patient = PatientProfileFactory.create().user
    patients_browser = Client()
    web_login(patients_browser, patient.email)

    granted = _post_change(superuser_client, admin, is_superuser="on")
    deactivated = _post_change(superuser_client, patient, is_active=False)

    admin.refresh_from_db()
    patient.refresh_from_db()
    assert granted.status_code == 302
    assert deactivated.status_code == 302
    assert admin.is_superuser and admin.is_staff
    assert not patient.is_active
    assert patients_browser.get("/accounts/").status_code == 302  # signed out
    rows = AuditEvent.objects.filter(action="accounts.privileges_changed").order_by("id")
    assert [row.details for row in rows] == [
        {"fields": ["is_superuser"], "is_superuser_before": False, "is_superuser_after": True},
        {"fields": ["is_active"], "is_active_before": True, "is_active_after": False},
    ]


@pytest.mark.asvs("8.2.3", "8.3.1")
def test_a_superuser_does_not_change_their_own_privileges_either(superuser_client):
    superuser = superuser_client.admin
    page = _change_page(superuser_client, superuser).content.decode()

    response = _post_change(superuser_client, superuser, role="doctor")

    superuser.refresh_from_db()
    assert 'name="role"' not in page
    assert 'name="is_active"' not in page
    assert 'name="is_superuser"' not in page
    assert superuser.role == "admin"
    assert "Nobody changes their own privileges" in response.content.decode()


@pytest.mark.asvs("8.3.1", "16.3.2")
def test_the_privilege_service_refuses_whatever_door_calls_it_and_audits_the_refusal():
    from accounts.services.privileges import PrivilegeChangeRefused, user_privileges_change

    admin = UserFactory.create(role="admin")
    doctor = UserFactory.create(role="doctor")

    with pytest.raises(PrivilegeChangeRefused):
        user_privileges_change(user=admin, changed_by=admin, is_superuser=True)
    with pytest.raises(PrivilegeChangeRefused):
        user_privileges_change(user=doctor, changed_by=admin, role="compliance_officer")
    with pytest.raises(PrivilegeChangeRefused):
        user_privileges_change(user=doctor, changed_by=doctor, is_active=False)

    admin.refresh_from_db()
    doctor.refresh_from_db()
    assert not admin.is_superuser
    assert doctor.role == "doctor"
    assert doctor.is_active
    assert (
        AuditEvent.objects.filter(
            action="accounts.privileges_change_refused", outcome=DENIED
        ).count()
        == 3
    )


@pytest.mark.asvs("8.2.3")
def test_an_administrator_cannot_add_an_administrator(admin_client):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {"email": "new.admin@hospital.test", "full_name": "New Admin", "role": "admin"},
    )

    assert response.status_code == 200
    assert "Only a superuser grants administration-site roles" in response.content.decode()
    assert not User.objects.filter(email="new.admin@hospital.test").exists()
    assert AuditEvent.objects.filter(
        action="accounts.privileges_change_refused", outcome=DENIED
    ).exists()


# --- Point 6: email addresses and passwords --------------------------------------------------


@pytest.mark.asvs("6.4.6", "8.2.3", "16.3.2")
def test_nobody_sets_another_persons_password_in_the_admin_not_even_a_superuser(
    superuser_client,
):
    patient = PatientProfileFactory.create().user
    before = patient.password
    page = _change_page(superuser_client, patient).content.decode()

    form = superuser_client.get(f"/admin/accounts/user/{patient.pk}/password/")
    posted = superuser_client.post(
        f"/admin/accounts/user/{patient.pk}/password/",
        {"password1": "an-admin-chosen-passphrase", "password2": "an-admin-chosen-passphrase"},
    )

    patient.refresh_from_db()
    assert "/password/" not in page
    assert form.status_code == 403
    assert posted.status_code == 403
    assert patient.password == before
    refused = AuditEvent.objects.filter(action="accounts.password_set_refused")
    assert refused.count() == 2
    assert {row.outcome for row in refused} == {DENIED}
    assert refused.first().target_id == str(patient.public_id)


@pytest.mark.asvs("6.4.6")
def test_an_account_added_in_the_admin_has_no_password_the_admin_chose(
    admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/accounts/user/add/",
            {
                "email": "new.nurse@hospital.test",
                "full_name": "New Nurse",
                "role": "nurse",
                "usable_password": "true",
                "password1": TEST_PASSWORD,
                "password2": TEST_PASSWORD,
            },
        )

    user = User.objects.get(email="new.nurse@hospital.test")
    assert response.status_code == 302
    assert not user.has_usable_password()
    assert [message.to for message in mail.outbox] == [["new.nurse@hospital.test"]]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="accounts.user_created", actor=admin_client.admin)
    assert AuditEvent.objects.filter(
        action="accounts.password_reset_sent",
        actor=admin_client.admin,
        target_id=str(user.public_id),
    ).exists()


@pytest.mark.asvs("6.4.6", "16.3.3")
def test_an_administrator_sends_a_password_reset_instead(
    admin_client, django_capture_on_commit_callbacks
):
    patient = PatientProfileFactory.create().user
    before = patient.password

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/accounts/user/",
            {"action": "send_password_reset", "_selected_action": [str(patient.pk)]},
        )

    patient.refresh_from_db()
    assert response.status_code == 302
    assert patient.password == before
    assert [message.to for message in mail.outbox] == [[patient.email]]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    sent = AuditEvent.objects.get(action="accounts.password_reset_sent")
    assert sent.actor == admin_client.admin
    assert sent.target_id == str(patient.public_id)


@pytest.mark.asvs("6.4.6", "8.2.3")
def test_the_change_page_has_a_password_reset_button(
    admin_client, django_capture_on_commit_callbacks
):
    patient = PatientProfileFactory.create().user

    page = _change_page(admin_client, patient).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/accounts/user/{patient.pk}/send-password-reset/")

    assert f"/admin/accounts/user/{patient.pk}/send-password-reset/" in page
    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [[patient.email]]
    assert AuditEvent.objects.filter(action="accounts.password_reset_sent").count() == 1


@pytest.mark.asvs("6.3.6", "8.2.3", "16.3.3")
def test_an_email_changed_by_an_administrator_must_be_confirmed_and_the_old_address_is_told(
    admin_client, django_capture_on_commit_callbacks
):
    patient = PatientProfileFactory.create(user__email="ada@hospital.test").user

    with django_capture_on_commit_callbacks(execute=True):
        response = _post_change(admin_client, patient, email="ada.new@example.org")

    patient.refresh_from_db()
    assert response.status_code == 302
    assert patient.email == "ada.new@example.org"
    addresses = list(EmailAddress.objects.filter(user=patient).values_list("email", "verified"))
    assert addresses == [("ada.new@example.org", False)]
    assert not user_email_verified(user=patient)  # the old verified address no longer counts
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == ["ada.new@example.org", "ada@hospital.test"]
    to_old = next(m for m in mail.outbox if m.to == ["ada@hospital.test"])
    assert "changed" in to_old.subject.lower()
    changed = AuditEvent.objects.get(action="accounts.email_changed_by_staff")
    assert changed.actor == admin_client.admin
    assert changed.patient == patient
    assert "ada" not in str(changed.details)  # no addresses in the audit trail
    # The old address no longer signs in; the new one does only once confirmed.
    old = Client()
    assert web_login(old, "ada@hospital.test").status_code == 200
    new = Client()
    assert web_login(new, "ada.new@example.org")["Location"] == "/accounts/confirm-email/"


@pytest.mark.asvs("8.2.3", "16.3.2")
def test_an_administrator_cannot_change_a_superusers_email(admin_client):
    superuser = UserFactory.create(role="admin", is_superuser=True, email="root@hospital.test")
    page = _change_page(admin_client, superuser).content.decode()

    _post_change(admin_client, superuser, email="attacker@example.org")

    superuser.refresh_from_db()
    assert 'name="email"' not in page
    assert superuser.email == "root@hospital.test"
    assert mail.outbox == []


# --- Point 7 (accounts side): staff profiles and departments ---------------------------------


@pytest.mark.asvs("16.3.3", "8.3.1")
def test_staff_profiles_added_and_changed_in_the_admin_are_audited(admin_client):
    department = DepartmentFactory.create()
    nurse = UserFactory.create(role="nurse")

    added = admin_client.post(
        "/admin/accounts/staffprofile/add/",
        {"user": nurse.pk, "department": department.pk, "title": "Sister", "specialty": ""},
    )
    profile = StaffProfile.objects.get(user=nurse)
    page = admin_client.get(f"/admin/accounts/staffprofile/{profile.pk}/change/")
    changed = admin_client.post(
        f"/admin/accounts/staffprofile/{profile.pk}/change/",
        {**changeform_data(page), "specialty": "Cardiology", "licence_number": "NMC-123"},
    )

    profile.refresh_from_db()
    assert added.status_code == 302
    assert changed.status_code == 302
    assert profile.specialty == "Cardiology"
    created = AuditEvent.objects.get(action="accounts.staff_profile_created")
    assert created.actor == admin_client.admin
    assert created.target_id == str(nurse.public_id)
    updated = AuditEvent.objects.get(action="accounts.staff_profile_updated")
    assert updated.details == {"fields": ["licence_number", "specialty"]}


def test_a_doctors_staff_profile_needs_a_department_in_the_admin_too(admin_client):
    doctor = UserFactory.create(role="doctor")

    response = admin_client.post(
        "/admin/accounts/staffprofile/add/", {"user": doctor.pk, "title": "Dr"}
    )

    assert response.status_code == 200
    assert "Doctors and nurses belong to a department." in response.content.decode()
    assert not StaffProfile.objects.filter(user=doctor).exists()


@pytest.mark.asvs("16.3.3")
def test_departments_added_and_changed_in_the_admin_are_audited(admin_client):
    added = admin_client.post(
        "/admin/accounts/department/add/",
        {"name": "Cardiology", "code": "cardiology", "description": "", "is_active": "on"},
    )
    department = Department.objects.get(code="cardiology")
    changed = admin_client.post(
        f"/admin/accounts/department/{department.pk}/change/",
        {"name": "Cardiology", "code": "cardiology", "description": "Hearts"},
    )

    department.refresh_from_db()
    assert added.status_code == 302
    assert changed.status_code == 302
    assert not department.is_active
    assert AuditEvent.objects.get(action="accounts.department_created").actor == admin_client.admin
    updated = AuditEvent.objects.get(action="accounts.department_updated")
    assert updated.details == {"fields": ["description", "is_active"]}


def test_nothing_that_audit_history_points_at_is_deleted_in_the_admin(superuser_client):
    patient = PatientProfileFactory.create().user
    department = DepartmentFactory.create()

    user_delete = superuser_client.get(f"/admin/accounts/user/{patient.pk}/delete/")
    department_delete = superuser_client.get(f"/admin/accounts/department/{department.pk}/delete/")

    assert user_delete.status_code == 403
    assert department_delete.status_code == 403


# --- Third-party models: no back door around the services -------------------------------------


@pytest.mark.asvs("6.4.6", "8.2.3", "8.3.1")
def test_email_addresses_second_factors_and_role_groups_are_read_only_in_the_admin(
    superuser_client,
):
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    patient = PatientProfileFactory.create().user
    address = EmailAddress.objects.get(user=patient)
    device = TOTPDevice.objects.create(user=patient, name="Phone", confirmed=True)
    group = Group.objects.get(name="Administrators")

    address_page = superuser_client.get(f"/admin/account/emailaddress/{address.pk}/change/")
    address_post = superuser_client.post(
        f"/admin/account/emailaddress/{address.pk}/change/",
        {"user": patient.pk, "email": "attacker@example.org", "verified": "on", "primary": "on"},
    )
    add_address = superuser_client.get("/admin/account/emailaddress/add/")
    device_page = superuser_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    device_list = superuser_client.get("/admin/otp_totp/totpdevice/")
    add_device = superuser_client.get("/admin/otp_totp/totpdevice/add/")
    group_post = superuser_client.post(
        f"/admin/auth/group/{group.pk}/change/", {"name": "Administrators", "permissions": []}
    )

    address.refresh_from_db()
    assert address_page.status_code == 200
    assert 'name="email"' not in address_page.content.decode()
    assert address_post.status_code == 403
    assert address.email == patient.email
    assert add_address.status_code == 403
    assert device.key not in device_page.content.decode()  # the secret never shows
    assert "qrcode" not in device_list.content.decode().lower()
    assert add_device.status_code == 403
    assert group_post.status_code == 403
    assert group.permissions.exists()


@pytest.mark.asvs("8.2.3", "16.3.2")
def test_an_administrator_cannot_send_a_superuser_a_password_reset(
    admin_client, django_capture_on_commit_callbacks
):
    superuser = UserFactory.create(role="admin", is_superuser=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/accounts/user/",
            {"action": "send_password_reset", "_selected_action": [str(superuser.pk)]},
        )

    assert response.status_code == 302
    assert mail.outbox == []
    refused = AuditEvent.objects.get(action="accounts.password_reset_refused")
    assert refused.outcome == DENIED
    assert refused.actor == admin_client.admin
    assert not AuditEvent.objects.filter(action="accounts.password_reset_sent").exists()


@pytest.mark.asvs("8.2.1")
def test_the_compliance_officer_reads_accounts_but_sends_no_password_reset(client):
    officer = StaffProfileFactory.create(user__role="compliance_officer", department=None).user
    login_verified(client, officer)
    patient = PatientProfileFactory.create().user

    page = client.get(f"/admin/accounts/user/{patient.pk}/change/")
    button = client.post(f"/admin/accounts/user/{patient.pk}/send-password-reset/")

    assert page.status_code == 200
    assert "send-password-reset" not in page.content.decode()
    assert button.status_code == 403
    assert mail.outbox == []


@pytest.mark.asvs("16.3.2", "8.2.2")
def test_searching_patient_profiles_in_the_admin_is_an_audited_lookup(admin_client, patient):
    number = patient.patient_profile.medical_record_number

    listed = admin_client.get("/admin/accounts/patientprofile/")
    searched = admin_client.get("/admin/accounts/patientprofile/", {"q": number})

    assert listed.status_code == searched.status_code == 200
    assert number in searched.content.decode()
    rows = AuditEvent.objects.filter(action="accounts.patient_looked_up")
    assert rows.count() == 1  # the search, not the plain list
    row = rows.get()
    assert row.actor == admin_client.admin
    assert row.details == {"surface": "admin", "list": "accounts.patientprofile", "matches": 1}
    assert number not in str(row.details) and number not in row.target_id
