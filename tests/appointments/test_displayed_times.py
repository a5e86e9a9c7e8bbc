"""Every page, email and API field that shows a time shows it in the zone it names.

A clinician in Europe/Berlin, a hospital in Europe/London (and one in America/New_York),
summer-time dates (July 2027, and the day after the clocks went forward on 28 March 2027):
Django's ``date`` filter converts to the current zone, so the old pages showed 09:00 Berlin
as "08:00 (Europe/Berlin)". The texts asserted here are the exact renderings.
"""

# ruff: noqa: RUF001 - the pages use en dashes in time ranges
from __future__ import annotations

import datetime
import html
import re
import zoneinfo
from urllib.parse import quote

import pytest
import time_machine
from django.core import mail

from accounts.models import PatientProfile
from accounts.services.emails import user_email_change_by_staff
from appointments.models import AvailabilityException
from appointments.services import booking, waitlist
from core.local_time import describe
from tests.appointments.conftest import api_as
from tests.conftest import login_verified, web_login
from tests.factories import (
    AppointmentTypeFactory,
    DepartmentFactory,
    PatientProfileFactory,
    PractitionerFactory,
    UserFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
JULY_MONDAY = datetime.date(2027, 7, 5)
# The EU clocks go forward on Sunday 28 March 2027; the Monday after is summer time.
AFTER_CLOCKS_CHANGE = datetime.date(2027, 3, 29)


def _text(response) -> str:
    """The page's text with tags stripped and entities decoded, whitespace collapsed."""
    body = response.content.decode()
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def _berlin(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=BERLIN)


@pytest.fixture
def clinic(settings):
    """A hospital in London with a clinician in Berlin who works Monday mornings (Berlin)."""
    settings.TIME_ZONE = "Europe/London"
    department = DepartmentFactory.create(name="Cardiology")
    echo = AppointmentTypeFactory.create(
        department=department, name="Echocardiogram", duration_minutes=30
    )
    practitioner = PractitionerFactory.create(
        department=department, offers=[echo], time_zone="Europe/Berlin"
    )
    WorkingHoursFactory.create(
        practitioner=practitioner,
        weekday=0,
        start_time=datetime.time(9),
        end_time=datetime.time(12),
    )
    return practitioner, echo


def _book(patient, practitioner, appointment_type, start):
    return booking.appointment_book(
        actor=patient,
        patient=patient,
        practitioner=practitioner,
        appointment_type=appointment_type,
        start=start,
        channel="web",
    )


@pytest.mark.parametrize("day", [JULY_MONDAY, AFTER_CLOCKS_CHANGE], ids=["july", "after-28-march"])
def test_every_patient_page_shows_the_clinicians_time_and_the_patients(client, clinic, day):
    practitioner, echo = clinic
    patient = PatientProfileFactory.create().user
    waiting = PatientProfileFactory.create().user
    long_name = day.strftime("%A %-d %B %Y")  # "Monday 5 July 2027"
    short_name = day.strftime("%a %-d %b %Y")  # "Mon 5 Jul 2027"
    short_day = day.strftime("%a %-d %b")
    with time_machine.travel(
        datetime.datetime.combine(day, datetime.time(5), tzinfo=UTC), tick=False
    ):
        start = _berlin(day, 9)  # 07:00 UTC, 08:00 in London
        web_login(client, patient.email)
        search = client.get(
            "/appointments/book/", {"appointment_type": echo.public_id, "date_from": str(day)}
        )
        confirm = client.get(
            "/appointments/book/confirm/"
            f"?appointment_type={echo.public_id}&practitioner={practitioner.public_id}"
            f"&start={quote(start.isoformat())}"
        )
        appointment = _book(patient, practitioner, echo, start)
        detail = client.get(f"/appointments/{appointment.public_id}/")
        mine = client.get("/appointments/")
        cancel = client.get(f"/appointments/{appointment.public_id}/cancel/")
        reschedule = client.get(f"/appointments/{appointment.public_id}/reschedule/")
        # A freed 10:00 (Berlin) is offered to a waiting patient, held for two hours.
        waitlist.waitlist_join(
            actor=waiting, patient=waiting, appointment_type=echo, date_from=day, date_to=day
        )
        waitlist.waitlist_offer_time(
            practitioner_id=practitioner.pk, appointment_type_id=echo.pk, start=_berlin(day, 10)
        )
        client.logout()
        web_login(client, waiting.email)
        offer_list = client.get("/appointments/")
        offer_waitlist = client.get("/appointments/waitlist/")

    both = "(Europe/Berlin) — "
    # Free times: the clinician's wall clock, and the patient's (lead time: from 07:00 UTC).
    assert f"09:00 {both}08:00 your time (Europe/London) {practitioner.display_name}" in (
        _text(search)
    )
    assert f"09:30 {both}08:30 your time (Europe/London)" in _text(reschedule)
    assert f"When {long_name}, 09:00 {both}08:00 your time (Europe/London)" in _text(confirm)
    assert f"When {long_name}, 09:00–09:30 {both}08:00–08:30 your time (Europe/London)" in _text(
        detail
    )
    assert f"{short_name}, 09:00 {both}08:00 your time (Europe/London)" in _text(mine)
    assert f"{long_name}, 09:00 {both}08:00 your time (Europe/London)" in _text(cancel)
    assert f"Now: Echocardiogram with {practitioner.display_name}, {long_name}, 09:00 {both}" in (
        _text(reschedule)
    )
    offered = f"{short_name}, 10:00 {both}09:00 your time (Europe/London)"
    held = f"held for you until {short_day}, 08:00 (Europe/London)"  # 07:00 UTC
    assert f"{offered}; {held}" in _text(offer_list)
    assert f"{offered}; {held}" in _text(offer_waitlist)
    for page in (confirm, detail, mine, cancel):
        assert "08:00 (Europe/Berlin)" not in _text(page)  # the old, wrong rendering


def test_staff_pages_show_the_clinicians_time(client, clinic):
    practitioner, echo = clinic
    patient = PatientProfileFactory.create().user
    with time_machine.travel(datetime.datetime(2027, 7, 5, 5, tzinfo=UTC), tick=False):
        _book(patient, practitioner, echo, _berlin(JULY_MONDAY, 9))
        AvailabilityException.objects.create(
            practitioner=practitioner,
            start=_berlin(datetime.date(2027, 7, 6), 13),
            end=_berlin(datetime.date(2027, 7, 6), 17),
            reason="Training",
        )
        login_verified(client, UserFactory.create(role="receptionist"))
        reception = client.get("/appointments/reception/")
        login_verified(client, practitioner.user)
        day = client.get("/appointments/schedule/", {"date": "2027-07-05"})
        week = client.get("/appointments/schedule/", {"date": "2027-07-05", "view": "week"})
        login_verified(client, UserFactory.create(role="admin"))
        manage = client.get(f"/appointments/manage/{practitioner.public_id}/")

    staff_row = "09:00 (Europe/Berlin) — 08:00 your time (Europe/London)"
    assert staff_row in _text(reception)
    assert "09:00–09:30 (Europe/Berlin) — 08:00–08:30 your time (Europe/London)" in _text(day)
    assert "Monday 5 July 2027" in _text(week)
    assert "09:00–09:30 (Europe/Berlin) — 08:00–08:30 your time (Europe/London)" in _text(week)
    assert (
        "Tue 6 Jul 2027, 13:00 (Europe/Berlin) — 12:00 your time (Europe/London) "
        "Tue 6 Jul 2027, 17:00 (Europe/Berlin) — 16:00 your time (Europe/London) Training"
    ) in _text(manage)


def test_a_patient_with_their_own_zone_sees_it_beside_the_clinics(client, clinic):
    practitioner, echo = clinic
    patient = PatientProfileFactory.create(time_zone="America/New_York").user
    with time_machine.travel(datetime.datetime(2027, 7, 5, 5, tzinfo=UTC), tick=False):
        appointment = _book(patient, practitioner, echo, _berlin(JULY_MONDAY, 9))
        web_login(client, patient.email)
        detail = client.get(f"/appointments/{appointment.public_id}/")
        sessions = client.get("/accounts/sessions/")

    assert (
        "Monday 5 July 2027, 09:00–09:30 (Europe/Berlin) — 03:00–03:30 your time (America/New_York)"
    ) in _text(detail)
    # Times without a clinic (where you're signed in) are in the patient's own zone.
    assert "5 Jul 2027, 01:00 (America/New_York)" in _text(sessions)


def test_the_patient_sets_their_zone_on_the_profile_page(client, clinic):
    patient = PatientProfileFactory.create().user
    web_login(client, patient.email)

    form = client.get("/accounts/profile/")
    before = client.get("/accounts/")
    bad = client.post(
        "/accounts/profile/", {"time_zone": "Mars/Olympus", "preferred_language": "en"}
    )
    saved = client.post(
        "/accounts/profile/", {"time_zone": "Europe/Berlin", "preferred_language": "en"}
    )

    assert "The hospital's (Europe/London)" in _text(form)
    assert "Your time zone Europe/London (the hospital's)" in _text(before)
    assert bad.status_code == 400
    assert "time_zone" in bad.context["form"].errors
    assert saved.status_code == 302
    assert PatientProfile.objects.get(user=patient).time_zone == "Europe/Berlin"
    assert "Your time zone Europe/Berlin" in _text(client.get("/accounts/"))


def test_new_york_hospital_shows_its_own_time_beside_berlins(client, clinic, settings):
    practitioner, echo = clinic
    settings.TIME_ZONE = "America/New_York"
    patient = PatientProfileFactory.create().user
    with time_machine.travel(datetime.datetime(2027, 7, 5, 5, tzinfo=UTC), tick=False):
        appointment = _book(patient, practitioner, echo, _berlin(JULY_MONDAY, 9))
        web_login(client, patient.email)
        detail = client.get(f"/appointments/{appointment.public_id}/")
        mine = client.get("/appointments/")

    assert (
        "Monday 5 July 2027, 09:00–09:30 (Europe/Berlin) — 03:00–03:30 your time (America/New_York)"
    ) in _text(detail)
    assert "Mon 5 Jul 2027, 09:00 (Europe/Berlin) — 03:00 your time (America/New_York)" in _text(
        mine
    )


def test_a_clinician_in_the_hospitals_zone_shows_one_time_in_summer(client, settings):
    """London clinician, London hospital, July: 09:00 (Europe/London), no second time (the old
    pages showed 08:00, the UTC time)."""
    settings.TIME_ZONE = "Europe/London"
    department = DepartmentFactory.create()
    echo = AppointmentTypeFactory.create(department=department, name="Echo", duration_minutes=30)
    practitioner = PractitionerFactory.create(department=department, offers=[echo])
    WorkingHoursFactory.create(practitioner=practitioner, weekday=0)
    patient = PatientProfileFactory.create().user
    with time_machine.travel(datetime.datetime(2027, 7, 5, 5, tzinfo=UTC), tick=False):
        london = zoneinfo.ZoneInfo("Europe/London")
        appointment = _book(
            patient, practitioner, echo, datetime.datetime(2027, 7, 5, 9, tzinfo=london)
        )
        web_login(client, patient.email)
        detail = _text(client.get(f"/appointments/{appointment.public_id}/"))

    assert "When Monday 5 July 2027, 09:00–09:30 (Europe/London) With" in detail


@pytest.mark.parametrize(
    ("recipient_zone", "expected"),
    [
        ("", "5 July 2027, 08:15 (Europe/London)"),
        ("Europe/Berlin", "5 July 2027, 09:15 (Europe/Berlin)"),
    ],
)
def test_emails_show_times_in_the_recipients_zone(
    settings, django_capture_on_commit_callbacks, recipient_zone, expected
):
    settings.TIME_ZONE = "Europe/London"
    patient = PatientProfileFactory.create(time_zone=recipient_zone).user
    old_address = patient.email
    administrator = UserFactory.create(role="admin")
    with (
        time_machine.travel(datetime.datetime(2027, 7, 5, 7, 15, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        user_email_change_by_staff(
            user=patient, email="new-address@hospital.test", changed_by=administrator
        )

    told = [m for m in mail.outbox if m.to == [old_address]]
    assert len(told) == 1, [m.subject for m in mail.outbox]
    assert f"at {expected}." in re.sub(r"\s+", " ", str(told[0].body))


def test_the_api_local_fields_are_in_the_clinicians_zone(clinic):
    practitioner, echo = clinic
    patient = PatientProfileFactory.create().user
    with time_machine.travel(datetime.datetime(2027, 7, 5, 5, tzinfo=UTC), tick=False):
        api = api_as(patient)
        slots = api.get(
            "/api/v1/slots",
            {
                "appointment_type": str(echo.public_id),
                "date_from": "2027-07-05",
                "date_to": "2027-07-05",
            },
        )
        body = slots.json()
        rows = body["results"] if isinstance(body, dict) else body
        booked = api.post(
            "/api/v1/appointments",
            {
                "appointment_type": str(echo.public_id),
                "practitioner": str(practitioner.public_id),
                "start": rows[0]["start"],
            },
            format="json",
        )

    assert slots.status_code == 200
    assert rows[0]["start"] == "2027-07-05T07:00:00Z"  # instants are UTC whatever TIME_ZONE is
    assert rows[0]["local_start"] == "2027-07-05T09:00:00+02:00"
    assert booked.status_code == 201, booked.content
    assert booked.json()["start"] == "2027-07-05T07:00:00Z"


def test_describe_spans_midnight_with_the_date():
    start = datetime.datetime(2027, 7, 5, 7, tzinfo=UTC)

    text = describe(start, "Europe/Berlin", "D j M, H:i", viewer_zone="Pacific/Honolulu")

    assert (
        text == "Mon 5 Jul, 09:00 (Europe/Berlin) — Sun 4 Jul, 21:00 your time (Pacific/Honolulu)"
    )


def test_time_zone_comes_from_the_environment_and_must_be_an_iana_name(tmp_path):
    from tests.hospital.run_manage import run_manage

    shown = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.TIME_ZONE)",
        env={"TIME_ZONE": "America/New_York"},
        tmp_var=tmp_path,
    )
    default = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.TIME_ZONE)",
        env={},
        tmp_var=tmp_path,
    )
    bad = run_manage("check", env={"TIME_ZONE": "Mars/Olympus"}, tmp_var=tmp_path)

    assert shown.stdout.strip().splitlines()[-1] == "America/New_York"
    assert default.stdout.strip().splitlines()[-1] == "Europe/London"
    assert bad.returncode != 0
    assert bad.stderr.strip().splitlines() == [
        "Configuration error: TIME_ZONE: expected an IANA time zone name such as "
        "Europe/London, got 'Mars/Olympus'"
    ]


