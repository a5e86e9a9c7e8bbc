"""Every page of the Django admin that shows a patient's name or address records a read of
their record (audit/access.py): each registered model's list, add page and the change page of
each of its rows, opened by an administrator, is checked for the patient's name and email,
and wherever either appears the request must have written a row about that patient."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.urls import NoReverseMatch, reverse

from accounts.services.identity import identity_change_request
from appointments.services import waitlist
from appointments.services.calendar import calendar_feed_create
from audit.models import AuditEvent
from notifications.models import Category, Notification
from tests.appointments.conftest import MONDAY, NOW, at, book
from tests.conftest import login_verified
from tests.factories import PatientProfileFactory

pytestmark = pytest.mark.django_db

NAME = "Quillon Vexbury"
EMAIL = "quillon.vexbury@hospital.test"
ROWS_PER_MODEL = 5


@pytest.fixture
def marked(practitioner, consultation):
    """A patient whose name and address are found nowhere else, with a row of everything
    the admin lists about a patient."""
    with time_machine.travel(NOW, tick=False):
        patient = PatientProfileFactory.create(user__full_name=NAME, user__email=EMAIL).user
        book(patient, practitioner, consultation, at(MONDAY, 9))
        waitlist.waitlist_join(
            actor=patient,
            patient=patient,
            appointment_type=consultation,
            date_from=MONDAY,
            date_to=MONDAY,
        )
        identity_change_request(patient=patient, legal_name="Quillon Vexbury-Changed")
        calendar_feed_create(user=patient)
        Notification.objects.create(
            recipient=practitioner.user,
            patient=patient,
            kind="schedule.changed",
            category=Category.SCHEDULE,
            title="New booking",
            body="Consultation, Q. Vexbury",
        )
    return patient


def admin_pages() -> list[tuple[str, str]]:
    """(label, path) of every registered model's list, add page and rows' change pages."""
    pages = []
    for model in admin.site._registry:
        meta = model._meta
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        pages.append((f"{meta.label_lower} list", reverse(f"{prefix}_changelist")))
        pages.append((f"{meta.label_lower} add", reverse(f"{prefix}_add")))
        for row in model._default_manager.all()[:ROWS_PER_MODEL]:
            try:
                path = reverse(f"{prefix}_change", args=[quote(row.pk)])
            except NoReverseMatch:
                continue
            pages.append((f"{meta.label_lower} #{row.pk}", path))
    return pages


def test_every_admin_page_that_shows_a_patient_records_the_read(client, marked, admin_user):
    login_verified(client, admin_user)
    showed, unrecorded = [], []

    for label, path in admin_pages():
        before = AuditEvent.objects.concerning(marked.pk).filter(action="records.viewed").count()
        response: Any = client.get(path)
        if response.status_code != 200:
            continue
        content = response.content.decode()
        if NAME not in content and EMAIL not in content and "Vexbury" not in content:
            continue
        showed.append(label)
        after = AuditEvent.objects.concerning(marked.pk).filter(action="records.viewed").count()
        if after == before:
            unrecorded.append(label)

    assert unrecorded == [], unrecorded
    # The test looked where the patient is: their user, profile, appointment and more.
    assert {"accounts.user list", "accounts.patientprofile list"} <= set(showed)
    assert any(label.startswith("appointments.appointment #") for label in showed), showed
    assert len(showed) >= 6, showed


def test_the_practitioner_pickers_search_never_lists_patients(client, marked, admin_user):
    """The person picker on the practitioner page searches clinicians only: a patient's name
    finds nothing (and no patient's name leaves), a doctor's finds them."""
    doctor = PatientProfileFactory.create().user
    doctor.role, doctor.full_name = "doctor", "Orla Vexbury"
    doctor.save(update_fields=["role", "full_name"])
    login_verified(client, admin_user)
    picker = {"app_label": "appointments", "model_name": "practitioner", "field_name": "user"}

    response = client.get("/admin/autocomplete/", {**picker, "term": "Vexbury"})

    assert response.status_code == 200
    assert [result["id"] for result in response.json()["results"]] == [str(doctor.pk)]
    assert NAME not in response.content.decode()
