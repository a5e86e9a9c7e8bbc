"""Who may do what with appointments, on every surface: role x action x surface, one table.

Surfaces: the API, the pages, the Django admin, and calendars (the .ics of one appointment on
the pages and the API, the private calendar feed). The world of every case:

- department A: the ``doctor`` (practitioner of the patient's visit A1, 09:00) and a
  ``nurse`` (a practitioner of A too, with no patient of her own);
- department B: ``other_clinician``, the practitioner of the second patient's visit A2 (10:00);
- ``patient`` owns A1 ("Sore knee") and a waitlist entry; ``second_patient`` owns A2
  ("Chest pain"); a third patient, with nothing, is the one staff book for.

Each cell is the status a role gets, or for what a list shows: "listed"/"absent" (the row is
or is not in the API list, the feed), "names"/"busy" (the schedule shows the patient, or only
a busy block). Beyond the status, every case checks: the reason for the visit appears only to
the patient and the visit's practitioner (never on a schedule, in the admin or a calendar);
a page's POST changes something exactly when the API's same action succeeds for that role;
and every record-number lookup is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from appointments.models import Appointment, WaitlistEntry, WorkingHours
from appointments.services import calendar, waitlist
from audit.models import AuditEvent
from tests.appointments.conftest import MONDAY, NOW, api_as, at, book
from tests.conftest import login_verified
from tests.factories import (
    PatientProfileFactory,
    PractitionerFactory,
    StaffProfileFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "patient",
    "second_patient",
    "doctor",
    "nurse",
    "other_clinician",
    "receptionist",
    "admin",
    "compliance_officer",
)
_LOGIN, _ADMIN_LOGIN = 302, 302  # to the sign-in page; to the admin's (which refuses them)


def _row(*cells: int | str) -> tuple[int | str, ...]:
    assert len(cells) == len(ROLES)
    return cells


# Rows in the order of ROLES: anon, patient, 2nd patient, doctor, nurse, other clinician,
# receptionist, admin, compliance officer.
_ADMIN_ONLY = _row(*[_ADMIN_LOGIN] * 7, 200, 403)
_VIEW_A1 = _row(_LOGIN, 200, 404, 200, 404, 404, 200, 200, 404)
_VIEW_A2 = _row(_LOGIN, 404, 200, 404, 404, 200, 200, 200, 404)
_API_VIEW_A1 = _row(401, *_VIEW_A1[1:])
_API_VIEW_A2 = _row(401, *_VIEW_A2[1:])
# A page POST that a role may reach: 302 whether it is done or refused (the next page says
# which); the effect check tells them apart.
_TREAT = {
    "api": _row(401, 403, 404, 200, 404, 404, 403, 403, 404),
    "page": _row(_LOGIN, 302, 404, 302, 404, 404, 302, 302, 404),
}
_CHANGE = {
    "api": _row(401, 200, 404, 403, 404, 404, 200, 200, 404),
    "page": _row(_LOGIN, 302, 404, 302, 404, 404, 302, 302, 404),
}

TABLE: dict[str, dict[str, tuple[int | str, ...]]] = {
    "view_own_appointment": {  # A1: the patient's own
        "api": _API_VIEW_A1,
        "page": _VIEW_A1,
        "ics_page": _VIEW_A1,
        "ics_api": _API_VIEW_A1,
        "admin": _ADMIN_ONLY,
        "feed": _row(404, "listed", "absent", "listed", *["absent"] * 5),
    },
    "view_another_patients_appointment": {  # A2: the second patient's, in department B
        "api": _API_VIEW_A2,
        "page": _VIEW_A2,
        "ics_page": _VIEW_A2,
        "ics_api": _API_VIEW_A2,
        "admin": _ADMIN_ONLY,
        "feed": _row(404, "absent", "listed", "absent", "absent", "listed", *["absent"] * 3),
    },
    "schedule_of_own_practitioner": {  # the doctor's (department A)
        "page": _row(_LOGIN, 404, 404, "names", "busy", "busy", "names", "names", 404),
        "api": _row(
            401, "listed", "absent", "listed", "absent", "absent", "listed", "listed", "absent"
        ),
        "admin": _ADMIN_ONLY,
    },
    "schedule_of_another_department": {  # the other clinician's (department B)
        "page": _row(_LOGIN, 404, 404, "busy", "busy", "names", "names", "names", 404),
        "api": _row(
            401, "absent", "listed", "absent", "absent", "listed", "listed", "listed", "absent"
        ),
        "admin": _ADMIN_ONLY,
    },
    "check_in": {
        "api": _row(401, 403, 404, 403, 404, 404, 200, 200, 404),
        "page": _row(_LOGIN, 302, 404, 302, 404, 404, 302, 302, 404),
    },
    "undo_check_in": {  # as check-in: whoever checks in undoes it
        "api": _row(401, 403, 404, 403, 404, 404, 200, 200, 404),
        "page": _row(_LOGIN, 302, 404, 302, 404, 404, 302, 302, 404),
    },
    "start": _TREAT,
    "complete": _TREAT,
    "cancel": _CHANGE,
    "reschedule": _CHANGE,
    "book_for_self": {
        "api": _row(401, 201, 201, 403, 403, 403, 403, 403, 403),
        "page": _row(_LOGIN, 302, 302, 404, 404, 404, 404, 404, 404),
    },
    "book_for_another_patient": {
        "api": _row(401, 403, 403, 403, 403, 403, 201, 201, 403),
        # A patient's form has no patient field: they can only book for themselves.
        "page": _row(_LOGIN, 302, 302, 404, 404, 404, 302, 302, 404),
    },
    "look_up_by_record_number": {
        "page": _row(_LOGIN, 404, 404, 404, 404, 404, 302, 302, 404),
    },
    "manage_working_hours": {
        "api": _row(401, 403, 403, 403, 403, 403, 403, 201, 403),
        "page": _row(_LOGIN, 404, 404, 404, 404, 404, 404, 302, 404),
        "admin": _ADMIN_ONLY,
    },
    "waitlist_entries": {  # the patient's entry
        "api": _row(401, "listed", *["absent"] * 7),
        "admin": _ADMIN_ONLY,
        "admin_list": _ADMIN_ONLY,
    },
}
CASES = [
    (action, surface, role, cells[index])
    for action, surfaces in TABLE.items()
    for surface, cells in surfaces.items()
    for index, role in enumerate(ROLES)
]

REASON_A1, REASON_A2 = "Sore knee", "Chest pain"
# Who reads the reason for the visit of each appointment: its patient and its practitioner.
READERS = {"A1": {"patient", "doctor"}, "A2": {"second_patient", "other_clinician"}}
# Surfaces that never carry the reason for the visit, whoever looks.
_NEVER_REASON = {"ics_page", "ics_api", "feed", "admin", "admin_list"}
_SUBJECT = {
    "view_own_appointment": "A1",
    "view_another_patients_appointment": "A2",
    "schedule_of_own_practitioner": "A1",
    "schedule_of_another_department": "A2",
}


@dataclass
class World:
    patient: User
    second: User
    third: User
    doctor: Any
    nurse: Any
    cardiologist: Any
    consultation: Any
    a1: Appointment
    a2: Appointment
    entry: WaitlistEntry
    staff: dict[str, User]

    def actor(self, role: str) -> User | None:
        return {
            "anonymous": None,
            "patient": self.patient,
            "second_patient": self.second,
            "doctor": self.doctor.user,
            "nurse": self.nurse.user,
            "other_clinician": self.cardiologist.user,
            **self.staff,
        }[role]


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(patient, practitioner, consultation, department, cardiologist, echo) -> World:
    patient.full_name = "Pat Owner"
    patient.save(update_fields=["full_name"])
    second = PatientProfileFactory.create(user__full_name="Sam Second").user
    nurse_user = StaffProfileFactory.create(user__role="nurse", department=department).user
    nurse = PractitionerFactory.create(department=department, user=nurse_user)
    entry = waitlist.waitlist_join(
        actor=patient,
        patient=patient,
        appointment_type=consultation,
        date_from=MONDAY,
        date_to=MONDAY,
    )
    return World(
        patient=patient,
        second=second,
        third=PatientProfileFactory.create(user__full_name="Tia Third").user,
        doctor=practitioner,
        nurse=nurse,
        cardiologist=cardiologist,
        consultation=consultation,
        a1=book(patient, practitioner, consultation, at(MONDAY, 9), reason=REASON_A1),
        a2=book(second, cardiologist, echo, at(MONDAY, 10), reason=REASON_A2),
        entry=entry,
        staff={
            role: UserFactory.create(role=role)
            for role in ("receptionist", "admin", "compliance_officer")
        },
    )


@dataclass
class Caller:
    world: World
    actor: User | None
    api: APIClient
    page: Client


def _caller(world: World, role: str) -> Caller:
    actor = world.actor(role)
    page = Client()
    if actor is None:
        return Caller(world, None, APIClient(), page)
    if actor.is_staff_member:
        login_verified(page, actor)
    else:
        page.force_login(actor)
    return Caller(world, actor, api_as(actor), page)


# --- What each (action, surface) does ---------------------------------------------------------


def _appointment(world: World, action: str) -> Appointment:
    return world.a1 if _SUBJECT.get(action, "A1") == "A1" else world.a2


def _view(surface: str, appointment: Appointment):
    def probe(c: Caller):
        public_id = appointment.public_id
        return {
            "api": lambda: c.api.get(f"/api/v1/appointments/{public_id}"),
            "page": lambda: c.page.get(f"/appointments/{public_id}/"),
            "ics_page": lambda: c.page.get(f"/appointments/{public_id}/calendar.ics"),
            "ics_api": lambda: c.api.get(f"/api/v1/appointments/{public_id}/calendar.ics"),
            "admin": lambda: c.page.get(
                f"/admin/appointments/appointment/{appointment.pk}/change/"
            ),
            "feed": lambda: _feed(c),
        }[surface]()

    return probe


def _feed(c: Caller):
    if c.actor is None:
        return c.page.get("/appointments/calendar/not-a-feed.ics")
    return Client().get(f"/appointments/calendar/{calendar.calendar_feed_create(user=c.actor)}.ics")


def _schedule_page(c: Caller, practitioner):
    return c.page.get(
        "/appointments/schedule/", {"practitioner": practitioner.public_id, "date": "2026-03-02"}
    )


def _book_query(c: Caller, *, for_patient: User | None) -> str:
    query = (
        f"appointment_type={c.world.consultation.public_id}"
        f"&practitioner={c.world.doctor.public_id}&start={quote(at(MONDAY, 11, 30).isoformat())}"
    )
    return query + (f"&patient={for_patient.public_id}" if for_patient else "")


def _book_api(c: Caller, *, for_patient: User | None):
    payload = {
        "appointment_type": str(c.world.consultation.public_id),
        "practitioner": str(c.world.doctor.public_id),
        "start": at(MONDAY, 11, 30).isoformat(),
    }
    if for_patient is not None:
        payload["patient"] = str(for_patient.public_id)
    return c.api.post("/api/v1/appointments", payload, format="json")


_HOURS = {"weekday": 3, "start_time": "09:00", "end_time": "10:00", "valid_from": "2026-01-01"}


def _probe(action: str, surface: str, c: Caller):
    w = c.world
    a1 = w.a1.public_id
    if action.startswith("view_"):
        return _view(surface, _appointment(w, action))(c)
    probes = {
        ("schedule_of_own_practitioner", "page"): lambda: _schedule_page(c, w.doctor),
        ("schedule_of_own_practitioner", "api"): lambda: c.api.get("/api/v1/appointments"),
        ("schedule_of_own_practitioner", "admin"): lambda: c.page.get(
            "/admin/appointments/practitioner/"
        ),
        ("schedule_of_another_department", "page"): lambda: _schedule_page(c, w.cardiologist),
        ("schedule_of_another_department", "api"): lambda: c.api.get("/api/v1/appointments"),
        ("schedule_of_another_department", "admin"): lambda: c.page.get(
            "/admin/appointments/appointment/"
        ),
        ("check_in", "api"): lambda: c.api.post(f"/api/v1/appointments/{a1}/check-in"),
        ("check_in", "page"): lambda: c.page.post(f"/appointments/{a1}/status/checked_in/"),
        ("undo_check_in", "api"): lambda: c.api.post(f"/api/v1/appointments/{a1}/check-in/undo"),
        ("undo_check_in", "page"): lambda: c.page.post(f"/appointments/{a1}/status/booked/"),
        ("start", "api"): lambda: c.api.post(f"/api/v1/appointments/{a1}/start"),
        ("start", "page"): lambda: c.page.post(f"/appointments/{a1}/status/in_progress/"),
        ("complete", "api"): lambda: c.api.post(f"/api/v1/appointments/{a1}/complete"),
        ("complete", "page"): lambda: c.page.post(f"/appointments/{a1}/status/completed/"),
        ("cancel", "api"): lambda: c.api.post(
            f"/api/v1/appointments/{a1}/cancel", {"reason": "Clinic closed"}, format="json"
        ),
        ("cancel", "page"): lambda: c.page.post(
            f"/appointments/{a1}/cancel/", {"reason": "Clinic closed"}
        ),
        ("reschedule", "api"): lambda: c.api.post(
            f"/api/v1/appointments/{a1}/reschedule",
            {"start": at(MONDAY, 11).isoformat()},
            format="json",
        ),
        ("reschedule", "page"): lambda: c.page.post(
            f"/appointments/{a1}/reschedule/", {"start": at(MONDAY, 11).isoformat()}
        ),
        ("book_for_self", "api"): lambda: _book_api(c, for_patient=None),
        ("book_for_self", "page"): lambda: c.page.post(
            f"/appointments/book/confirm/?{_book_query(c, for_patient=None)}", {"reason": ""}
        ),
        ("book_for_another_patient", "api"): lambda: _book_api(c, for_patient=w.third),
        ("book_for_another_patient", "page"): lambda: c.page.post(
            f"/appointments/book/confirm/?{_book_query(c, for_patient=w.third)}", {"reason": ""}
        ),
        ("look_up_by_record_number", "page"): lambda: c.page.post(
            "/appointments/book/",
            {"medical_record_number": w.patient.patient_profile.medical_record_number},
        ),
        ("manage_working_hours", "api"): lambda: c.api.post(
            f"/api/v1/practitioners/{w.doctor.public_id}/working-hours", _HOURS, format="json"
        ),
        ("manage_working_hours", "page"): lambda: c.page.post(
            f"/appointments/manage/{w.doctor.public_id}/hours/", _HOURS
        ),
        ("manage_working_hours", "admin"): lambda: c.page.get(
            f"/admin/appointments/practitioner/{w.doctor.pk}/change/"
        ),
        ("waitlist_entries", "api"): lambda: c.api.get("/api/v1/waitlist"),
        ("waitlist_entries", "admin"): lambda: c.page.get(
            f"/admin/appointments/waitlistentry/{w.entry.pk}/change/"
        ),
        ("waitlist_entries", "admin_list"): lambda: c.page.get(
            "/admin/appointments/waitlistentry/"
        ),
    }
    return probes[(action, surface)]()


def _prepare(action: str, world: World) -> None:
    """The visit's later steps start from the step before."""
    before = {"start": "checked_in", "complete": "in_progress", "undo_check_in": "checked_in"}.get(
        action
    )
    if before:
        Appointment.objects.filter(pk=world.a1.pk).update(status=before)


