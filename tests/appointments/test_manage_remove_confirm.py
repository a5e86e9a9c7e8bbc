"""Removing working hours or leave on the manage page asks first: the Remove link opens a
page naming what goes and what stays; only its POST removes."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from appointments.models import AvailabilityException, WorkingHours
from audit.models import AuditEvent
from tests.conftest import login_verified
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def leave(practitioner):
    # Coming up, so the page lists it.
    start = (timezone.now() + datetime.timedelta(days=10)).replace(microsecond=0)
    return AvailabilityException.objects.create(
        practitioner=practitioner, kind="leave", start=start, end=start + datetime.timedelta(days=1)
    )


@pytest.fixture
def admin_client(client):
    login_verified(client, UserFactory.create(role="admin"))
    return client


def test_remove_links_open_a_confirmation_and_change_nothing(admin_client, practitioner, leave):
    page_url = f"/appointments/manage/{practitioner.public_id}/"
    rule = practitioner.working_hours.get()

    page = admin_client.get(page_url).content.decode()
    hours_question = admin_client.get(f"{page_url}hours/{rule.public_id}/remove/")
    leave_question = admin_client.get(f"{page_url}exceptions/{leave.public_id}/remove/")

    assert f'href="{page_url}hours/{rule.public_id}/remove/"' in page
    assert f'href="{page_url}exceptions/{leave.public_id}/remove/"' in page
    assert hours_question.status_code == leave_question.status_code == 200
    hours_html = hours_question.content.decode()
    assert "Remove these working hours?" in hours_html
    assert "Monday, 09:00–12:00" in hours_html  # noqa: RUF001 - the page's en dash
    assert "Appointments already booked in them stay booked." in hours_html
    assert "Remove this leave or blocked time?" in leave_question.content.decode()
    assert WorkingHours.objects.filter(pk=rule.pk).exists()
    assert AvailabilityException.objects.filter(pk=leave.pk).exists()
    assert not AuditEvent.objects.filter(action__contains="removed").exists()


def test_the_confirmations_post_removes_and_is_audited(admin_client, practitioner, leave):
    page_url = f"/appointments/manage/{practitioner.public_id}/"
    rule = practitioner.working_hours.get()

    removed_hours = admin_client.post(f"{page_url}hours/{rule.public_id}/remove/")
    removed_leave = admin_client.post(f"{page_url}exceptions/{leave.public_id}/remove/")

    assert removed_hours.status_code == removed_leave.status_code == 302
    assert not WorkingHours.objects.filter(pk=rule.pk).exists()
    assert not AvailabilityException.objects.filter(pk=leave.pk).exists()
    assert AuditEvent.objects.filter(action__contains="removed").count() == 2


@pytest.mark.parametrize("role", ["doctor", "receptionist", "patient"])
def test_only_schedule_managers_see_the_confirmation(client, practitioner, leave, role):
    user = UserFactory.create(role=role)
    if role == "patient":
        client.force_login(user)
    else:
        login_verified(client, user)
    page_url = f"/appointments/manage/{practitioner.public_id}/"
    rule = practitioner.working_hours.get()

    asked = client.get(f"{page_url}hours/{rule.public_id}/remove/")
    asked_leave = client.get(f"{page_url}exceptions/{leave.public_id}/remove/")

    assert asked.status_code == asked_leave.status_code == 404
