"""What the server-rendered pages cost: exact query counts (the same for one row and for
thirty), and the booking page's links and labels, now built in the view, exactly as the
per-slot template tags wrote them (a clinician in another zone, summer time).

No timing is asserted here: CPU per request is measured by the benchmarks."""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments.views.time_labels import TimeLabels
from core.local_time import describe
from tests.appointments.conftest import MONDAY, NOW, at, book
from tests.conftest import login_verified
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


@pytest.fixture
def assert_page_queries():
    """Exact query counts for a page, leaving out the session store's own read: with Redis the
    session comes from the cache (cached_db), without it (SQLite, CI's embedded pass) from the
    database, which is not the page's cost."""

    @contextmanager
    def exactly(count: int) -> Iterator[None]:
        with CaptureQueriesContext(connection) as queries:
            yield
        own = [q["sql"] for q in queries if "django_session" not in q["sql"]]
        assert len(own) == count, "\n".join(own)

    return exactly


@pytest.fixture
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _open_every_day(practitioner, start=9, end=17):
    for weekday in range(7):
        WorkingHoursFactory.create(
            practitioner=practitioner,
            weekday=weekday,
            start_time=datetime.time(start),
            end_time=datetime.time(end),
        )


def _warm(client, url):
    """The first request of a session reads it from the database into the cache; pages
    are counted from the second on (as every later request of the session costs)."""
    assert client.get(url).status_code == 200


# --- query counts --------------------------------------------------------------------------


@pytest.mark.usefixtures("_frozen_now")
def test_the_booking_page_queries_do_not_grow_with_the_slots(
    client, patient, practitioner, consultation, assert_page_queries
):
    for _ in range(3):  # three more clinicians: the search's queries stay the same
        other = PractitionerFactory.create(
            department=practitioner.department, offers=[consultation]
        )
        _open_every_day(other)
    client.force_login(patient)
    url = f"/appointments/book/?appointment_type={consultation.public_id}&date_from={MONDAY}"
    _warm(client, url)

    # The chosen type, the clinicians offering it, working hours, exceptions, booked times,
    # the patient's own bookings, the form's two selects, the reader's time zone (the user
    # comes from the authentication cache)
    with assert_page_queries(9):
        response = client.get(url)

    assert response.content.decode().count('class="slot"') > 100


