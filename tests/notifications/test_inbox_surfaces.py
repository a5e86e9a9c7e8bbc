"""Who may do what with in-app notifications, on every surface: role x action x surface, one
table; then the list's query count, the unread count and its cache, and preferences.

The world of every case: each person has one unread message of their own, titled after them
("Message for patient", ...). The cases that name a message by id use the first patient's
("A"): only they may mark it read; anyone else gets 404 on the API and "not found" on the
page, and the row stays unread.

Each cell is the status a role gets, or for what a page or list shows: "own" (200 and only
the caller's own message is there), "none" (200 and no bell: the signed-out page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEvent
from notifications.models import (
    Delivery,
    MessageTemplate,
    Notification,
    NotificationPreference,
    NotificationSettings,
)
from notifications.selectors import preference_choices_of
from tests.appointments.conftest import MONDAY, NOW, api_as, at, book
from tests.conftest import login_verified
from tests.factories import PatientProfileFactory, UserFactory
from tests.notifications.conftest import notification_for, verified_phone_for

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "patient",
    "second_patient",
    "doctor",
    "receptionist",
    "admin",
    "compliance_officer",
)
_LOGIN = 302  # pages: to the sign-in page; the admin: to its own sign-in (which refuses them)


def _row(*cells: int | str) -> tuple[int | str, ...]:
    assert len(cells) == len(ROLES)
    return cells


_EVERYONE_OWN_API = _row(401, *["own"] * 6)
_EVERYONE_OWN_PAGE = _row(_LOGIN, *["own"] * 6)
_ONLY_A_API = _row(401, 200, 404, 404, 404, 404, 404)
# A page POST answers with a redirect back to the inbox whether it was done or refused; the
# next page says which ("not found"), and the effect check tells them apart.
_ONLY_A_PAGE = _row(_LOGIN, "done", *["not found"] * 5)
_ADMIN_VIEW = _row(*[_LOGIN] * 5, 200, 200)
_ADMIN_WRITE = _row(*[_LOGIN] * 5, 200, 403)

TABLE: dict[str, dict[str, tuple[int | str, ...]]] = {
    "list": {"api": _EVERYONE_OWN_API, "page": _EVERYONE_OWN_PAGE},
    "unread_count": {"api": _EVERYONE_OWN_API, "bell": _row("none", *["own"] * 6)},
    "read_message_of_a": {"api": _ONLY_A_API, "page": _ONLY_A_PAGE},
    "read_all": {"api": _EVERYONE_OWN_API, "page": _row(_LOGIN, *["done"] * 6)},
    "preferences_view": {"api": _EVERYONE_OWN_API, "page": _EVERYONE_OWN_PAGE},
    "preferences_change": {"api": _EVERYONE_OWN_API, "page": _row(_LOGIN, *["done"] * 6)},
    "deliveries": {"admin": _ADMIN_VIEW, "admin_detail": _ADMIN_VIEW},
    "failed_deliveries": {"admin": _ADMIN_VIEW},
    "templates": {
        "admin": _ADMIN_VIEW,
        "admin_add": _ADMIN_WRITE,
        "admin_change": _ADMIN_VIEW,
        "admin_delete": _ADMIN_WRITE,
    },
}
CASES = [
    (action, surface, role, cells[index])
    for action, surfaces in TABLE.items()
    for surface, cells in surfaces.items()
    for index, role in enumerate(ROLES)
]


@dataclass
class World:
    people: dict[str, User]
    messages: dict[str, Notification]
    delivery_id: int
    template_id: int

    @property
    def message_of_a(self) -> Notification:
        return self.messages["patient"]


@pytest.fixture
def world(doctor: User) -> World:
    people: dict[str, User] = {
        "patient": PatientProfileFactory.create().user,
        "second_patient": PatientProfileFactory.create().user,
        "doctor": doctor,
        **{
            role: UserFactory.create(role=role)
            for role in ("receptionist", "admin", "compliance_officer")
        },
    }
    messages = {
        role: notification_for(user, title=f"Message for {role}") for role, user in people.items()
    }
    delivery = Delivery.objects.create(
        dedupe_key="surface-test",
        kind="appointment.booked",
        category="appointments",
        channel="email",
        recipient=people["patient"],
        address=people["patient"].email,
        status=Delivery.Status.FAILED,
    )
    template = MessageTemplate.objects.create(
        kind="appointment.booked",
        channel="in_app",
        language="en",
        subject="Booked",
        body="{{ type_name }} with {{ clinician_name }}",
    )
    return World(people, messages, delivery.pk, template.pk)


@dataclass
class Caller:
    role: str
    actor: User | None
    api: APIClient
    page: Client


def _caller(world: World, role: str) -> Caller:
    actor = world.people.get(role)
    page = Client()
    if actor is None:
        return Caller(role, None, APIClient(), page)
    if actor.is_staff_member:
        login_verified(page, actor)
    else:
        page.force_login(actor)
    return Caller(role, actor, api_as(actor), page)


_QUIET = {"start": "22:00", "end": "07:00"}


def _boxes_as_they_are(c: Caller) -> dict[str, str]:
    """The settings form's checkboxes as the page shows them (a browser posts the ticked)."""
    if c.actor is None:
        return {}
    return {
        choice.field_name: "on"
        for choice in preference_choices_of(user=c.actor)
        if choice.enabled and not choice.locked and choice.available
    }