# What a change leaves behind, to compare with who the API lets do it.
_EFFECTS = {
    "check_in": lambda w, actor: _a1(w).status == "checked_in",
    "undo_check_in": lambda w, actor: _a1(w).status == "booked",
    "start": lambda w, actor: _a1(w).status == "in_progress",
    "complete": lambda w, actor: _a1(w).status == "completed",
    "cancel": lambda w, actor: _a1(w).status == "cancelled",
    "reschedule": lambda w, actor: _a1(w).start == at(MONDAY, 11),
    "book_for_self": lambda w, actor: Appointment.objects.filter(
        patient=actor, start=at(MONDAY, 11, 30)
    ).exists(),
    "book_for_another_patient": lambda w, actor: Appointment.objects.filter(
        patient=w.third
    ).exists(),
    "manage_working_hours": lambda w, actor: WorkingHours.objects.filter(weekday=3).exists(),
}


def _a1(world: World) -> Appointment:
    return Appointment.objects.get(pk=world.a1.pk)


def _subject(world: World, action: str) -> Appointment | WaitlistEntry:
    return world.entry if action == "waitlist_entries" else _appointment(world, action)


def _check_content(expected: str, response, subject: Appointment | WaitlistEntry) -> None:
    body = response.content.decode()
    if expected in ("listed", "absent"):
        assert (str(subject.public_id) in body) is (expected == "listed")
    else:  # the schedule: the patient's name, or a busy block only
        assert isinstance(subject, Appointment)
        assert (subject.patient.get_full_name() in body) is (expected == "names")
        assert ("Busy" in body) is (expected == "busy")


