"""End to end, in a real browser: a patient finds a free time, books it, sees it among their
appointments and cancels it; the slot is offered again afterwards."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import Page, expect

from appointments.models import Appointment
from tests.factories import (
    TEST_PASSWORD,
    AppointmentTypeFactory,
    DepartmentFactory,
    PatientProfileFactory,
    PractitionerFactory,
    WorkingHoursFactory,
)


@pytest.mark.django_db(transaction=True)
def test_a_patient_books_and_cancels_in_the_browser(
    live_server, browser_page: tuple[Page, list[str]], tmp_path
):
    page, console_errors = browser_page
    department = DepartmentFactory.create(name="General Practice")
    consultation = AppointmentTypeFactory.create(
        department=department, name="GP consultation", duration_minutes=20
    )
    practitioner = PractitionerFactory.create(department=department, offers=[consultation])
    for weekday in range(7):  # open every day, so tomorrow always has times
        WorkingHoursFactory.create(
            practitioner=practitioner,
            weekday=weekday,
            start_time=datetime.time(9),
            end_time=datetime.time(12),
            valid_from=datetime.date(2020, 1, 1),
        )
    patient = PatientProfileFactory.create().user

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(patient.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Appointments").click()
    page.get_by_role("link", name="Book an appointment").first.click()
    page.get_by_label("Type of appointment").select_option(label=str(consultation))
    # Far enough ahead to cancel online (patients may cancel up to 24 hours before).
    in_three_days = datetime.datetime.now(tz=datetime.UTC).date() + datetime.timedelta(days=3)
    page.get_by_label("From").fill(in_three_days.isoformat())
    page.get_by_role("button", name="Show free times").click()
    first_slot = page.locator("a.slot").first
    first_time = first_slot.inner_text().split()[0]
    first_slot.click()
    expect(page.get_by_role("heading", name="Confirm the appointment")).to_be_visible()
    page.get_by_label("Reason for the visit (optional)").fill("Persistent cough")
    page.get_by_role("button", name="Book it").click()

    expect(page.get_by_text("Your appointment is booked.")).to_be_visible()
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.status == "booked"
    assert appointment.start.astimezone(practitioner.zone).strftime("%H:%M") == first_time

    page.goto(f"{live_server.url}/appointments/")
    expect(page.get_by_role("table", name="Upcoming appointments")).to_contain_text(
        "GP consultation"
    )
    page.get_by_role("table", name="Upcoming appointments").get_by_role("link").first.click()
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("button", name="Cancel the appointment").click()

    expect(page.get_by_text("The appointment was cancelled.")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    page.screenshot(path=str(tmp_path / "booked-and-cancelled.png"), full_page=True)
    assert not [text for text in console_errors if "content security policy" in text.lower()]


@pytest.mark.django_db(transaction=True)
def test_the_booking_form_groups_types_and_offers_only_who_offers_the_type(
    live_server, browser_page: tuple[Page, list[str]]
):
    page, console_errors = browser_page
    general = DepartmentFactory.create(name="General Practice")
    cardiology = DepartmentFactory.create(name="Cardiology")
    consultation = AppointmentTypeFactory.create(department=general, name="GP consultation")
    echo = AppointmentTypeFactory.create(department=cardiology, name="Echocardiogram")
    gp = PractitionerFactory.create(department=general, offers=[consultation])
    cardiologist = PractitionerFactory.create(department=cardiology, offers=[echo])
    patient = PatientProfileFactory.create().user

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(patient.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/appointments/book/")
    types = page.get_by_label("Type of appointment")
    clinicians = page.get_by_label("Practitioner")

    # Types under their department.
    assert types.locator("optgroup").evaluate_all("groups => groups.map(g => g.label)") == [
        "Cardiology",
        "General Practice",
    ]
    types.select_option(label=str(echo))
    visible = clinicians.locator("option:not([hidden])").all_inner_texts()
    assert visible == ["Any available", cardiologist.display_name]
    clinicians.select_option(label=cardiologist.display_name)
    # Another type: the cardiologist does not offer it, so the choice goes back to "Any".
    types.select_option(label=str(consultation))
    assert clinicians.input_value() == ""
    assert clinicians.locator("option:not([hidden])").all_inner_texts() == [
        "Any available",
        gp.display_name,
    ]

    # While the free times load, the button says so (the submit is held back here).
    page.evaluate(
        "document.querySelector('form[data-busy]')"
        ".addEventListener('submit', e => e.preventDefault())"
    )
    page.get_by_role("button", name="Show free times").click()
    busy = page.get_by_role("button", name="Finding free times\u2026")
    expect(busy).to_have_attribute("aria-busy", "true")
    expect(page.get_by_role("status").filter(has_text="Finding free times")).to_have_count(1)
    assert [error for error in console_errors if "/ws/notifications/" not in error] == []
