"""accounts.User: email login, case-insensitive uniqueness, public id, admin."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.migrations.loader import MigrationLoader
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.selectors.users import user_get_by_email
from accounts.services.users import user_create
from audit.models import AuditEvent
from tests.conftest import login_verified, totp_code
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_the_custom_user_model_is_active_from_the_first_migration():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    initial = loader.get_migration("accounts", "0001_initial")

    assert get_user_model() is User
    assert initial.initial is True
    assert any(getattr(op, "name", None) == "User" for op in initial.operations)


def test_email_is_unique_whatever_its_case_in_the_database():
    UserFactory.create(email="Foo@X.org")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="foo@x.org", password="!")])  # bypasses validation

    assert User.objects.filter(email__iexact="foo@x.org").count() == 1


def test_creating_a_second_account_with_another_case_is_a_clear_validation_error():
    user_create(email="Foo@X.org", password=TEST_PASSWORD)

    with pytest.raises(ValidationError) as raised:
        user_create(email="foo@x.org", password=TEST_PASSWORD)

    assert "An account with this email address already exists." in str(raised.value)
    assert User.objects.count() == 1
    assert AuditEvent.objects.filter(action="accounts.user_created").count() == 1


def test_login_finds_the_account_whatever_the_case_typed():
    created = UserFactory.create(email="Grace.Hopper@Hospital.test")

    assert authenticate(username="grace.hopper@hospital.test", password=TEST_PASSWORD) == created
    assert authenticate(username="GRACE.HOPPER@HOSPITAL.TEST", password=TEST_PASSWORD) == created
    assert (
        authenticate(username="grace.hopper@hospital.test", password="wrong-password-entirely")
        is None
    )
    assert user_get_by_email(email=" GRACE.hopper@hospital.TEST ") == created


def test_email_domain_is_normalised_on_creation():
    user = user_create(email="Ada@EXAMPLE.ORG", password=TEST_PASSWORD)

    assert user.email == "Ada@example.org"


def test_each_user_gets_a_random_public_id():
    first, second = UserFactory.create(), UserFactory.create()

    assert isinstance(first.public_id, uuid.UUID)
    assert first.public_id.version == 4
    assert first.public_id != second.public_id


def test_user_create_audits_the_creation(admin_user):
    user = user_create(
        email="new.nurse@hospital.test",
        password=TEST_PASSWORD,
        role="nurse",
        created_by=admin_user,
        source="test",
    )

    event = AuditEvent.objects.get(action="accounts.user_created")
    assert event.actor == admin_user
    assert event.actor_role == "admin"
    assert event.target_type == "accounts.user"
    assert event.target_id == str(user.public_id)
    assert event.details == {"role": "nurse", "is_superuser": False, "source": "test"}


def test_an_invalid_email_creates_nothing():
    with pytest.raises(ValidationError):
        user_create(email="not-an-email", password=TEST_PASSWORD)

    assert User.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_the_admin_signs_in_through_the_site_login_and_its_second_factor(client, admin_user):
    device = TOTPDevice.objects.create(user=admin_user, name="App", confirmed=True)

    to_admin_login = client.get("/admin/")
    to_login = client.get(to_admin_login["Location"])
    password_step = client.post(
        "/accounts/login/?next=/admin/",
        {"login": admin_user.email.upper(), "password": TEST_PASSWORD},
    )
    otp_step = client.post("/accounts/2fa/verify/", {"method": "totp", "code": totp_code(device)})
    admin_index = client.get("/admin/")

    assert to_admin_login["Location"] == "/admin/login/?next=/admin/"
    assert to_login["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert password_step.status_code == 302
    assert password_step["Location"] == "/accounts/2fa/verify/"
    assert otp_step.status_code == 302
    assert otp_step["Location"] == "/admin/"
    assert admin_index.status_code == 200
    assert b"Site administration" in admin_index.content


def test_admin_can_add_a_user_and_the_case_variant_duplicate_is_refused(client, admin_user):
    login_verified(client, admin_user)
    form = {
        "email": "New.Doctor@Hospital.test",
        "full_name": "New Doctor",
        "role": "doctor",
        "usable_password": "true",
        "password1": TEST_PASSWORD,
        "password2": TEST_PASSWORD,
    }

    created = client.post("/admin/accounts/user/add/", form)
    duplicate = client.post(
        "/admin/accounts/user/add/", {**form, "email": "new.doctor@hospital.test"}
    )

    assert created.status_code == 302
    assert duplicate.status_code == 200
    assert "An account with this email address already exists." in duplicate.content.decode()
    assert User.objects.filter(email__iexact="new.doctor@hospital.test").count() == 1


def test_admin_user_list_and_change_pages_render(client, admin_user):
    login_verified(client, admin_user)
    other = UserFactory.create()

    assert client.get("/admin/accounts/user/").status_code == 200
    page = client.get(f"/admin/accounts/user/{other.pk}/change/")
    assert page.status_code == 200
    assert str(other.public_id) in page.content.decode()
