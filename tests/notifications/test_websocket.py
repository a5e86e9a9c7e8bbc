"""The live notifications socket (/ws/notifications/): who may open it (a browser's live
session from one of the site's hosts, or an app's single-use ticket), what each person
receives (their own messages; staff, their schedules' and the reception's reloads), on the
in-memory channel layer and on Redis, also when the push comes from another process."""

from __future__ import annotations

import asyncio
import copy
import datetime
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.services import sessions
from hospital.asgi import application
from hospital.routing import browser_origin_validator, websocket_urlpatterns
from notifications.live import RECEPTION_GROUP, schedule_group
from notifications.models import Category, Notification
from notifications.services import push, tickets
from tests.appointments.conftest import MONDAY, api_as, at, book
from tests.conftest import login_verified, web_login
from tests.factories import (
    PatientProfileFactory,
    PractitionerFactory,
    UserFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/ws/notifications/"
SITE = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
# The stack hospital/asgi.py builds, with the validator that lets apps (no Origin) through.
APP_STACK = browser_origin_validator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
CONNECT_SECONDS = 10
WAIT_SECONDS = 5


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.services("REDIS_URL"))])
def layer(request: pytest.FixtureRequest, settings: Any) -> Iterator[str]:
    """The channel layer of the test: in memory, or Redis (its own key prefix)."""
    if request.param == "memory":
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    else:
        # The layer as hospital/settings/services.py configures it, under a prefix of its own.
        config: dict[str, Any] = copy.deepcopy(django_settings.CHANNEL_LAYERS["default"])
        assert config["BACKEND"] == "channels_redis.core.RedisChannelLayer"
        config["CONFIG"]["prefix"] = (
            f"{django_settings.REDIS_KEY_PREFIX}:test-ws:{uuid.uuid4().hex}"
        )
        settings.CHANNEL_LAYERS = {"default": config}
    yield request.param


def cookie_of(client: Client) -> tuple[bytes, bytes]:
    name = django_settings.SESSION_COOKIE_NAME
    return (b"cookie", f"{name}={client.cookies[name].value}".encode())


def signed_in_patient() -> tuple[Any, tuple[bytes, bytes]]:
    """A patient signed in through the login form, and their browser's session cookie."""
    patient = PatientProfileFactory.create().user
    client = Client()
    assert web_login(client, patient.email).status_code == 302
    return patient, cookie_of(client)


def signed_in_staff(user: Any) -> tuple[bytes, bytes]:
    """A staff member's session that passed the second factor."""
    client = Client()
    login_verified(client, user)
    return cookie_of(client)


async def opened(
    path: str = PATH, headers: list[tuple[bytes, bytes]] | None = None, app: Any = application
) -> tuple[WebsocketCommunicator, bool, Any]:
    communicator = WebsocketCommunicator(app, path, headers=headers)
    connected, code = await communicator.connect(timeout=CONNECT_SECONDS)
    return communicator, connected, code