def _email_off(c: Caller) -> dict[str, bool]:
    """One choice every role has: email about their appointments (patients) or schedule."""
    staff = c.actor is not None and c.actor.is_staff_member
    return {"schedule.email" if staff else "appointments.email": False}


def _probe(action: str, surface: str, c: Caller, w: World) -> Any:
    a = w.message_of_a.public_id
    probes = {
        ("list", "api"): lambda: c.api.get("/api/v1/notifications"),
        ("list", "page"): lambda: c.page.get("/notifications/"),
        ("unread_count", "api"): lambda: c.api.get("/api/v1/notifications/unread-count"),
        ("unread_count", "bell"): lambda: c.page.get("/"),
        ("read_message_of_a", "api"): lambda: c.api.post(f"/api/v1/notifications/{a}/read"),
        ("read_message_of_a", "page"): lambda: c.page.post(
            "/notifications/", {"read": str(a)}, follow=c.actor is not None
        ),
        ("read_all", "api"): lambda: c.api.post("/api/v1/notifications/read-all"),
        ("read_all", "page"): lambda: c.page.post(
            "/notifications/", {"read_all": "1"}, follow=c.actor is not None
        ),
        ("preferences_view", "api"): lambda: c.api.get("/api/v1/notifications/preferences"),
        ("preferences_view", "page"): lambda: c.page.get("/notifications/settings/"),
        ("preferences_change", "api"): lambda: c.api.patch(
            "/api/v1/notifications/preferences", {"choices": _email_off(c)}, format="json"
        ),
        ("preferences_change", "page"): lambda: c.page.post(
            "/notifications/settings/",
            {**_boxes_as_they_are(c), "quiet_hours_start": "22:00", "quiet_hours_end": "07:00"},
            follow=c.actor is not None,
        ),
        ("deliveries", "admin"): lambda: c.page.get("/admin/notifications/delivery/"),
        ("deliveries", "admin_detail"): lambda: c.page.get(
            f"/admin/notifications/delivery/{w.delivery_id}/change/"
        ),
        ("failed_deliveries", "admin"): lambda: c.page.get("/admin/notifications/faileddelivery/"),
        ("templates", "admin"): lambda: c.page.get("/admin/notifications/messagetemplate/"),
        ("templates", "admin_add"): lambda: c.page.get("/admin/notifications/messagetemplate/add/"),
        ("templates", "admin_change"): lambda: c.page.get(
            f"/admin/notifications/messagetemplate/{w.template_id}/change/"
        ),
        ("templates", "admin_delete"): lambda: c.page.get(
            f"/admin/notifications/messagetemplate/{w.template_id}/delete/"
        ),
    }
    return probes[(action, surface)]()


def _check_own(action: str, surface: str, c: Caller, w: World, response: Any) -> None:
    """The caller sees their own message or count, never anyone else's."""
    assert c.actor is not None
    own = w.messages[c.role]
    others = [m for role, m in w.messages.items() if role != c.role]
    if action == "list" and surface == "api":
        ids = [item["id"] for item in response.json()["results"]]
        assert ids == [str(own.public_id)]
    elif action == "list":
        body = response.content.decode()
        assert own.title in body
        assert not any(other.title in body for other in others)
    elif action == "unread_count" and surface == "api":
        assert response.json() == {"unread_count": 1}
    elif action == "unread_count":
        assert 'aria-label="Notifications, 1 unread"' in response.content.decode()
    elif action == "read_all" and surface == "api":
        assert response.json() == {"marked_read": 1, "unread_count": 0}
    elif action == "preferences_view" and surface == "api":
        assert response.json()["quiet_hours"] is None
    elif action == "preferences_change" and surface == "api":
        (name,) = _email_off(c)
        choice = next(item for item in response.json()["choices"] if item["name"] == name)
        assert choice["enabled"] is False


