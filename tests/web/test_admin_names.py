"""The admin index names things as people say them: one section per app, no raw labels."""

from __future__ import annotations

import re

import pytest

from tests.conftest import login_verified

pytestmark = pytest.mark.django_db


def test_the_admin_index_has_readable_unique_section_and_model_names(client, admin_user) -> None:
    login_verified(client, admin_user)

    html = client.get("/admin/").content.decode()

    sections = re.findall(r'<caption>\s*<a [^>]*class="section"[^>]*>([^<]+)</a>', html)
    assert sections, "the index lists the apps"
    assert len(sections) == len(set(sections)), sections
    assert "Authenticator apps" in sections
    assert "Sign-in email addresses" in sections
    assert not [name for name in sections if "_" in name or name.isupper()], sections
    assert "Waitlist entries" in html
    assert "entrys" not in html


@pytest.fixture
def booked(db):
    from appointments.services import booking
    from tests.appointments.conftest import MONDAY, NOW, at
    from tests.factories import (
        AppointmentTypeFactory,
        DepartmentFactory,
        PatientProfileFactory,
        PractitionerFactory,
        WorkingHoursFactory,
    )

    department = DepartmentFactory.create()
    visit = AppointmentTypeFactory.create(department=department, duration_minutes=30)
    practitioner = PractitionerFactory.create(department=department, offers=[visit])
    WorkingHoursFactory.create(practitioner=practitioner)
    patient = PatientProfileFactory.create(legal_name="Ada Lovelace").user
    patient.full_name = "Ada Lovelace"
    patient.save(update_fields=["full_name"])
    other = PatientProfileFactory.create(legal_name="Alan Turing").user
    other.full_name = "Alan Turing"
    other.save(update_fields=["full_name"])
    for who, hour in ((patient, 9), (other, 10)):
        booking.appointment_book(
            actor=who,
            patient=who,
            practitioner=practitioner,
            appointment_type=visit,
            start=at(MONDAY, hour),
            channel="web",
            now=NOW,
        )
    return patient


@pytest.mark.parametrize(
    "path", ["/admin/appointments/appointment/", "/admin/appointments/waitlistentry/"]
)
def test_admin_lists_show_the_patient_and_search_by_record_number(
    client, admin_user, booked, path
) -> None:
    from appointments.models import WaitlistEntry
    from audit.models import AuditEvent

    if "waitlist" in path:
        from appointments.models import Appointment

        for appointment in Appointment.objects.all():
            WaitlistEntry.objects.create(
                patient=appointment.patient,
                appointment_type=appointment.appointment_type,
                date_from=appointment.start.date(),
                date_to=appointment.start.date(),
            )
    login_verified(client, admin_user)
    number = booked.patient_profile.medical_record_number

    listed = client.get(path).content.decode()
    searched = client.get(path, {"q": number}).content.decode()

    assert f"Ada Lovelace ({number})" in listed and "Alan Turing" in listed
    assert "Ada Lovelace" in searched and "Alan Turing" not in searched
    looked_up = AuditEvent.objects.get(action="accounts.patient_looked_up")
    assert looked_up.details["matches"] == 1 and number not in str(looked_up.details)


def test_the_admin_has_the_sites_icon(client, admin_user) -> None:
    login_verified(client, admin_user)

    html = client.get("/admin/").content.decode()

    assert re.search(r'<link rel="icon" href="/static/img/favicon[^"]*\.svg"', html)


def _registered():
    from django.contrib import admin

    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.label != "sites.Site"  # one row, set by migrate
    ]


@pytest.mark.parametrize(
    ("label", "model_admin"),
    [(model._meta.label, model_admin) for model, model_admin in _registered()],
)
def test_every_admin_list_has_columns_a_search_and_a_readable_name(label, model_admin) -> None:
    assert model_admin.list_display != ("__str__",), label
    assert model_admin.search_fields, label
    plural = str(model_admin.model._meta.verbose_name_plural)
    assert "_" not in plural and not plural.endswith("ys"), (label, plural)


def test_every_admin_list_searches_without_error(client) -> None:
    from tests.factories import UserFactory

    superuser = UserFactory.create(role="admin", is_superuser=True, is_staff=True)
    login_verified(client, superuser)
    for model, _admin in _registered():
        meta = model._meta
        response = client.get(f"/admin/{meta.app_label}/{meta.model_name}/", {"q": "x"})
        assert response.status_code == 200, meta.label


OUR_APPS = {"accounts", "appointments", "notifications", "audit", "core"}


def _fields_without_a_translated_name() -> list[str]:
    from django.apps import apps
    from django.utils.functional import Promise
    from django_otp.models import Device, SideChannelDevice, ThrottlingMixin, TimestampMixin

    # django-otp's own fields (a device's name, token, throttling counters): its words.
    inherited = {
        field.name
        for base in (Device, SideChannelDevice, ThrottlingMixin, TimestampMixin)
        for field in base._meta.get_fields()
    }
    return [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS
        for field in model._meta.get_fields()
        if getattr(field, "concrete", False) and not field.auto_created
        if not isinstance(field.verbose_name, Promise) and field.name not in inherited
    ]


def test_every_field_of_ours_has_a_translated_name() -> None:
    """The admin's column and field names come from the models: an untranslated one would be
    English in the Spanish and Arabic admin."""
    assert _fields_without_a_translated_name() == []


def test_the_arabic_admin_names_the_fields_in_arabic(client, admin_user) -> None:
    from tests.factories import PatientProfileFactory

    profile = PatientProfileFactory.create()
    login_verified(client, admin_user)
    client.post("/accounts/language/", {"language": "ar", "next": "/admin/"})

    html = client.get(f"/admin/accounts/patientprofile/{profile.pk}/change/").content.decode()

    assert 'lang="ar"' in html
    for english in ("Date of birth", "Legal name", "Postal code", "Emergency contact name"):
        assert f">{english}" not in html, english