@pytest.mark.parametrize("appointments", [1, 30])
def test_my_appointments_costs_the_same_queries_for_one_or_thirty(
    client, department, consultation, appointments, assert_page_queries
):
    practitioner = PractitionerFactory.create(department=department, offers=[consultation])
    _open_every_day(practitioner)
    patient = PatientProfileFactory.create(time_zone="America/New_York").user
    with time_machine.travel(NOW, tick=False):
        booked = [
            book(
                patient,
                practitioner,
                consultation,
                at(MONDAY + datetime.timedelta(days=n // 16), 9)
                + datetime.timedelta(minutes=30 * (n % 16)),
            )
            for n in range(appointments)
        ]
    # A day later than the first visits: some are past, some upcoming.
    with time_machine.travel(at(MONDAY, 20), tick=False):
        client.force_login(patient)
        _warm(client, "/appointments/")
        # The reader's zone, upcoming + cancelled + offered, past, the next appointment's
        # card, the newest unread messages (the user: cached); the read in the audit
        with assert_page_queries(6):
            response = client.get("/appointments/")

    page = response.content.decode()
    assert page.count('href="/appointments/' + str(booked[0].public_id)) == 1
    assert "Mon 2 Mar 2026, 09:00 (Europe/London) — 04:00 your time (America/New_York)" in page


@pytest.mark.usefixtures("_frozen_now")
@pytest.mark.parametrize("view", ["day", "week"])
def test_the_schedule_page_queries_do_not_grow_with_the_rows(
    client, practitioner, consultation, view, assert_page_queries
):
    _open_every_day(practitioner)
    for n in range(12):
        patient = PatientProfileFactory.create().user
        book(
            patient, practitioner, consultation, at(MONDAY, 9) + datetime.timedelta(minutes=30 * n)
        )
    login_verified(client, practitioner.user)
    url = f"/appointments/schedule/?date={MONDAY}&view={view}"
    _warm(client, url)

    # The practitioners (the list; the user's own), the entries (what the clinician may see
    # is a subquery of theirs); the patients shown, in the audit (one INSERT); the user and its
    # second factor come from the cache
    with assert_page_queries(4):
        response = client.get(url)

    assert response.content.decode().count('href="/appointments/') >= 12


def test_the_home_page_queries(client, patient, assert_page_queries):
    _warm(client, "/")
    with assert_page_queries(0):
        anonymous = client.get("/")
    client.force_login(patient)
    _warm(client, "/")
    with assert_page_queries(0):  # the user comes from the authentication cache
        signed_in = client.get("/")

    assert anonymous.status_code == signed_in.status_code == 200


# --- the booking page reads as before ------------------------------------------------------


@pytest.fixture
def berlin_clinic(settings):
    """A hospital in London, a clinician in Berlin (Mondays 09:00-12:00, Berlin time)."""
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


@pytest.mark.parametrize(
    ("patient_zone", "yours"),
    [
        ("", "08:00 your time (Europe/London)"),
        ("America/New_York", "03:00 your time (America/New_York)"),
    ],
)
def test_booking_links_and_labels_for_a_clinician_in_berlin_in_summer(
    client, berlin_clinic, patient_zone, yours
):
    practitioner, echo = berlin_clinic
    patient = PatientProfileFactory.create(time_zone=patient_zone).user
    with time_machine.travel(datetime.datetime(2027, 6, 28, 5, tzinfo=UTC), tick=False):
        client.force_login(patient)
        page = client.get(
            "/appointments/book/", {"appointment_type": echo.public_id, "date_from": JULY_MONDAY}
        ).content.decode()

    # 09:00 in Berlin is 07:00 UTC; the link carries it in the hospital's zone (BST), as
    # ``|date:'c'|urlencode`` did.
    first = (
        f'<li><a class="slot" href="/appointments/book/confirm/?appointment_type={echo.public_id}'
        f"&amp;practitioner={practitioner.public_id}&amp;start=2027-07-05T08%3A00%3A00%2B01%3A00"
        f'">09:00 (Europe/Berlin) — {yours} <span class="muted">{practitioner.display_name}'
        "</span></a></li>"
    )
    last = (
        f"&amp;start=2027-07-05T10%3A30%3A00%2B01%3A00"
        f'">11:30 (Europe/Berlin) — {yours.replace("08:00", "10:30").replace("03:00", "05:30")}'
    )
    assert '<h3 id="day-1">Monday 5 July</h3>' in page
    assert first in page
    assert last in page
    assert page.count('class="slot"') == 6


def test_reception_links_carry_the_patient(client, berlin_clinic):
    practitioner, echo = berlin_clinic
    patient = PatientProfileFactory.create().user
    with time_machine.travel(datetime.datetime(2027, 6, 28, 5, tzinfo=UTC), tick=False):
        login_verified(client, UserFactory.create(role="receptionist"))
        page = client.get(
            "/appointments/book/",
            {
                "patient": patient.public_id,
                "appointment_type": echo.public_id,
                "date_from": JULY_MONDAY,
            },
        ).content.decode()

    assert (
        f"&amp;practitioner={practitioner.public_id}&amp;start=2027-07-05T08%3A00%3A00%2B01%3A00"
        f'&amp;patient={patient.public_id}">09:00 (Europe/Berlin) — 08:00 your time (Europe/London)'
    ) in page


# --- the page's time labels are describe()'s text ------------------------------------------

ZONES = ["Europe/Berlin", "Europe/London", "America/New_York", "Pacific/Auckland", "Asia/Kolkata"]
ONE_NIGHT = datetime.timedelta(hours=13)
FORMATS = ["H:i", "D j M Y, H:i", "l j F Y, H:i", "D j M, H:i", "c", "j/n/Y H\\h"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("viewer", ["", *ZONES])
def test_time_labels_read_as_describe_across_clock_changes(fmt, viewer):
    # Every 47 minutes across the EU and US spring and autumn changes, both sides of midnight.
    instants = [
        start + datetime.timedelta(minutes=47 * n)
        for start in (
            datetime.datetime(2027, 3, 13, tzinfo=UTC),
            datetime.datetime(2027, 3, 27, tzinfo=UTC),
            datetime.datetime(2027, 10, 30, tzinfo=UTC),
            datetime.datetime(2027, 11, 6, tzinfo=UTC),
        )
        for n in range(100)
    ]
    labels = TimeLabels(fmt, viewer_zone=viewer)

    for zone in map(zoneinfo.ZoneInfo, ZONES):
        for instant in instants:
            for end in (None, instant + datetime.timedelta(minutes=30), instant + ONE_NIGHT):
                assert labels.label(instant, zone, end=end) == describe(
                    instant, zone, fmt, end=end, viewer_zone=viewer
                ), (instant, end, zone)


def test_my_appointments_names_clinicians_as_display_name_does(client, department, consultation):
    titled = PractitionerFactory.create(department=department, offers=[consultation])
    untitled = PractitionerFactory.create(
        department=department,
        offers=[consultation],
        user=UserFactory.create(role="nurse", full_name=""),  # no staff profile, no name
        time_zone="Europe/Berlin",
    )
    for practitioner in (titled, untitled):
        _open_every_day(practitioner)
    patient = PatientProfileFactory.create().user
    with time_machine.travel(NOW, tick=False):
        book(patient, titled, consultation, at(MONDAY, 9))
        book(patient, untitled, consultation, at(MONDAY, 10))
        client.force_login(patient)
        page = client.get("/appointments/").content.decode()

    assert titled.display_name.startswith("Dr ")
    assert untitled.display_name == untitled.user.email
    assert f'<td data-label="With">{titled.display_name}</td>' in page
    assert f'<td data-label="With">{untitled.display_name}</td>' in page
    assert "Mon 2 Mar 2026, 11:00 (Europe/Berlin) — 10:00 your time (Europe/London)" in page


def test_the_signed_out_home_page_is_the_same_each_time_and_still_shows_messages(client, patient):
    first = client.get("/")
    again = client.get("/")
    client.force_login(patient)
    client.post("/accounts/logout/")
    after_sign_out = client.get("/").content.decode()
    later = client.get("/")

    assert first.status_code == again.status_code == later.status_code == 200
    assert first.content == again.content == later.content
    assert "You have signed out." in after_sign_out
    assert "You have signed out." not in later.content.decode()


@pytest.mark.parametrize("appointments", [1, 12])
def test_reception_rows_check_in_with_the_pages_own_form_and_token(
    practitioner, consultation, appointments, assert_page_queries
):
    import re

    from django.test import Client

    from appointments.models import Appointment

    _open_every_day(practitioner)
    with time_machine.travel(NOW, tick=False):
        booked = [
            book(
                PatientProfileFactory.create().user,
                practitioner,
                consultation,
                at(MONDAY, 9) + datetime.timedelta(minutes=30 * n),
            )
            for n in range(appointments)
        ]
    desk = Client(enforce_csrf_checks=True)
    with time_machine.travel(at(MONDAY, 8, 30), tick=False):
        login_verified(desk, UserFactory.create(role="receptionist"))
        _warm(desk, "/appointments/reception/")
        # The day's appointments (the practitioners: a subquery); the patients shown, in the
        # audit; the user and its second factor come from the authentication cache
        with assert_page_queries(2):
            page = desk.get("/appointments/reception/").content.decode()
        form = re.search(
            r'<form method="post" action="(/appointments/[^"]+/status/checked_in/)">'
            r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">'
            r'<input type="hidden" name="next" value="/appointments/reception/">'
            r'<button type="submit">Check in</button></form>',
            page,
        )
        assert form is not None, page
        checked = desk.post(
            form.group(1),
            {"csrfmiddlewaretoken": form.group(2), "next": "/appointments/reception/"},
        )

    assert form.group(1) == f"/appointments/{booked[0].public_id}/status/checked_in/"
    assert page.count("<tr>") == appointments + 1  # and the header row
    assert booked[0].patient.patient_profile.medical_record_number in page
    assert "09:00 (Europe/London)" in page
    assert checked.status_code == 302
    assert checked["Location"] == "/appointments/reception/"
    assert Appointment.objects.get(pk=booked[0].pk).status == "checked_in"


@pytest.mark.parametrize("language", ["en", "es", "ar", "en"])
def test_time_labels_name_days_and_months_in_each_language_as_describe_does(language):
    """The names are kept per process and language: a page in Spanish after one in English
    (and English again after Arabic) names them in its own."""
    from django.utils import translation

    instant = datetime.datetime(2027, 4, 5, 9, tzinfo=UTC)
    zone = zoneinfo.ZoneInfo("Europe/London")
    with translation.override(language):
        label = TimeLabels("l j F Y, H:i", viewer_zone="").label(instant, zone)
        assert label == describe(instant, zone, "l j F Y, H:i", viewer_zone="")
