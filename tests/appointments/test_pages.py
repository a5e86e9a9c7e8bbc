"""The appointments pages: a patient finds and books a time, moves and cancels it; staff
schedules, reception check-in and schedule management; another patient's page is a 404."""

from __future__ import annotations

import datetime
import re
from urllib.parse import quote

import pytest
import time_machine

from appointments.models import Appointment, WaitlistEntry, WorkingHours
from appointments.services import booking
from tests.appointments.conftest import MONDAY, NOW, at
from tests.conftest import login_verified, web_login
from tests.factories import PatientProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _book(patient, practitioner, consultation, start):
    return booking.appointment_book(
        actor=patient,
        patient=patient,
        practitioner=practitioner,
        appointment_type=consultation,
        start=start,
        channel="web",
        now=NOW,
    )


def test_a_patient_finds_a_time_and_books_it(client, patient, practitioner, consultation):
    web_login(client, patient.email)

    search = client.get(
        "/appointments/book/",
        {"appointment_type": consultation.public_id, "date_from": "2026-03-02"},
    )
    html = search.content.decode()
    start = at(MONDAY, 9, 30).isoformat()
    confirm_url = f"/appointments/book/confirm/?appointment_type={consultation.public_id}&practitioner={practitioner.public_id}&start={quote(start)}"
    confirm = client.get(confirm_url)
    booked = client.post(confirm_url, {"reason": "Sore knee"})

    assert search.status_code == 200
    assert "Monday 2 March" in html
    assert ">09:30 <" in html or "09:30" in html
    assert confirm.status_code == 200
    assert "Monday 2 March 2026, 09:30" in confirm.content.decode()
    appointment = Appointment.objects.get()
    assert booked["Location"] == f"/appointments/{appointment.public_id}/"
    assert appointment.reason == "Sore knee"
    assert appointment.channel == "web"
    mine = client.get("/appointments/").content.decode()
    assert "Consultation" in mine


def test_bad_search_input_is_explained(client, patient, consultation):
    web_login(client, patient.email)

    past = client.get(
        "/appointments/book/",
        {"appointment_type": consultation.public_id, "date_from": "2020-01-01"},
    )
    garbage = client.get(
        "/appointments/book/", {"appointment_type": "nope", "date_from": "someday"}
    )

    assert past.status_code == 400
    assert "today or a later day" in past.content.decode()
    assert garbage.status_code == 400
    assert set(garbage.context["form"].errors) == {"appointment_type", "date_from"}


def test_losing_the_race_on_the_confirm_page_says_so(client, patient, practitioner, consultation):
    _book(PatientProfileFactory.create().user, practitioner, consultation, at(MONDAY, 9))
    web_login(client, patient.email)
    confirm_url = f"/appointments/book/confirm/?appointment_type={consultation.public_id}&practitioner={practitioner.public_id}&start={quote(at(MONDAY, 9).isoformat())}"

    response = client.post(confirm_url, {"reason": ""}, follow=True)

    assert "just booked by someone else" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_another_patients_appointment_pages_are_404(client, patient, practitioner, consultation):
    appointment = _book(
        PatientProfileFactory.create().user, practitioner, consultation, at(MONDAY, 9)
    )
    web_login(client, patient.email)

    statuses = [
        client.get(f"/appointments/{appointment.public_id}/").status_code,
        client.get(f"/appointments/{appointment.public_id}/cancel/").status_code,
        client.post(f"/appointments/{appointment.public_id}/cancel/", {"reason": "x"}).status_code,
        client.get(f"/appointments/{appointment.public_id}/reschedule/").status_code,
        client.get(f"/appointments/{appointment.public_id}/calendar.ics").status_code,
    ]

    assert statuses == [404] * 5
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_move_and_cancel_from_the_pages(client, patient, practitioner, consultation):
    appointment = _book(patient, practitioner, consultation, at(MONDAY, 9))
    web_login(client, patient.email)

    options = client.get(f"/appointments/{appointment.public_id}/reschedule/?date_from=2026-03-02")
    moved = client.post(
        f"/appointments/{appointment.public_id}/reschedule/", {"start": at(MONDAY, 11).isoformat()}
    )
    cancelled = client.post(f"/appointments/{appointment.public_id}/cancel/", {"reason": ""})

    appointment.refresh_from_db()
    assert "11:00" in options.content.decode()
    assert moved.status_code == 302
    assert cancelled.status_code == 302
    assert appointment.status == "cancelled"
    assert appointment.start == at(MONDAY, 11)


