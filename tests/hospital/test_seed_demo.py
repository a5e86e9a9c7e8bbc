"""`manage.py seed_demo`: demo logins, idempotent, refused in production."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from accounts.models import User
from audit.models import AuditEvent
from core.seeding import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def _snapshot() -> tuple[list[tuple], int]:
    users = list(
        User.objects.order_by("pk").values_list(
            "pk", "email", "password", "is_staff", "is_superuser", "public_id", "date_joined"
        )
    )
    return users, AuditEvent.objects.count()


def test_seed_creates_an_admin_and_sample_users_and_prints_their_logins():
    out = StringIO()

    call_command("seed_demo", stdout=out)

    printed = out.getvalue()
    admin = User.objects.get(email="admin@hospital.example")
    assert admin.is_superuser and admin.is_staff
    assert User.objects.filter(is_staff=False).count() >= 3
    assert "admin@hospital.example" in printed
    assert DEMO_PASSWORD in printed
    assert authenticate(username="admin@hospital.example", password=DEMO_PASSWORD) == admin
    assert (
        AuditEvent.objects.filter(
            action="accounts.user_created", details__source="seed_demo"
        ).count()
        == User.objects.count()
    )


def test_running_it_twice_changes_nothing():
    call_command("seed_demo", stdout=StringIO())
    before = _snapshot()

    out = StringIO()
    call_command("seed_demo", stdout=out)

    assert _snapshot() == before
    assert "admin@hospital.example" in out.getvalue()


def test_it_leaves_a_changed_demo_password_alone():
    call_command("seed_demo", stdout=StringIO())
    admin = User.objects.get(email="admin@hospital.example")
    admin.set_password("a-new-private-passphrase-chosen")
    admin.save()

    call_command("seed_demo", stdout=StringIO())

    admin.refresh_from_db()
    assert admin.check_password("a-new-private-passphrase-chosen")


def test_it_refuses_to_run_in_production(settings):
    settings.IS_PRODUCTION = True

    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo", stdout=StringIO())

    assert User.objects.count() == 0