def _effects(action: str, surface: str, c: Caller, w: World) -> None:
    """What a change leaves in the database: the caller's own rows only."""
    a_read = Notification.objects.get(pk=w.message_of_a.pk).read_at is not None
    if action == "read_message_of_a":
        assert a_read is (c.role == "patient")
    elif action == "read_all":
        unread = set(
            Notification.objects.filter(read_at__isnull=True).values_list("recipient_id", flat=True)
        )
        everyone = {user.pk for user in w.people.values()}
        assert unread == everyone - ({c.actor.pk} if c.actor else set())
    elif action == "preferences_change":
        # The API changed one choice; the page's form, quiet hours.
        changed = NotificationPreference if surface == "api" else NotificationSettings
        owners = set(changed.objects.values_list("user_id", flat=True))
        assert owners == ({c.actor.pk} if c.actor else set())
    else:  # reading changes nothing
        assert not a_read
        assert not NotificationSettings.objects.exists()


@pytest.mark.parametrize(
    ("action", "surface", "role", "expected"), CASES, ids=["-".join(c[:3]) for c in CASES]
)
def test_role_action_surface(action: str, surface: str, role: str, expected: Any, world: World):
    caller = _caller(world, role)

    response = _probe(action, surface, caller, world)

    if isinstance(expected, int):
        assert response.status_code == expected, response.content[:300]
    else:
        assert response.status_code == 200, response.content[:300]
    if response.status_code == 302:
        admin_refusal = surface.startswith("admin") and caller.actor is not None
        login = "/admin/login/" if admin_refusal else "/accounts/login/"
        assert response["Location"].startswith(login)
    if response.status_code == 404:
        assert response.json()["code"] == "NOTIFICATION_NOT_FOUND"
    if expected == "own":
        _check_own(action, surface, caller, world, response)
    elif expected == "none":
        assert "data-bell" not in response.content.decode()
    elif expected == "not found":
        assert "That notification was not found." in response.content.decode()
    elif expected == "done":
        assert "not found" not in response.content.decode()
    _effects(action, surface, caller, world)


def test_the_table_covers_every_role_and_counts_its_cases():
    assert {len(cells) for surfaces in TABLE.values() for cells in surfaces.values()} == {7}
    assert len(CASES) == 19 * 7


# --- The list's cost ----------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 20])
def test_the_list_costs_the_same_queries_for_one_message_and_for_twenty(
    count: int, patient: User, django_assert_num_queries: Any
):
    for index in range(count):
        notification_for(patient, title=f"Message {index}", minutes_ago=index)
    notification_for(PatientProfileFactory.create().user, title="Someone else's")
    api = api_as(patient)

    # The bearer token's user (cached when the token was issued: one read), the page.
    with django_assert_num_queries(2):
        response = api.get("/api/v1/notifications")

    titles = [item["title"] for item in response.json()["results"]]
    assert titles == [f"Message {index}" for index in range(count)]  # newest first


# --- The unread count and the bell -----------------------------------------------------------


def _bell(page: Client) -> str:
    """The bell's accessible label on a page (the home page has the header like every page)."""
    body = page.get("/").content.decode()
    start = body.index("data-bell") - 200
    label = body[start:].split('aria-label="', 1)[1]
    return label.split('"', 1)[0]


def _unread_count_queries(queries: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in queries.captured_queries
        if "notifications_notification" in query["sql"] and "COUNT" in query["sql"].upper()
    ]