async def next_of_type(communicator: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    """The next message of this type (others, e.g. notifications about the same change, are
    skipped)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        message = await communicator.receive_json_from(timeout=deadline - time.monotonic())
        if message["type"] == kind:
            return dict(message)


async def everything_within(communicator: WebsocketCommunicator, *, seconds: float) -> list[Any]:
    """What arrives within ``seconds`` (waiting out a timeout in receive_json_from would end
    the application)."""
    received = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not await communicator.receive_nothing(timeout=0.05):
            received.append(await communicator.receive_json_from())
    return received


def notification_for(user: Any, title: str = "Appointment booked") -> Notification:
    return Notification.objects.create(
        recipient=user,
        kind="appointment.booked",
        category=Category.APPOINTMENTS,
        title=title,
        link="/appointments/",
    )


# --- Browsers, by session cookie --------------------------------------------------------------


def test_a_signed_in_patient_receives_their_own_notifications_and_nobody_elses(layer):
    alice, alice_cookie = signed_in_patient()
    _, bob_cookie = signed_in_patient()
    read = notification_for(alice, "Read already")
    Notification.objects.filter(pk=read.pk).update(read_at=datetime.datetime.now(tz=datetime.UTC))
    notification_for(alice, "Waiting")

    async def scenario() -> tuple[Any, ...]:
        alice_socket, alice_in, _ = await opened(headers=[*SITE, alice_cookie])
        bob_socket, bob_in, _ = await opened(headers=[*SITE, bob_cookie])
        alice_hello = await alice_socket.receive_json_from()
        bob_hello = await bob_socket.receive_json_from()
        fresh = await database_sync_to_async(notification_for)(alice, "Appointment booked")
        await database_sync_to_async(push.notification_push)(notification=fresh)
        alice_got = await alice_socket.receive_json_from(timeout=WAIT_SECONDS)
        await database_sync_to_async(push.unread_count_push)(user_id=alice.pk, unread=0)
        alice_count = await alice_socket.receive_json_from(timeout=WAIT_SECONDS)
        bob_got_nothing = await bob_socket.receive_nothing(timeout=0.5)
        await alice_socket.send_json_to({"type": "ping"})
        pong = await alice_socket.receive_json_from()
        await alice_socket.disconnect()
        await bob_socket.disconnect()
        return (
            alice_in,
            bob_in,
            alice_hello,
            bob_hello,
            alice_got,
            alice_count,
            bob_got_nothing,
            pong,
            fresh,
        )

    (alice_in, bob_in, alice_hello, bob_hello, alice_got, alice_count, bob_nothing, pong, fresh) = (
        asyncio.run(scenario())
    )

    assert alice_in and bob_in
    assert alice_hello == {"type": "hello", "unread_count": 1}
    assert bob_hello == {"type": "hello", "unread_count": 0}
    assert alice_got["type"] == "notification"
    assert alice_got["notification"]["id"] == str(fresh.public_id)
    assert alice_got["notification"]["title"] == "Appointment booked"
    assert alice_got["notification"]["unread_count"] == 2
    assert alice_count == {"type": "unread_count", "unread_count": 0}
    assert bob_nothing is True
    assert pong == {"type": "pong"}


@pytest.mark.parametrize(
    "cookie",
    [None, (b"cookie", f"{django_settings.SESSION_COOKIE_NAME}=not-a-session".encode())],
    ids=["no-cookie", "unknown-session"],
)
def test_an_anonymous_browser_is_refused_before_the_socket_opens(layer, cookie, caplog):
    headers = [*SITE, cookie] if cookie else SITE

    async def scenario() -> tuple[bool, Any]:
        communicator, connected, code = await opened(headers=headers)
        await communicator.disconnect()
        return connected, code

    connected, code = asyncio.run(scenario())

    assert (connected, code) == (False, 4401)
    assert "Notifications socket refused (no live signed-in session" in caplog.text


def test_a_staff_session_without_a_verified_second_factor_is_refused_as_pages_refuse_it(layer):
    doctor = PractitionerFactory.create().user
    client = Client()
    client.force_login(doctor)  # signed in, but the session never passed a second factor
    cookie = cookie_of(client)

    async def scenario() -> tuple[bool, Any]:
        communicator, connected, code = await opened(headers=[*SITE, cookie])
        await communicator.disconnect()
        return connected, code

    assert asyncio.run(scenario()) == (False, 4401)


def test_a_foreign_origin_is_refused_even_with_a_live_session(layer):
    _, cookie = signed_in_patient()
    foreign = [(b"origin", b"https://evil.example"), (b"host", b"testserver"), cookie]

    async def scenario() -> list[tuple[bool, Any]]:
        results = []
        # hospital/asgi.py's stack (Channels' validator) and the one that lets apps in.
        for app in (application, APP_STACK):
            communicator, connected, code = await opened(headers=foreign, app=app)
            await communicator.disconnect()
            results.append((connected, code))
        return results

    refused = asyncio.run(scenario())

    assert [connected for connected, _ in refused] == [False, False]


def test_a_session_cookie_without_an_origin_is_refused(layer):
    _, cookie = signed_in_patient()

    async def scenario() -> tuple[bool, Any]:
        communicator, connected, code = await opened(
            headers=[(b"host", b"testserver"), cookie], app=APP_STACK
        )
        await communicator.disconnect()
        return connected, code

    assert asyncio.run(scenario()) == (False, 4401)


def test_the_socket_closes_with_4401_once_the_person_signs_out(layer):
    patient = PatientProfileFactory.create().user
    client = Client()
    web_login(client, patient.email)
    cookie = cookie_of(client)

    async def scenario() -> dict[str, Any]:
        communicator, connected, _ = await opened(headers=[*SITE, cookie])
        assert connected
        await communicator.receive_json_from()
        await database_sync_to_async(client.post)("/accounts/logout/")
        await communicator.send_json_to({"type": "ping"})
        closed = await communicator.receive_output(timeout=WAIT_SECONDS)
        await communicator.wait()
        return closed

    assert asyncio.run(scenario()) == {"type": "websocket.close", "code": 4401}


# --- Apps, by ticket --------------------------------------------------------------------------


def test_an_app_gets_a_ticket_with_its_bearer_token_and_it_opens_one_socket_once(layer):
    patient = PatientProfileFactory.create().user

    response = api_as(patient).post("/api/v1/notifications/socket-ticket")

    assert response.status_code == 201
    body = response.json()
    assert body["expires_in"] == 30
    assert body["url"] == f"/ws/notifications/?ticket={body['ticket']}"
    assert len(body["ticket"]) == 43

    async def scenario() -> tuple[Any, ...]:
        # An app: no Origin, no cookie.
        first, first_in, _ = await opened(body["url"], [(b"host", b"testserver")], APP_STACK)
        hello = await first.receive_json_from()
        fresh = await database_sync_to_async(notification_for)(patient)
        await database_sync_to_async(push.notification_push)(notification=fresh)
        pushed = await first.receive_json_from(timeout=WAIT_SECONDS)
        again, again_in, again_code = await opened(
            body["url"], [(b"host", b"testserver")], APP_STACK
        )
        await first.disconnect()
        await again.disconnect()
        return first_in, hello, pushed, again_in, again_code

    first_in, hello, pushed, again_in, again_code = asyncio.run(scenario())

    assert first_in
    assert hello == {"type": "hello", "unread_count": 0}
    assert pushed["notification"]["title"] == "Appointment booked"
    assert (again_in, again_code) == (False, 4401)


def test_a_browser_may_use_a_ticket_from_one_of_the_sites_hosts(layer):
    patient = PatientProfileFactory.create().user
    ticket = tickets.socket_ticket_issue(user=patient)

    async def scenario() -> tuple[bool, Any]:
        communicator, connected, _ = await opened(f"{PATH}?ticket={ticket}", SITE)
        hello = await communicator.receive_json_from() if connected else None
        await communicator.disconnect()
        return connected, hello

    assert asyncio.run(scenario()) == (True, {"type": "hello", "unread_count": 0})


def test_the_session_cookie_also_gets_a_ticket_and_nobody_else_does(layer):
    patient = PatientProfileFactory.create().user
    browser = APIClient()
    browser.force_login(patient)

    assert browser.post("/api/v1/notifications/socket-ticket").status_code == 201
    assert APIClient().post("/api/v1/notifications/socket-ticket").status_code == 401


def test_an_expired_ticket_is_refused(layer, monkeypatch):
    patient = PatientProfileFactory.create().user
    monkeypatch.setattr(tickets, "TICKET_SECONDS", 1)
    ticket = tickets.socket_ticket_issue(user=patient)
    time.sleep(1.5)

    async def scenario() -> tuple[bool, Any]:
        communicator, connected, code = await opened(f"{PATH}?ticket={ticket}", SITE)
        await communicator.disconnect()
        return connected, code

    assert asyncio.run(scenario()) == (False, 4401)


def test_a_ticket_is_redeemed_once_by_concurrent_redeemers(layer):
    patient = PatientProfileFactory.create().user
    ticket = tickets.socket_ticket_issue(user=patient)
    results: list[int | None] = []
    barrier = threading.Barrier(8)

    def redeem() -> None:
        barrier.wait()
        results.append(tickets.socket_ticket_redeem(ticket=ticket))

    threads = [threading.Thread(target=redeem) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results, key=lambda found: found is None) == [patient.pk] + [None] * 7


@pytest.mark.parametrize(
    "query",
    [
        "access_token={token}",
        "token={token}",
        "ticket={ticket}&access_token={token}",
        "ticket=not-a-ticket",
        "ticket=",
    ],
)
def test_tokens_in_the_url_and_malformed_tickets_are_refused_and_never_logged(layer, query, caplog):
    patient = PatientProfileFactory.create().user
    token = sessions.api_session_start(user=patient, request=None, mfa_device="").access_token
    ticket = tickets.socket_ticket_issue(user=patient)
    path = f"{PATH}?{query.format(token=token, ticket=ticket)}"

    async def scenario() -> tuple[bool, Any]:
        communicator, connected, code = await opened(path, [(b"host", b"testserver")], APP_STACK)
        await communicator.disconnect()
        return connected, code

    assert asyncio.run(scenario()) == (False, 4401)
    assert "Notifications socket refused" in caplog.text
    assert token not in caplog.text
    assert ticket not in caplog.text


# --- Staff: live schedules and the reception's list ------------------------------------------


def test_a_booking_reloads_the_clinicians_schedule_and_the_reception_not_the_patients(
    layer, practitioner, consultation
):
    doctor_cookie = signed_in_staff(practitioner.user)
    receptionist = UserFactory.create(role=Role.RECEPTIONIST)
    reception_cookie = signed_in_staff(receptionist)
    patient, patient_cookie = signed_in_patient()
    other = PractitionerFactory.create(department=practitioner.department, offers=[consultation])
    WorkingHoursFactory.create(practitioner=other, weekday=0)
    expected = {
        "type": "schedule.changed",
        "practitioner": str(practitioner.public_id),
        "day": MONDAY.isoformat(),
    }

    async def scenario() -> tuple[Any, ...]:
        doctor, doctor_in, _ = await opened(headers=[*SITE, doctor_cookie])
        desk, desk_in, _ = await opened(headers=[*SITE, reception_cookie])
        patient_socket, _, _ = await opened(headers=[*SITE, patient_cookie])
        for socket in (doctor, desk, patient_socket):
            await socket.receive_json_from()  # hello
        await database_sync_to_async(book)(patient, practitioner, consultation, at(MONDAY, 9))
        doctor_got = await next_of_type(doctor, "schedule.changed")
        desk_got = await next_of_type(desk, "schedule.changed")
        patient_notified = await next_of_type(patient_socket, "notification")
        # The other practitioner's booking is not the doctor's schedule.
        await database_sync_to_async(book)(
            patient, other, consultation, at(MONDAY, 9) + datetime.timedelta(days=7)
        )
        desk_other = await next_of_type(desk, "schedule.changed")
        doctor_later = await everything_within(doctor, seconds=1)
        patient_later = await everything_within(patient_socket, seconds=0.2)
        for socket in (doctor, desk, patient_socket):
            await socket.disconnect()
        return (
            doctor_in,
            desk_in,
            doctor_got,
            desk_got,
            patient_notified,
            desk_other,
            doctor_later,
            patient_later,
        )

    (
        doctor_in,
        desk_in,
        doctor_got,
        desk_got,
        notified,
        desk_other,
        doctor_later,
        patient_later,
    ) = asyncio.run(scenario())

    assert doctor_in and desk_in
    assert doctor_got == expected
    assert desk_got == expected
    assert notified["notification"]["kind"] == "appointment.booked"
    assert desk_other["practitioner"] == str(other.public_id)
    assert doctor_later == []
    assert "schedule.changed" not in [message["type"] for message in patient_later]


def test_staff_watch_the_schedules_the_schedule_page_shows_them_and_patients_watch_none(
    layer, practitioner
):
    nurse = UserFactory.create(role=Role.NURSE)
    nurse_cookie = signed_in_staff(nurse)
    _, patient_cookie = signed_in_patient()
    wanted = [str(practitioner.public_id), str(uuid.uuid4())]

    async def scenario() -> tuple[Any, ...]:
        staff, _, _ = await opened(headers=[*SITE, nurse_cookie])
        patient, _, _ = await opened(headers=[*SITE, patient_cookie])
        for socket in (staff, patient):
            await socket.receive_json_from()
            await socket.send_json_to({"type": "watch", "practitioners": wanted})
        staff_watching = await staff.receive_json_from()
        patient_watching = await patient.receive_json_from()
        layer_ = get_channel_layer()
        assert layer_ is not None
        await layer_.group_send(
            schedule_group(practitioner.public_id),
            {"type": "schedule.changed", "practitioner": wanted[0], "day": "2026-03-02"},
        )
        staff_got = await staff.receive_json_from(timeout=WAIT_SECONDS)
        patient_quiet = await patient.receive_nothing(timeout=0.5)
        await layer_.group_send(
            RECEPTION_GROUP,
            {"type": "schedule.changed", "practitioner": wanted[0], "day": "2026-03-02"},
        )
        nurse_not_at_reception = await staff.receive_nothing(timeout=0.5)
        await staff.send_json_to({"type": "shout"})
        error = await staff.receive_json_from()
        await staff.send_to("not json")
        not_json = await staff.receive_json_from()
        for socket in (staff, patient):
            await socket.disconnect()
        return (
            staff_watching,
            patient_watching,
            staff_got,
            patient_quiet,
            nurse_not_at_reception,
            error,
            not_json,
        )

    staff_watching, patient_watching, staff_got, patient_quiet, not_reception, error, not_json = (
        asyncio.run(scenario())
    )

    assert staff_watching == {"type": "watching", "practitioners": [wanted[0]]}
    assert patient_watching == {"type": "watching", "practitioners": []}
    assert staff_got["type"] == "schedule.changed"
    assert patient_quiet
    assert not_reception
    assert error["type"] == "error"
    assert not_json["type"] == "error"


# --- Pushes from other processes, through Redis ----------------------------------------------

_PUSH_FROM_ANOTHER_PROCESS = """
import django
django.setup()
from notifications.services import push
import sys
sys.exit(0 if push.unread_count_push(user_id=int(sys.argv[1]), unread=7) else 1)
"""


@pytest.mark.services("REDIS_URL")
def test_a_push_from_another_process_and_another_event_loop_reaches_the_socket_through_redis(
    settings,
):
    prefix = f"{django_settings.REDIS_KEY_PREFIX}-test-{uuid.uuid4().hex[:12]}"
    # The layer exactly as hospital/settings/services.py configures it (its read timeout longer
    # than the blocking receive: a bare URL left redis-py's 5 s, and on a loaded machine the
    # consumer's idle receive timed out while the other process started), only the prefix the
    # other process derives from REDIS_KEY_PREFIX.
    config: dict[str, Any] = copy.deepcopy(django_settings.CHANNEL_LAYERS["default"])
    assert config["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    config["CONFIG"]["prefix"] = f"{prefix}:channels"
    settings.CHANNEL_LAYERS = {"default": config}
    patient, cookie = signed_in_patient()
    fresh = notification_for(patient)
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DATABASE_MIGRATE_URL", "CELERY_BROKER_URL")
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="hospital.settings",
        REDIS_KEY_PREFIX=prefix,
        REDIS_URL=os.environ["REDIS_URL"],
    )
    root = Path(__file__).resolve().parents[2]

    def push_from_a_thread() -> None:
        # A thread of its own, with its own event loop (async_to_sync inside the push).
        push.notification_push(notification=fresh)

    async def scenario() -> tuple[Any, Any, int]:
        socket, connected, _ = await opened(headers=[*SITE, cookie])
        assert connected
        await socket.receive_json_from()  # hello
        process = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", _PUSH_FROM_ANOTHER_PROCESS, str(patient.pk)],
            cwd=root,
            env=environment,
            capture_output=True,
            timeout=60,
            check=False,
        )
        from_process = await socket.receive_json_from(timeout=WAIT_SECONDS)
        thread = threading.Thread(target=push_from_a_thread)
        thread.start()
        from_thread = await socket.receive_json_from(timeout=WAIT_SECONDS)
        await asyncio.to_thread(thread.join)
        await socket.disconnect()
        return from_process, from_thread, process.returncode

    from_process, from_thread, returncode = asyncio.run(scenario())

    assert returncode == 0
    assert from_process == {"type": "unread_count", "unread_count": 7}
    assert from_thread["type"] == "notification"
    assert from_thread["notification"]["id"] == str(fresh.public_id)


@pytest.mark.services("REDIS_URL")
def test_a_socket_idle_longer_than_the_layers_receive_wait_still_gets_its_push(settings):
    """The layer as the settings configure it (hospital/settings/services.py): its blocking
    receive waits 5 s for a message, and redis-py 8 gave up reading after 5 s by default, so
    an idle socket's consumer died and missed what came next."""
    config: dict[str, Any] = copy.deepcopy(django_settings.CHANNEL_LAYERS["default"])
    config["CONFIG"]["prefix"] = f"{django_settings.REDIS_KEY_PREFIX}:test-idle:{uuid.uuid4().hex}"
    settings.CHANNEL_LAYERS = {"default": config}
    patient = PatientProfileFactory.create().user
    client = Client()
    web_login(client, patient.email)
    cookie = cookie_of(client)

    async def scenario() -> dict[str, Any]:
        communicator, connected, _ = await opened(headers=[*SITE, cookie])
        assert connected
        await communicator.receive_json_from()  # hello
        await asyncio.sleep(7)  # idle past the layer's 5 s receive
        fresh = await database_sync_to_async(notification_for)(patient)
        await database_sync_to_async(push.notification_push)(notification=fresh)
        message = await communicator.receive_json_from(timeout=WAIT_SECONDS)
        await communicator.disconnect()
        return dict(message)

    message = asyncio.run(scenario())

    assert message["type"] == "notification"
