"""The schedules admin writes through the availability services: the overlap check and the
audit row hold there as on the API (issue 8, point 7)."""

from __future__ import annotations

import datetime

import pytest

from appointments.models import AppointmentType, AvailabilityException, Practitioner, WorkingHours
from audit.models import AuditEvent
from tests.admin_pages import changeform_data, inline_add_row
from tests.conftest import login_verified
from tests.factories import StaffProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

OVERLAP = "These hours overlap hours already set"


@pytest.fixture
def admin_client(client):
    admin = UserFactory.create(role="admin")
    login_verified(client, admin)
    client.admin = admin
    return client


def _page(client, practitioner):
    return client.get(f"/admin/appointments/practitioner/{practitioner.pk}/change/")


def _post(client, practitioner, data):
    return client.post(f"/admin/appointments/practitioner/{practitioner.pk}/change/", data)


def _hours(weekday, start, end):
    return {
        "weekday": str(weekday),
        "start_time": start,
        "end_time": end,
        "valid_from": "2020-01-01",
        "valid_until": "",
    }


@pytest.mark.asvs("8.3.1", "16.3.3")
def test_an_overlapping_inline_row_is_refused_readably_and_nothing_is_written(
    admin_client, practitioner
):
    data = changeform_data(_page(admin_client, practitioner))
    inline_add_row(data, "working_hours", _hours(1, "09:00", "12:00"))  # Tuesday: fine alone
    inline_add_row(data, "working_hours", _hours(0, "10:00", "11:00"))  # Monday: overlaps 9-12
    inline_add_row(
        data,
        "exceptions",
        {
            "kind": "leave",
            "start_0": "2026-03-09",
            "start_1": "00:00",
            "end_0": "2026-03-10",
            "end_1": "00:00",
            "reason": "",
        },
    )

    response = _post(admin_client, practitioner, data)

    assert response.status_code == 200
    assert OVERLAP in response.content.decode()
    assert "Please correct the error" in response.content.decode()
    assert list(
        WorkingHours.objects.filter(practitioner=practitioner).values_list("weekday", flat=True)
    ) == [0]
    assert not AvailabilityException.objects.filter(practitioner=practitioner).exists()
    assert not AuditEvent.objects.filter(action__startswith="appointments.").exists()


@pytest.mark.asvs("8.3.1", "16.3.3")
def test_two_new_rows_that_overlap_each_other_are_refused_too(admin_client, practitioner):
    data = changeform_data(_page(admin_client, practitioner))
    inline_add_row(data, "working_hours", _hours(2, "09:00", "12:00"))
    inline_add_row(data, "working_hours", _hours(2, "11:00", "13:00"))

    response = _post(admin_client, practitioner, data)

    assert response.status_code == 200
    assert OVERLAP in response.content.decode()
    assert WorkingHours.objects.filter(practitioner=practitioner).count() == 1