def _check_reason(action: str, surface: str, role: str, response, world: World) -> None:
    """Each visit's reason is shown where its row is, and only to its patient and its
    practitioner; schedules, the admin and calendars never carry one."""
    body = response.content.decode()
    if surface in _NEVER_REASON or (action.startswith("schedule_") and surface == "page"):
        assert REASON_A1 not in body
        assert REASON_A2 not in body
        return
    for label, appointment, reason in (("A1", world.a1, REASON_A1), ("A2", world.a2, REASON_A2)):
        if str(appointment.public_id) in body:
            assert (reason in body) is (role in READERS[label])
        else:
            assert reason not in body


@pytest.mark.asvs("8.1.1", "8.2.1", "8.2.2", "8.2.3", "8.3.1")
@pytest.mark.parametrize(
    ("action", "surface", "role", "expected"), CASES, ids=["-".join(c[:3]) for c in CASES]
)
def test_role_action_surface(action, surface, role, expected, world):
    _prepare(action, world)
    # The visit's steps open an hour before the start (APPOINTMENT_CHECK_IN_OPENS_MINUTES):
    # they are probed on the morning of the visit.
    on_the_day = at(MONDAY, 8, 30) if action in ("check_in", "start", "complete") else NOW
    with time_machine.travel(on_the_day, tick=False):
        caller = _caller(world, role)
        response = _probe(action, surface, caller)

    if isinstance(expected, str):
        assert response.status_code == 200, response.content[:300]
        _check_content(expected, response, _subject(world, action))
    else:
        assert response.status_code == expected, response.content[:300]
    if response.status_code == 302 and role == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    if response.status_code == 200:
        _check_reason(action, surface, role, response, world)
    if action in _EFFECTS and surface in ("api", "page"):
        api_allows = TABLE[action]["api"][ROLES.index(role)] in (200, 201, 204)
        assert _EFFECTS[action](world, caller.actor) is api_allows
    if action == "look_up_by_record_number":
        lookups = AuditEvent.objects.filter(action="accounts.patient_looked_up")
        outcome = "success" if role in ("receptionist", "admin") else "denied"
        assert [(e.outcome, e.actor_id) for e in lookups] == (
            [] if caller.actor is None else [(outcome, caller.actor.pk)]
        )


def test_the_table_covers_every_role_and_counts_its_cases():
    assert {len(cells) for surfaces in TABLE.values() for cells in surfaces.values()} == {9}
    assert len(CASES) == 369