# Real commits: the cached count is forgotten when the change commits, before the answer is
# computed, as in production (no ATOMIC_REQUESTS).
@pytest.mark.django_db(transaction=True)
def test_the_unread_count_and_the_bell_follow_new_messages_and_reads(
    practitioner: Any, consultation: Any
):
    from notifications.services.dispatch import notify

    with time_machine.travel(NOW, tick=False):
        patient = PatientProfileFactory.create().user
        page = Client()
        page.force_login(patient)
        api = api_as(patient)
        before = _bell(page)  # the count is now cached (0)

        book(patient, practitioner, consultation, at(MONDAY, 9))
        after_booking = (_bell(page), api.get("/api/v1/notifications/unread-count").json())
        notify(
            kind="security.password_changed",
            user=patient,
            context={"at": NOW},
            key="password-changed-once",
        )
        after_second = _bell(page)
        booked, password = Notification.objects.filter(recipient=patient).order_by(
            "created_at", "id"
        )
        read_one = api.post(f"/api/v1/notifications/{booked.public_id}/read").json()
        after_read = (_bell(page), page.get("/notifications/").content.decode())
        read_all = page.post("/notifications/", {"read_all": "1"})
        after_read_all = (_bell(page), api.get("/api/v1/notifications/unread-count").json())

    assert before == "Notifications"
    assert after_booking == ("Notifications, 1 unread", {"unread_count": 1})
    assert after_second == "Notifications, 2 unread"
    assert read_one == {"unread_count": 1}
    assert after_read[0] == "Notifications, 1 unread"
    assert "1 unread." in after_read[1]
    assert read_all.status_code == 302
    assert after_read_all == ("Notifications", {"unread_count": 0})
    password.refresh_from_db()
    assert password.read_at is not None


def test_the_bell_reads_the_count_from_the_cache_on_a_second_page_view(patient: User):
    notification_for(patient, title="One")
    notification_for(patient, title="Two")
    notification_for(patient, title="Read already", read=True)
    page = Client()
    page.force_login(patient)

    with CaptureQueriesContext(connection) as first:
        first_label = page.get("/").content.decode()
    with CaptureQueriesContext(connection) as second:
        second_label = page.get("/").content.decode()

    assert 'aria-label="Notifications, 2 unread"' in first_label
    assert 'aria-label="Notifications, 2 unread"' in second_label
    assert len(_unread_count_queries(first)) == 1
    assert _unread_count_queries(second) == []
    assert len(second.captured_queries) < len(first.captured_queries)


def test_the_unread_count_api_reads_the_cache_too(patient: User):
    notification_for(patient)
    api = api_as(patient)

    with CaptureQueriesContext(connection) as first:
        counted = api.get("/api/v1/notifications/unread-count").json()
    with CaptureQueriesContext(connection) as second:
        cached = api.get("/api/v1/notifications/unread-count").json()

    assert counted == cached == {"unread_count": 1}
    assert len(_unread_count_queries(first)) == 1
    assert _unread_count_queries(second) == []


# --- Preferences -------------------------------------------------------------------------------

_PATIENT_CATEGORIES = {"appointments", "reminders", "waitlist", "security"}
_STAFF_CATEGORIES = {"schedule", "security"}
_LEGENDS = {
    "appointments": "<legend>Appointments</legend>",
    "reminders": "<legend>Reminders</legend>",
    "waitlist": "<legend>Waitlist offers</legend>",
    "security": "<legend>Account security</legend>",
    "schedule": "<legend>My schedule (staff)</legend>",
}


def _signed_in(user: User) -> Client:
    page = Client()
    if user.is_staff_member:
        login_verified(page, user)
    else:
        page.force_login(user)
    return page


@pytest.mark.parametrize(
    ("role", "categories"),
    [
        ("patient", _PATIENT_CATEGORIES),
        ("doctor", _STAFF_CATEGORIES),
        ("receptionist", _STAFF_CATEGORIES),
        ("admin", _STAFF_CATEGORIES),
    ],
)
def test_each_person_chooses_among_the_categories_of_their_role(
    role: str, categories: set[str], patient: User, doctor: User
):
    user = {"patient": patient, "doctor": doctor}.get(role) or UserFactory.create(role=role)

    choices = api_as(user).get("/api/v1/notifications/preferences").json()["choices"]
    page = _signed_in(user).get("/notifications/settings/").content.decode()

    assert {choice["category"] for choice in choices} == categories
    assert {name for name, legend in _LEGENDS.items() if legend in page} == categories
    security = {
        c["name"]: (c["enabled"], c["locked"]) for c in choices if c["category"] == "security"
    }
    assert security == {"security.email": (True, True), "security.in_app": (True, True)}


def _nothing_saved(user: User) -> None:
    assert not NotificationPreference.objects.filter(user=user).exists()
    assert not NotificationSettings.objects.filter(user=user).exists()
    assert not AuditEvent.objects.filter(action="notifications.preferences_changed").exists()