@pytest.mark.asvs("8.3.1", "16.3.3")
def test_working_hours_and_leave_added_and_removed_in_the_admin_are_audited(
    admin_client, practitioner
):
    monday = WorkingHours.objects.get(practitioner=practitioner)
    data = changeform_data(_page(admin_client, practitioner))
    data["working_hours-0-DELETE"] = "on"
    inline_add_row(data, "working_hours", _hours(0, "13:00", "17:00"))
    inline_add_row(
        data,
        "exceptions",
        {
            "kind": "leave",
            "start_0": "2026-03-09",
            "start_1": "00:00",
            "end_0": "2026-03-10",
            "end_1": "00:00",
            "reason": "Course",
        },
    )

    response = _post(admin_client, practitioner, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    hours = WorkingHours.objects.get(practitioner=practitioner)
    assert (hours.start_time, hours.end_time) == (datetime.time(13), datetime.time(17))
    assert not WorkingHours.objects.filter(pk=monday.pk).exists()
    assert AvailabilityException.objects.get(practitioner=practitioner).kind == "leave"
    actions = list(
        AuditEvent.objects.filter(actor=admin_client.admin).values_list("action", flat=True)
    )
    assert actions == [
        "appointments.working_hours_removed",
        "appointments.working_hours_added",
        "appointments.exception_added",
    ]
    assert AuditEvent.objects.filter(target_id=str(practitioner.public_id)).count() == 3


@pytest.mark.asvs("8.3.1")
def test_existing_rows_are_read_only_they_are_removed_and_added_instead(admin_client, practitioner):
    page = _page(admin_client, practitioner)
    data = changeform_data(page)
    data["working_hours-0-start_time"] = "06:00:00"  # a tampered post of a read-only row

    response = _post(admin_client, practitioner, data)

    assert 'name="working_hours-0-start_time"' not in page.content.decode()
    assert response.status_code == 302
    assert WorkingHours.objects.get(practitioner=practitioner).start_time == datetime.time(9)


@pytest.mark.asvs("16.3.3")
def test_practitioners_added_and_changed_in_the_admin_are_audited(
    admin_client, department, consultation
):
    doctor = StaffProfileFactory.create(department=department).user
    added = admin_client.post(
        "/admin/appointments/practitioner/add/",
        {
            "user": doctor.pk,
            "department": department.pk,
            "time_zone": "Europe/Paris",
            "appointment_types": [consultation.pk],
            "working_hours-TOTAL_FORMS": "1",
            "working_hours-INITIAL_FORMS": "0",
            "working_hours-0-weekday": "3",
            "working_hours-0-start_time": "08:00",
            "working_hours-0-end_time": "12:00",
            "working_hours-0-valid_from": "2026-01-01",
            "exceptions-TOTAL_FORMS": "0",
            "exceptions-INITIAL_FORMS": "0",
        },
    )
    practitioner = Practitioner.objects.get(user=doctor)
    changed = _post(
        admin_client,
        practitioner,
        {**changeform_data(_page(admin_client, practitioner)), "time_zone": "Europe/London"},
    )

    practitioner.refresh_from_db()
    assert added.status_code == 302, added.content.decode()[:3000]
    assert changed.status_code == 302
    assert practitioner.time_zone == "Europe/London"
    assert list(practitioner.appointment_types.all()) == [consultation]
    actions = list(
        AuditEvent.objects.filter(actor=admin_client.admin).values_list("action", "details")
    )
    assert actions == [
        ("appointments.practitioner_created", {}),
        ("appointments.working_hours_added", {"weekday": 3}),
        ("appointments.practitioner_changed", {"fields": ["time_zone"]}),
    ]


def test_a_practitioner_must_be_a_clinician_in_the_admin_too(admin_client, department):
    receptionist = UserFactory.create(role="receptionist")

    response = admin_client.post(
        "/admin/appointments/practitioner/add/",
        {
            "user": receptionist.pk,
            "department": department.pk,
            "time_zone": "Europe/London",
            "working_hours-TOTAL_FORMS": "0",
            "working_hours-INITIAL_FORMS": "0",
            "exceptions-TOTAL_FORMS": "0",
            "exceptions-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "Practitioners are doctors or nurses." in response.content.decode()
    assert not Practitioner.objects.filter(user=receptionist).exists()
    assert not AuditEvent.objects.filter(action__startswith="appointments.").exists()


@pytest.mark.asvs("16.3.3")
def test_appointment_types_added_and_changed_in_the_admin_are_audited(admin_client, department):
    added = admin_client.post(
        "/admin/appointments/appointmenttype/add/",
        {
            "name": "Follow-up",
            "department": department.pk,
            "duration_minutes": "15",
            "buffer_after_minutes": "0",
            "patient_bookable": "on",
            "lead_time_minutes": "60",
            "booking_horizon_days": "30",
        },
    )
    follow_up = AppointmentType.objects.get(name="Follow-up")
    page = admin_client.get(f"/admin/appointments/appointmenttype/{follow_up.pk}/change/")
    changed = admin_client.post(
        f"/admin/appointments/appointmenttype/{follow_up.pk}/change/",
        {**changeform_data(page), "duration_minutes": "20"},
    )

    follow_up.refresh_from_db()
    assert added.status_code == 302, added.content.decode()[:3000]
    assert changed.status_code == 302
    assert follow_up.duration_minutes == 20
    assert AuditEvent.objects.get(action="appointments.type_created").actor == admin_client.admin
    assert AuditEvent.objects.get(action="appointments.type_changed").details == {
        "fields": ["duration_minutes"]
    }


def test_appointments_and_the_waitlist_are_read_only_in_the_admin(client, practitioner):
    superuser = UserFactory.create(role="admin", is_superuser=True)
    login_verified(client, superuser)

    practitioner_delete = client.get(f"/admin/appointments/practitioner/{practitioner.pk}/delete/")

    assert practitioner_delete.status_code == 403


def test_a_type_change_the_rules_refuse_writes_nothing(admin_client, consultation):
    page = admin_client.get(f"/admin/appointments/appointmenttype/{consultation.pk}/change/")

    refused = admin_client.post(
        f"/admin/appointments/appointmenttype/{consultation.pk}/change/",
        {**changeform_data(page), "duration_minutes": "3", "preparation": "Bring your inhaler."},
    )

    consultation.refresh_from_db()
    assert refused.status_code == 200
    assert "A visit lasts between 5 minutes and 8 hours." in refused.content.decode()
    assert (consultation.duration_minutes, consultation.preparation) == (30, "")
    assert not AuditEvent.objects.filter(action="appointments.type_changed").exists()


def test_the_services_refuse_a_field_the_admin_may_not_change(consultation):
    from django.core.exceptions import ValidationError

    from appointments.services import availability

    with pytest.raises(ValidationError) as refused:
        availability.appointment_type_update(
            actor=None, appointment_type=consultation, public_id="x"
        )

    assert "public_id" in refused.value.message_dict
