"""Calendar files and private feeds (RFC 5545), read back with the icalendar library: escaping,
UTC times with a clinician in another zone in summer time, SEQUENCE from the revision counter,
a UID that ignores the site domain, reminders, the neutral title mode, 410 for a revoked feed,
and never the reason for the visit."""

from __future__ import annotations

import datetime
import re
import zoneinfo

import icalendar
import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from accounts.services import sessions
from appointments import ical
from appointments.models import Appointment, CalendarFeed
from appointments.services import booking, calendar, status
from audit.models import AuditEvent
from tests.appointments.conftest import MONDAY, NOW, at
from tests.conftest import web_login
from tests.factories import (
    AppointmentTypeFactory,
    DepartmentFactory,
    PractitionerFactory,
    UserFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.django_db

REASON = "Private symptoms: chest pain"
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _api(user) -> APIClient:
    pair = sessions.api_session_start(
        user=user, request=None, mfa_device="test" if user.is_staff_member else ""
    )
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")


def _book(patient, practitioner, appointment_type, start, *, now=NOW, reason=REASON):
    return booking.appointment_book(
        actor=patient,
        patient=patient,
        practitioner=practitioner,
        appointment_type=appointment_type,
        start=start,
        reason=reason,
        channel="web",
        now=now,
    )


def _events(body: bytes | str) -> list[icalendar.Event]:
    raw = body.encode() if isinstance(body, str) else body
    components = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    return [event for event in components if isinstance(event, icalendar.Event)]


def _only_event(body: bytes | str) -> icalendar.Event:
    (event,) = _events(body)
    return event


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def _feed_body(user, *, title_mode=None) -> bytes:
    token = calendar.calendar_feed_create(user=user, title_mode=title_mode)
    response = Client().get(f"/appointments/calendar/{token}.ics")
    assert response.status_code == 200
    return response.content


def test_the_file_parses_and_says_what_when_and_where(patient, practitioner, consultation):
    appointment = _book(patient, practitioner, consultation, at(MONDAY, 9))

    response = _api(patient).get(f"/api/v1/appointments/{appointment.public_id}/calendar.ics")
    event = _only_event(response.content)

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert event.decoded("SUMMARY") == f"Consultation with {practitioner.display_name}"
    assert event.decoded("LOCATION").endswith(", General Practice")
    assert event.decoded("DTSTART") == at(MONDAY, 9)
    assert event.decoded("DTEND") == at(MONDAY, 9, 30)
    assert event.decoded("STATUS") == "CONFIRMED"
    assert event.decoded("UID") == f"{appointment.public_id}@{ical.UID_SUFFIX}"


def test_a_summer_time_visit_with_a_clinician_in_berlin_is_at_the_right_instant(patient):
    department = DepartmentFactory.create(code="derm", name="Dermatology")
    visit = AppointmentTypeFactory.create(department=department, name="Skin check")
    clinician = PractitionerFactory.create(
        department=department, offers=[visit], time_zone="Europe/Berlin"
    )
    WorkingHoursFactory.create(
        practitioner=clinician, weekday=0, start_time=datetime.time(9), end_time=datetime.time(12)
    )
    summer_monday = datetime.date(2026, 7, 6)
    nine_in_berlin = datetime.datetime.combine(summer_monday, datetime.time(9), tzinfo=BERLIN)
    appointment = _book(
        patient,
        clinician,
        visit,
        nine_in_berlin,
        now=datetime.datetime(2026, 6, 29, 8, tzinfo=datetime.UTC),
    )

    body = Client()
    body.force_login(patient)
    content = body.get(f"/appointments/{appointment.public_id}/calendar.ics").content
    event = _only_event(content)

    # 09:00 CEST is 07:00 UTC: written in UTC, so every calendar app shows 09:00 in Berlin.
    assert b"DTSTART:20260706T070000Z" in content
    assert b"DTEND:20260706T073000Z" in content
    assert event.decoded("DTSTART") == nine_in_berlin
    assert event.decoded("DTSTART").astimezone(BERLIN).hour == 9


def test_text_with_line_breaks_commas_and_semicolons_is_escaped(patient, consultation):
    department = DepartmentFactory.create(code="odd", name="Ear, Nose; Throat\rWing B")
    odd_type = AppointmentTypeFactory.create(
        department=department, name="Check\r\nup, short; quick\\ one", duration_minutes=30
    )
    clinician = PractitionerFactory.create(department=department, offers=[odd_type])
    WorkingHoursFactory.create(
        practitioner=clinician, weekday=0, start_time=datetime.time(9), end_time=datetime.time(12)
    )
    appointment = _book(patient, clinician, odd_type, at(MONDAY, 9))

    body = ical.render_calendar([appointment], name="Odd, names; here\r")
    event = _only_event(body)
    text = body.decode()

    # Lines end in CRLF; no bare CR or LF is left inside a line (RFC 5545 3.1, 3.3.11).
    assert "\r" not in text.replace("\r\n", "") and "\n" not in text.replace("\r\n", "")
    assert "Ear\\, Nose\\; Throat\\nWing B" in text.replace("\r\n ", "")
    assert "Check\\nup\\, short\\; quick\\\\ one" in text.replace("\r\n ", "")
    assert str(event.decoded("SUMMARY")).startswith("Check\nup, short; quick\\ one with ")
    assert str(event.decoded("LOCATION")).endswith("Ear, Nose; Throat\nWing B")
    assert "\r\nX-WR-CALNAME:Odd\\, names\\; here\\n\r\n" in text


def test_sequence_counts_reschedules_and_the_cancellation_and_fits_in_32_bits(
    patient, practitioner, consultation
):
    appointment = _book(patient, practitioner, consultation, at(MONDAY, 9))
    sequences = [_only_event(ical.render_calendar([appointment], name="x")).decoded("SEQUENCE")]

    for hour in (10, 11):
        appointment = booking.appointment_reschedule(
            actor=patient, appointment=appointment, new_start=at(MONDAY, hour), now=NOW
        )
        sequences.append(
            _only_event(ical.render_calendar([appointment], name="x")).decoded("SEQUENCE")
        )
    appointment = booking.appointment_cancel(actor=patient, appointment=appointment, now=NOW)
    cancelled = _only_event(ical.render_calendar([appointment], name="x"))
    stored = Appointment.objects.get(pk=appointment.pk)

    assert sequences == [0, 1, 2]
    assert cancelled.decoded("SEQUENCE") == 3
    assert cancelled.decoded("STATUS") == "CANCELLED"
    assert stored.revision == 3
    assert 0 <= cancelled.decoded("SEQUENCE") < 2**31


def test_sequence_counts_the_visits_steps(patient, practitioner, consultation):
    appointment = _book(patient, practitioner, consultation, at(MONDAY, 9))
    receptionist = UserFactory.create(role="receptionist")

    with time_machine.travel(at(MONDAY, 8, 55), tick=False):
        status.appointment_set_status(
            actor=receptionist, appointment=appointment, to_status="checked_in"
        )

    assert Appointment.objects.get(pk=appointment.pk).revision == 1


def test_the_uid_does_not_change_with_the_site_domain(
    patient, practitioner, consultation, settings
):
    appointment = _book(patient, practitioner, consultation, at(MONDAY, 9))

    settings.SITE_DOMAIN = "hospital.example:8443"
    before = _only_event(ical.render_calendar([appointment], name="x")).decoded("UID")
    settings.SITE_DOMAIN = "appointments.new-name.example"
    after = _only_event(ical.render_calendar([appointment], name="x")).decoded("UID")

    assert before == after == f"{appointment.public_id}@{ical.UID_SUFFIX}"
    assert "example" not in before


def test_reminders_a_day_and_an_hour_before_a_booked_visit_only(
    patient, practitioner, consultation
):
    booked = _book(patient, practitioner, consultation, at(MONDAY, 9))
    cancelled = booking.appointment_cancel(
        actor=patient,
        appointment=_book(patient, practitioner, consultation, at(MONDAY, 10)),
        now=NOW,
    )

    booked_event, cancelled_event = _events(ical.render_calendar([booked, cancelled], name="x"))
    alarms = booked_event.walk("VALARM")

    assert sorted(alarm.decoded("TRIGGER") for alarm in alarms) == [
        -datetime.timedelta(days=1),
        -datetime.timedelta(hours=1),
    ]
    assert {str(alarm.decoded("ACTION")) for alarm in alarms} == {"DISPLAY"}
    assert all(alarm.decoded("DESCRIPTION") == booked_event.decoded("SUMMARY") for alarm in alarms)
    assert cancelled_event.walk("VALARM") == []


def test_a_neutral_feed_hides_the_type_the_practitioner_and_the_department(
    patient, practitioner, consultation
):
    _book(patient, practitioner, consultation, at(MONDAY, 9))

    detailed = _feed_body(patient)
    neutral = _feed_body(patient, title_mode="neutral")
    event = _only_event(neutral)

    assert b"Consultation" in detailed
    assert event.decoded("SUMMARY") == "Hospital appointment"
    assert all(
        alarm.decoded("DESCRIPTION") == "Hospital appointment" for alarm in event.walk("VALARM")
    )
    for hidden in ("Consultation", practitioner.display_name, "General Practice"):
        assert hidden not in neutral.decode().replace("\r\n ", "")
    assert event.decoded("DTSTART") == at(MONDAY, 9)


def test_the_patient_chooses_the_title_mode_on_the_calendar_page(
    client, patient, practitioner, consultation
):
    _book(patient, practitioner, consultation, at(MONDAY, 9))
    web_login(client, patient.email)

    created = client.post(
        "/appointments/calendar-feed/", {"action": "create", "title_mode": "neutral"}
    )
    feed_path = _path(created.context["new_url"])
    neutral = Client().get(feed_path).content
    changed = client.post(
        "/appointments/calendar-feed/", {"action": "title_mode", "title_mode": "detailed"}
    )
    detailed = Client().get(feed_path).content
    page = client.get("/appointments/calendar-feed/").content.decode()

    assert created.status_code == 200
    assert _only_event(neutral).decoded("SUMMARY") == "Hospital appointment"
    assert changed.status_code == 302
    assert _only_event(detailed).decoded("SUMMARY").startswith("Consultation with ")
    assert 'value="neutral"' in page and 'value="detailed"' in page
    assert AuditEvent.objects.filter(action="appointments.calendar_feed_changed").count() == 1


def test_the_title_mode_in_the_calendar_feed_api(patient, practitioner, consultation):
    _book(patient, practitioner, consultation, at(MONDAY, 9))
    api = _api(patient)

    none_yet = api.patch("/api/v1/calendar-feed", {"title_mode": "neutral"}, format="json")
    created = api.post("/api/v1/calendar-feed", {"title_mode": "neutral"}, format="json")
    neutral = Client().get(_path(created.json()["url"])).content
    changed = api.patch("/api/v1/calendar-feed", {"title_mode": "detailed"}, format="json")
    again = api.patch("/api/v1/calendar-feed", {"title_mode": "detailed"}, format="json")
    shown = api.get("/api/v1/calendar-feed")
    detailed = Client().get(_path(created.json()["url"])).content
    bad = api.patch("/api/v1/calendar-feed", {"title_mode": "secret"}, format="json")
    empty_patch = api.patch("/api/v1/calendar-feed", {}, format="json")
    replaced = api.post("/api/v1/calendar-feed", {}, format="json")

    assert none_yet.status_code == 404
    assert none_yet.json()["code"] == "CALENDAR_FEED_NOT_FOUND"
    assert created.status_code == 201
    assert created.json()["title_mode"] == "neutral"
    assert _only_event(neutral).decoded("SUMMARY") == "Hospital appointment"
    assert changed.status_code == again.status_code == 200
    assert shown.json()["title_mode"] == "detailed"
    assert _only_event(detailed).decoded("SUMMARY").startswith("Consultation with ")
    assert bad.status_code == 400
    assert "title_mode" in bad.json()["errors"]
    # A PATCH changes only what it names: an empty one reads the settings back.
    assert (empty_patch.status_code, empty_patch.json()["title_mode"]) == (200, "detailed")
    assert replaced.json()["title_mode"] == "detailed"  # a new link keeps the choice
    # Choosing the mode it already has changes nothing and is not audited.
    assert AuditEvent.objects.filter(action="appointments.calendar_feed_changed").count() == 1


def test_a_revoked_or_replaced_feed_is_gone_an_unknown_one_not_found(
    patient, practitioner, consultation
):
    first = calendar.calendar_feed_create(user=patient)
    second = calendar.calendar_feed_create(user=patient)
    live = Client().get(f"/appointments/calendar/{second}.ics")
    replaced = Client().get(f"/appointments/calendar/{first}.ics")
    calendar.calendar_feed_revoke(user=patient)
    revoked = Client().get(f"/appointments/calendar/{second}.ics")
    unknown = Client().get("/appointments/calendar/not-a-feed-token.ics")

    assert live.status_code == 200
    assert replaced.status_code == 410
    assert revoked.status_code == 410
    assert unknown.status_code == 404
    assert CalendarFeed.objects.filter(user=patient, revoked_at__isnull=True).count() == 0


def test_the_feed_of_a_deactivated_account_is_gone(patient):
    token = calendar.calendar_feed_create(user=patient)
    patient.is_active = False
    patient.save(update_fields=["is_active"])

    assert Client().get(f"/appointments/calendar/{token}.ics").status_code == 410


def test_revoking_on_the_page_makes_the_link_gone(client, patient):
    web_login(client, patient.email)
    url = client.post("/appointments/calendar-feed/", {"action": "create"}).context["new_url"]

    client.post("/appointments/calendar-feed/", {"action": "revoke"})

    assert Client().get(_path(url)).status_code == 410


def test_no_calendar_output_carries_the_reason_for_the_visit(
    client, patient, practitioner, consultation
):
    appointment = _book(patient, practitioner, consultation, at(MONDAY, 9))
    client.force_login(patient)

    outputs = [
        client.get(f"/appointments/{appointment.public_id}/calendar.ics").content,
        _api(patient).get(f"/api/v1/appointments/{appointment.public_id}/calendar.ics").content,
        _feed_body(patient),
        _feed_body(patient, title_mode="neutral"),
        _feed_body(practitioner.user),
    ]

    for body in outputs:
        unfolded = body.decode().replace("\r\n ", "")
        assert "BEGIN:VEVENT" in unfolded
        assert "chest pain" not in unfolded
        assert "Private symptoms" not in unfolded


def test_the_feed_reads_one_appointment_or_many_in_the_same_queries(
    patient, practitioner, consultation, cardiologist, echo
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token = calendar.calendar_feed_create(user=patient)
    _book(patient, practitioner, consultation, at(MONDAY, 9))
    with CaptureQueriesContext(connection) as one:
        first = Client().get(f"/appointments/calendar/{token}.ics")
    _book(patient, practitioner, consultation, at(MONDAY, 10))
    _book(patient, cardiologist, echo, at(MONDAY, 11))
    with CaptureQueriesContext(connection) as many:
        more = Client().get(f"/appointments/calendar/{token}.ics")

    assert len(_events(first.content)) == 1
    assert len(_events(more.content)) == 3
    assert len(many.captured_queries) == len(one.captured_queries)


def test_the_feed_link_names_the_public_site_not_the_host_the_request_came_in_on(
    client, patient, settings
):
    """A calendar service fetches the link from the internet: a patient who opened the page
    through another allowed name (an internal one, a load balancer's) still gets the public
    address, on the page, in its one-tap subscriptions and in the API."""
    settings.ALLOWED_HOSTS = ["testserver", "intranet.hospital.local", "care.example.org"]
    settings.HOSPITAL_PUBLIC_URL = "https://care.example.org"
    web_login(client, patient.email)

    page = client.post(
        "/appointments/calendar-feed/",
        {"action": "create", "title_mode": "neutral"},
        HTTP_HOST="intranet.hospital.local",
    )
    api = _api(patient).post(
        "/api/v1/calendar-feed", {}, format="json", HTTP_HOST="intranet.hospital.local"
    )

    assert page.status_code == 200
    assert page.context["new_url"].startswith("https://care.example.org/appointments/calendar/")
    assert page.context["subscribe"]["webcal"].startswith("webcal://care.example.org/")
    assert "intranet.hospital.local" not in page.content.decode()
    assert api.status_code == 201
    assert api.json()["url"].startswith("https://care.example.org/appointments/calendar/")