@pytest.mark.parametrize("name", ["security.email", "security.in_app"])
def test_security_messages_cannot_be_switched_off_on_the_api(name: str, patient: User):
    response = api_as(patient).patch(
        "/api/v1/notifications/preferences", {"choices": {name: False}}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert response.json()["errors"] == {name: ["Security messages cannot be switched off."]}
    _nothing_saved(patient)


def test_security_messages_cannot_be_switched_off_on_the_page(patient: User):
    page = _signed_in(patient)
    form = page.get("/notifications/settings/")
    # A browser never sends a disabled box: a forged form that leaves them unticked.
    forged = page.post(
        "/notifications/settings/",
        {**_boxes_of(patient), "security.email": "", "security.in_app": ""},
        follow=True,
    )

    body = form.content.decode()
    assert body.count("(always on)") == 2
    for name in ("security.email", "security.in_app"):
        assert form.context["form"].fields[name].disabled
        assert form.context["form"][name].value() is True
    assert "Nothing was changed." in forged.content.decode()
    _nothing_saved(patient)
    assert all(c.enabled for c in preference_choices_of(user=patient) if c.locked)


def _boxes_of(user: User) -> dict[str, str]:
    return {
        choice.field_name: "on"
        for choice in preference_choices_of(user=user)
        if choice.enabled and not choice.locked and choice.available
    }


def test_sms_cannot_be_switched_on_without_a_verified_phone(patient: User):
    from accounts.models import SmsDevice

    # A number being set up, its code not entered yet: not verified.
    SmsDevice.objects.create(
        user=patient, name="Unconfirmed", number="+447911123456", confirmed=False
    )
    api = api_as(patient)

    refused = api.patch(
        "/api/v1/notifications/preferences", {"choices": {"appointments.sms": True}}, format="json"
    )
    shown = api.get("/api/v1/notifications/preferences").json()["choices"]
    page = _signed_in(patient)
    form = page.get("/notifications/settings/")
    forged = page.post(
        "/notifications/settings/", {**_boxes_of(patient), "appointments.sms": "on"}, follow=True
    )

    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["appointments.sms"]
    assert "Verify a mobile number first" in refused.json()["errors"]["appointments.sms"][0]
    sms = {c["name"]: (c["enabled"], c["available"]) for c in shown if c["channel"] == "sms"}
    assert sms == {
        "appointments.sms": (False, False),
        "reminders.sms": (True, False),  # on by default, for when a number is verified
        "waitlist.sms": (True, False),
    }
    assert form.context["form"].fields["appointments.sms"].disabled
    assert "(verify a mobile number first)" in form.content.decode()
    assert "Nothing was changed." in forged.content.decode()
    _nothing_saved(patient)


def test_sms_can_be_switched_on_with_a_verified_phone_on_the_api_and_the_page(patient: User):
    verified_phone_for(patient)
    api = api_as(patient)
    page = _signed_in(patient)

    on_api = api.patch(
        "/api/v1/notifications/preferences", {"choices": {"appointments.sms": True}}, format="json"
    )
    boxes = _boxes_of(patient)
    del boxes["reminders.sms"]
    on_page = page.post("/notifications/settings/", boxes, follow=True)

    assert on_api.status_code == 200
    chosen = {c["name"]: c["enabled"] for c in on_api.json()["choices"]}
    assert chosen["appointments.sms"] is True
    assert "Your choices are saved." in on_page.content.decode()
    assert dict(
        NotificationPreference.objects.filter(user=patient).values_list("category", "enabled")
    ) == {"appointments": True, "reminders": False}


@pytest.mark.parametrize(
    ("quiet_hours", "field"),
    [({"start": "22:00"}, "quiet_hours.end"), ({"end": "07:00"}, "quiet_hours.start")],
)
def test_half_of_the_quiet_hours_is_refused_on_the_api(
    quiet_hours: dict[str, str], field: str, patient: User
):
    response = api_as(patient).patch(
        "/api/v1/notifications/preferences", {"quiet_hours": quiet_hours}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    _nothing_saved(patient)


@pytest.mark.parametrize(("start", "end"), [("22:00", ""), ("", "07:00"), ("22:00", "22:00")])
def test_half_of_the_quiet_hours_is_refused_on_the_page(start: str, end: str, patient: User):
    page = _signed_in(patient)

    response = page.post(
        "/notifications/settings/",
        {**_boxes_of(patient), "quiet_hours_start": start, "quiet_hours_end": end},
    )

    assert response.status_code == 200  # the form again, with the error
    errors = response.context["form"].errors["quiet_hours_start"]
    assert errors in (
        ["Give both the start and the end of the quiet hours, or neither."],
        ["The quiet hours must start and end at different times."],
    )
    assert errors[0] in response.content.decode()
    _nothing_saved(patient)


def test_a_change_writes_one_audit_row_naming_what_changed_and_none_when_nothing_did(
    patient: User,
):
    api = api_as(patient)
    page = _signed_in(patient)

    api.patch(
        "/api/v1/notifications/preferences", {"choices": {"waitlist.email": False}}, format="json"
    )
    api.patch(  # the same again: nothing changes
        "/api/v1/notifications/preferences", {"choices": {"waitlist.email": False}}, format="json"
    )
    unchanged = page.post("/notifications/settings/", _boxes_of(patient), follow=True)
    page.post(
        "/notifications/settings/",
        {**_boxes_of(patient), "quiet_hours_start": "22:00", "quiet_hours_end": "07:00"},
    )

    rows = AuditEvent.objects.filter(action="notifications.preferences_changed").order_by("id")
    assert [(row.actor_id, row.patient_id, row.details) for row in rows] == [
        (patient.pk, patient.pk, {"changed": ["waitlist.email"]}),
        (patient.pk, patient.pk, {"changed": ["quiet_hours"]}),
    ]
    assert "Nothing was changed." in unchanged.content.decode()


def test_a_channel_switched_off_stops_that_channel_for_the_next_message(
    patient: User,
    practitioner: Any,
    consultation: Any,
    sms_outbox: list[Any],
    django_capture_on_commit_callbacks: Any,
):
    from django.core import mail

    verified_phone_for(patient)
    with time_machine.travel(NOW, tick=False):
        api = api_as(patient)
        switched = api.patch(
            "/api/v1/notifications/preferences",
            {"choices": {"appointments.email": False}},
            format="json",
        )
        switched_sms = api.patch(
            "/api/v1/notifications/preferences",
            {"choices": {"appointments.sms": True}},
            format="json",
        )
        with django_capture_on_commit_callbacks(execute=True):
            book(patient, practitioner, consultation, at(MONDAY, 9))

    assert switched.status_code == switched_sms.status_code == 200
    booked = Delivery.objects.filter(kind="appointment.booked")
    assert sorted(booked.values_list("channel", "status")) == [("in_app", "sent"), ("sms", "sent")]
    assert mail.outbox == []
    assert [m.to for m in sms_outbox] == ["+447911123456"]
    assert list(Notification.objects.filter(recipient=patient).values_list("kind", flat=True)) == [
        "appointment.booked"
    ]
    # Other categories keep their channels: the reminders still go by email.
    assert Delivery.objects.filter(kind="appointment.reminder", channel="email").exists()


def test_quiet_hours_are_set_and_cleared_on_the_api_in_the_persons_own_time(patient: User):
    import datetime

    patient.patient_profile.time_zone = "America/New_York"
    patient.patient_profile.save(update_fields=["time_zone"])
    api = api_as(patient)

    set_ = api.patch(
        "/api/v1/notifications/preferences",
        {"quiet_hours": {"start": "22:00", "end": "07:00"}},
        format="json",
    )
    kept = api.patch(  # quiet hours left out: unchanged
        "/api/v1/notifications/preferences", {"choices": {}}, format="json"
    )
    stored = NotificationSettings.objects.get(user=patient)
    cleared = api.patch("/api/v1/notifications/preferences", {"quiet_hours": None}, format="json")

    assert set_.status_code == kept.status_code == cleared.status_code == 200
    assert (
        set_.json()["quiet_hours"]
        == kept.json()["quiet_hours"]
        == {
            "start": "22:00",
            "end": "07:00",
        }
    )
    assert set_.json()["time_zone"] == "America/New_York"
    assert (stored.quiet_hours_start, stored.quiet_hours_end) == (
        datetime.time(22),
        datetime.time(7),
    )
    assert cleared.json()["quiet_hours"] is None
    assert list(
        AuditEvent.objects.filter(action="notifications.preferences_changed").values_list(
            "details", flat=True
        )
    ) == [{"changed": ["quiet_hours"]}, {"changed": ["quiet_hours"]}]


# --- Bugs found while writing these tests (fixed) ------------------------------------------------------------


def test_changing_several_choices_at_once_is_not_an_n_plus_one(patient: User):
    page = _signed_in(patient)
    boxes = _boxes_of(patient)
    del boxes["appointments.email"], boxes["reminders.email"]

    response = page.post("/notifications/settings/", boxes)

    assert response.status_code == 302
    assert NotificationPreference.objects.filter(user=patient, enabled=False).count() == 2