def test_no_template_formats_a_time_of_day_with_the_date_filter():
    """Times of day go through {% local_time %}; ``|date`` is left for days (and ISO instants
    in links, whose offset keeps them exact). ``|date`` would convert to the current zone."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    time_of_day = re.compile(r"""\|date:["']([^"']*)["']""")
    offenders = [
        f"{path.relative_to(root)}: {match.group(0)}"
        for path in root.rglob("*.*")
        if path.suffix in {".html", ".txt"} and "admin" not in path.parts
        for match in time_of_day.finditer(path.read_text())
        if set(match.group(1)) & set("aABfgGhHiPsueOTZ") and match.group(1) != "c"
    ]

    assert offenders == []


def test_the_patient_sets_their_zone_on_the_api_too(clinic):
    patient = PatientProfileFactory.create().user
    api = api_as(patient)

    bad = api.patch("/api/v1/account/profile", {"time_zone": "Mars/Olympus"}, format="json")
    saved = api.patch("/api/v1/account/profile", {"time_zone": "Asia/Tokyo"}, format="json")
    back = api.patch("/api/v1/account/profile", {"time_zone": ""}, format="json")

    assert bad.status_code == 400
    assert bad.json()["errors"] == {"time_zone": ["Enter a time zone name such as Europe/London."]}
    assert saved.status_code == 200
    assert saved.json()["time_zone"] == "Asia/Tokyo"
    assert back.json()["time_zone"] == ""  # the hospital's zone again
