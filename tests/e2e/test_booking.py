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