def test_the_waitlist_page(client, patient, consultation):
    web_login(client, patient.email)

    joined = client.post(
        "/appointments/waitlist/",
        {
            "join": "1",
            "appointment_type": consultation.public_id,
            "date_from": "2026-03-02",
            "date_to": "2026-03-06",
        },
    )
    backwards = client.post(
        "/appointments/waitlist/",
        {
            "join": "1",
            "appointment_type": consultation.public_id,
            "date_from": "2026-03-06",
            "date_to": "2026-03-02",
        },
    )

    assert joined.status_code == 302
    assert backwards.status_code == 400
    assert WaitlistEntry.objects.filter(patient=patient).count() == 1


def test_the_free_times_page_goes_a_week_back_and_forth_never_before_today(
    client, patient, practitioner, consultation
):
    from html import unescape
    from urllib.parse import parse_qs

    web_login(client, patient.email)

    def week_links(date_from: str) -> dict[str, dict[str, list[str]]]:
        html = unescape(
            client.get(
                "/appointments/book/",
                {"appointment_type": consultation.public_id, "date_from": date_from},
            ).content.decode()
        )
        return {
            name: parse_qs(query)
            for query, name in re.findall(
                r'<a class="pager-(?:previous|next)" href="\?([^"]+)" data-swap>[^<]*?(Previous|Next) week',
                html,
            )
        }

    later = week_links("2026-03-02")
    today = week_links("2026-02-23")  # the frozen today

    assert later["Next"]["date_from"] == ["2026-03-09"]
    assert later["Previous"]["date_from"] == ["2026-02-23"]
    assert later["Next"]["appointment_type"] == [str(consultation.public_id)]
    assert set(today) == {"Next"}


def test_the_calendar_feed_page_shows_the_link_once(client, patient, practitioner, consultation):
    _book(patient, practitioner, consultation, at(MONDAY, 9))
    web_login(client, patient.email)

    created = client.post("/appointments/calendar-feed/", {"action": "create"})
    url = created.context["new_url"]
    feed = client.get(url.replace("http://testserver", ""))
    later = client.get("/appointments/calendar-feed/")

    assert feed.status_code == 200
    assert "BEGIN:VEVENT" in feed.content.decode()
    assert url not in later.content.decode()


def test_the_new_link_comes_with_one_tap_subscriptions(client, patient):
    from html import unescape
    from urllib.parse import parse_qs, urlsplit

    web_login(client, patient.email)

    created = client.post("/appointments/calendar-feed/", {"action": "create"})

    url = created.context["new_url"]
    html = unescape(created.content.decode())
    webcal = "webcal://" + url.split("://", 1)[1]
    links = dict(re.findall(r'<a class="button" href="([^"]+)"[^>]*>(Add to [^<]+)</a>', html))
    by_name = {name: link for link, name in links.items()}
    google = urlsplit(by_name["Add to Google Calendar"])
    outlook = urlsplit(by_name["Add to Outlook"])
    assert (google.netloc, parse_qs(google.query)) == ("calendar.google.com", {"cid": [webcal]})
    assert outlook.netloc == "outlook.live.com"
    assert parse_qs(outlook.query)["url"] == [url]
    assert by_name["Add to Apple Calendar"] == webcal
    assert 'data-copy="#feed-url"' in html
    later = client.get("/appointments/calendar-feed/").content.decode()
    assert "webcal://" not in later  # shown once, with the link


def test_staff_schedule_day_and_week(client, patient, practitioner, consultation):
    _book(patient, practitioner, consultation, at(MONDAY, 9))
    login_verified(client, practitioner.user)

    day = client.get("/appointments/schedule/", {"date": "2026-03-02"})
    week = client.get("/appointments/schedule/", {"date": "2026-03-04", "view": "week"})

    assert day.status_code == 200
    assert patient.get_full_name() in day.content.decode()
    assert "Monday 2 March 2026" in week.content.decode()
    assert "Sunday 8 March 2026" in week.content.decode()


def test_patients_have_no_schedule_reception_or_management_pages(client, patient):
    web_login(client, patient.email)

    assert client.get("/appointments/schedule/").status_code == 404
    assert client.get("/appointments/reception/").status_code == 404
    assert client.get("/appointments/manage/").status_code == 404


def test_reception_checks_a_patient_in(client, patient, practitioner, consultation):
    appointment = _book(patient, practitioner, consultation, at(MONDAY, 9))

    with time_machine.travel(at(MONDAY, 8, 50), tick=False):
        login_verified(client, UserFactory.create(role="receptionist"))
        today = client.get("/appointments/reception/")
        checked = client.post(
            f"/appointments/{appointment.public_id}/status/checked_in/",
            {"next": "/appointments/reception/"},
        )

    appointment.refresh_from_db()
    assert patient.get_full_name() in today.content.decode()
    # The row's time opens the appointment.
    assert (
        f'<td data-label="Time"><a href="/appointments/{appointment.public_id}/">09:00'
        in today.content.decode()
    )
    assert checked["Location"] == "/appointments/reception/"
    assert appointment.status == "checked_in"


def test_an_administrator_manages_hours_and_leave(client, practitioner):
    login_verified(client, UserFactory.create(role="admin"))
    page = f"/appointments/manage/{practitioner.public_id}/"

    added = client.post(
        f"{page}hours/",
        {
            "weekday": 2,
            "start_time": "13:00",
            "end_time": "17:00",
            "valid_from": "2026-01-01",
        },
    )
    clash = client.post(
        f"{page}hours/",
        {
            "weekday": 2,
            "start_time": "16:00",
            "end_time": "18:00",
            "valid_from": "2026-01-01",
        },
    )
    leave = client.post(
        f"{page}exceptions/",
        {
            "kind": "leave",
            "start": "2026-03-02T00:00",
            "end": "2026-03-03T00:00",
            "reason": "Course",
        },
    )

    assert added.status_code == 302
    assert clash.status_code == 400
    assert "overlap" in clash.content.decode()
    assert leave.status_code == 302
    assert WorkingHours.objects.filter(practitioner=practitioner, weekday=2).count() == 1
    exception = practitioner.exceptions.get()
    assert exception.start == datetime.datetime(
        2026, 3, 2, 0, 0, tzinfo=datetime.UTC
    )  # London is on GMT then


def test_a_doctor_cannot_manage_schedules(client, practitioner):
    login_verified(client, practitioner.user)

    assert client.get(f"/appointments/manage/{practitioner.public_id}/").status_code == 404


def test_an_administrator_manages_schedules_in_the_django_admin(client, practitioner):
    from tests.factories import StaffProfileFactory

    admin = StaffProfileFactory.create(user__role="admin", department=None).user
    login_verified(client, admin)

    practitioners = client.get("/admin/appointments/practitioner/")
    change = client.get(f"/admin/appointments/practitioner/{practitioner.pk}/change/")
    types = client.get("/admin/appointments/appointmenttype/add/")
    appointment_add = client.get("/admin/appointments/appointment/add/")

    assert practitioners.status_code == 200
    assert change.status_code == 200
    assert "Working hours" in change.content.decode()
    assert types.status_code == 200
    assert appointment_add.status_code == 403  # bookings go through the booking service


@pytest.mark.parametrize(
    ("role", "links"),
    [
        ("patient", {"/appointments/"}),
        ("doctor", {"/appointments/schedule/"}),
        ("receptionist", {"/appointments/schedule/", "/appointments/reception/"}),
        ("admin", {"/appointments/schedule/", "/appointments/reception/", "/appointments/manage/"}),
        ("compliance_officer", set()),
    ],
)
def test_the_navigation_shows_each_role_its_appointment_pages(client, role, links):
    from tests.factories import StaffProfileFactory

    user = (
        PatientProfileFactory.create().user
        if role == "patient"
        else StaffProfileFactory.create(user__role=role).user
    )
    if role == "patient":
        web_login(client, user.email)
    else:
        login_verified(client, user)

    nav = client.get("/").content.decode().split("</nav>")[0]

    shown = {
        path
        for path in (
            "/appointments/",
            "/appointments/schedule/",
            "/appointments/reception/",
            "/appointments/manage/",
        )
        if f'href="{path}"' in nav
    }
    assert shown == links


def test_past_the_cutoff_the_page_says_to_call_instead_of_offering_cancel(
    client, patient, practitioner, consultation
):
    appointment = _book(patient, practitioner, consultation, at(MONDAY, 9))

    with time_machine.travel(at(MONDAY, 9) - datetime.timedelta(hours=2), tick=False):
        web_login(client, patient.email)
        page = client.get(f"/appointments/{appointment.public_id}/").content.decode()

    assert "too late to move or cancel this appointment online" in page
    assert f"/appointments/{appointment.public_id}/cancel/" not in page


def test_reception_books_for_a_patient_without_the_record_number_in_any_url(
    client, patient, practitioner, consultation
):
    login_verified(client, UserFactory.create(role="receptionist"))
    mrn = patient.patient_profile.medical_record_number

    ask = client.get("/appointments/book/")
    unknown = client.post("/appointments/book/", {"medical_record_number": "MRN000000000"})
    chosen = client.post("/appointments/book/", {"medical_record_number": mrn.lower()})
    search = client.get(
        chosen["Location"] + f"&appointment_type={consultation.public_id}&date_from=2026-03-02"
    )
    html = search.content.decode()
    confirm_url = html.split('class="slot" href="')[1].split('"')[0].replace("&amp;", "&")
    booked = client.post(confirm_url, {"reason": ""})

    assert ask.status_code == 200
    assert "medical record number" in ask.content.decode()
    assert unknown.status_code == 400
    assert "No patient you can book for has this medical record number" in unknown.content.decode()
    assert chosen["Location"] == f"/appointments/book/?patient={patient.public_id}"
    assert f"Booking for <strong>{patient.get_full_name()}</strong>" in html
    assert mrn not in chosen["Location"] + confirm_url + booked["Location"]
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.channel == "reception"
    assert appointment.booked_by.role == "receptionist"


def test_the_waitlist_page_offers_accept_and_decline_only_for_a_held_time(
    client, patient, practitioner, consultation, django_capture_on_commit_callbacks
):
    from appointments.services import waitlist

    waiting = PatientProfileFactory.create().user
    for person in (waiting, patient):
        waitlist.waitlist_join(
            actor=person,
            patient=person,
            appointment_type=consultation,
            date_from=MONDAY,
            date_to=MONDAY,
        )
    booked = _book(UserFactory.create(role="patient"), practitioner, consultation, at(MONDAY, 9))
    with django_capture_on_commit_callbacks(execute=True):
        booking.appointment_cancel(actor=booked.patient, appointment=booked, now=NOW)
    hold = WaitlistEntry.objects.get(patient=waiting).offered_appointment

    web_login(client, waiting.email)
    offered_page = client.get("/appointments/waitlist/").content.decode()
    client.logout()
    web_login(client, patient.email)
    waiting_page = client.get("/appointments/waitlist/").content.decode()

    assert hold is not None
    assert f'name="target" value="{hold.public_id}"' in offered_page
    assert offered_page.count('value="accept"') == offered_page.count('value="decline"') == 1
    assert offered_page.count('value="leave"') == 1
    assert 'value="accept"' not in waiting_page
    assert waiting_page.count('value="leave"') == 1
