"""The web experience's pages, signed in, while a backing service is away: PostgreSQL, the
Celery broker, the mail server. Each page answers something readable (never an empty 500,
never a stack trace) and changes nothing half-way.

- Database down: every query fails, through Django's ``connection.execute_wrapper``, as in
  tests/hospital/test_database_unavailable.py. Each page answers a readable 503 with
  Retry-After, the site's navigation and the request id (a page that reads nothing of the
  database, once the session and the user come from Redis, answers 200); a form posted
  meanwhile writes nothing, and works once the database is back. A database lost part-way
  through a change (after some of its statements ran) leaves nothing of it either.
- Broker down: tasks are not eager and go to a port where nothing listens, as in
  tests/hospital/test_outbox.py. The desk registers the patient and the email to choose a
  password waits in its row with the account, and leaves once the broker is back (here by
  the sweep in eager mode; with RabbitMQ, through a proxy that is stopped and started again,
  to a real worker and a real SMTP server); completing a visit and undoing a check-in succeed,
  their work waiting in the outbox. The sweep that queues the email once the broker is back
  marks it queued before it publishes, so the worker never drops the task as another's.
- Mail server down: the real SMTP transport, to the port of tests/smtp_sink.py before it
  starts. The desk registers the patient and says so; the email is kept, with its link, for a
  retry that delivers it once the server is back.
"""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import OperationalError, connection, transaction
from django.db.models import Q
from django.test import Client

from accounts.models import PatientProfile, User
from appointments.models import Appointment, CalendarFeed
from appointments.services import calendar
from appointments.services.status import appointment_set_status
from audit.models import AuditEvent
from core.models import OutboxMessage
from hospital.celery import app
from notifications.models import Delivery
from tests.appointments.conftest import (  # noqa: F401 - fixtures (department: the others need it)
    MONDAY,
    at,
    book,
    consultation,
    department,
    practitioner,
)
from tests.celery_worker import Worker, celery_worker, publishing_through, wait_for
from tests.conftest import login_verified, require_service
from tests.factories import PatientProfileFactory, UserFactory
from tests.smtp_sink import SmtpSink
from tests.tcp_proxy import TcpProxy, free_port

pytestmark = pytest.mark.django_db

QUEUED_MAIL = "notifications.mail.QueuedEmailBackend"
SMTP_TRANSPORT = "core.mail.smtp.EmailBackend"
DATABASE_SESSIONS = "django.contrib.sessions.backends.db"

# The visit under way started at 09:00; the 10:00 patient was checked in at 09:10, when
# everything here happens (check-in opens an hour before the start).
UNDER_WAY_START = at(MONDAY, 9)
CHECKED_IN_START = at(MONDAY, 10)
DURING = UNDER_WAY_START + datetime.timedelta(minutes=10)
NOTE = "Blood pressure fine. Repeat the test in six months."

REGISTER = "/appointments/reception/patients/new/"
WALK_IN = {
    "legal_name": "Grace Hopper",
    "date_of_birth": "1956-12-09",
    "sex": "female",
    "phone": "020 7946 0958",
    "email": "Grace.Hopper@example.org",
}
REGISTERED = "Grace Hopper is registered"
EMAIL_TOLD = "They will get an email to choose a password."
PASSWORD_LINK = re.compile(r"/accounts/password/reset/key/[^\s/]+/")
FINDER_BORN = datetime.date(1958, 4, 12)

UNAVAILABLE = (
    "The service is briefly unavailable. Nothing was changed; please try again in a moment."
)
SITE_NAV = '<nav class="site-nav" aria-label="Main">'


# --- The database ----------------------------------------------------------------------------


def _database_down(execute, sql, params, many, context):
    raise OperationalError("connection to server failed: Connection refused")


def database_down():
    """Every query fails, as when PostgreSQL is down or the pool times out."""
    return connection.execute_wrapper(_database_down)


@contextmanager
def database_lost_at(table: str) -> Iterator[list[str]]:
    """The database goes away part-way through a change: statements run until the first
    INSERT into ``table``, which fails, as does every statement after it (a savepoint's
    rollback included; the outermost transaction's rollback stands for the server discarding
    the transaction of a connection it lost). Yields the statements that ran."""
    ran: list[str] = []
    lost = False
    insert = f'INSERT INTO "{table}"'.upper()

    def wrapper(execute, sql, params, many, context):
        nonlocal lost
        if sql.lstrip().upper().startswith(insert):
            lost = True
        if lost:
            raise OperationalError("server closed the connection unexpectedly")
        ran.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield ran


def assert_readable_503(response) -> None:
    html = response.content.decode()
    assert response.status_code == 503, html[:3000]
    assert int(response["Retry-After"]) > 0
    assert response["Content-Type"].startswith("text/html")
    assert '<h1 id="error-heading">Service unavailable</h1>' in html
    assert f"<p>{UNAVAILABLE}</p>" in html
    assert SITE_NAV in html
    assert f"<code>{response['X-Request-ID']}</code>" in html
    assert "Traceback" not in html
    assert "OperationalError" not in html


def stored_state() -> dict[str, Any]:
    """The rows of every table the pages here change, and the fields they change: equal
    before and after, nothing was written."""
    return {
        "users": sorted(User.objects.values_list("pk", "email", "language", "theme", "full_name")),
        "profiles": sorted(PatientProfile.objects.values_list("pk", "user_id")),
        "email addresses": sorted(User.objects.values_list("emailaddress__email", flat=True)),
        "appointments": sorted(
            Appointment.objects.values_list(
                "pk", "status", "visit_note", "checked_in_at", "revision"
            )
        ),
        "feeds": sorted(CalendarFeed.objects.values_list("pk", "revoked_at", "title_mode")),
        "audit": sorted(AuditEvent.objects.values_list("pk", "action")),
        "outbox": OutboxMessage.objects.count(),
        "deliveries": Delivery.objects.count(),
    }


# --- Who is signed in, and what they work on -------------------------------------------------


@dataclass
class World:
    patient: User
    under_way: Appointment  # checked in and started: the clinician completes it
    checked_in: Appointment  # checked in: the desk undoes it
    clients: dict[str, Client]

    def client(self, who: str) -> Client:
        return self.clients[who]


@pytest.fixture
def world(
    patient,
    practitioner,  # noqa: F811 - the imported fixture
    consultation,  # noqa: F811 - the imported fixture
) -> Iterator[World]:
    """09:10 on a Monday, for the whole test: the patient's 09:00 visit under way, their
    10:00 one checked in; the patient, a receptionist, the clinician and an administrator
    signed in (staff with a verified second factor), each session in use."""
    with time_machine.travel(DURING, tick=False):
        receptionist = UserFactory.create(role="receptionist")
        PatientProfileFactory.create(
            legal_name="Ada Lovelace", date_of_birth=FINDER_BORN, phone="+447911123456"
        )
        under_way = book(patient, practitioner, consultation, UNDER_WAY_START)
        appointment_set_status(
            actor=receptionist, appointment=under_way, to_status="checked_in", now=UNDER_WAY_START
        )
        under_way = appointment_set_status(
            actor=practitioner.user,
            appointment=under_way,
            to_status="in_progress",
            now=UNDER_WAY_START,
        )
        checked_in = appointment_set_status(
            actor=receptionist,
            appointment=book(patient, practitioner, consultation, CHECKED_IN_START),
            to_status="checked_in",
            now=DURING,
        )
        clients: dict[str, Client] = {}
        for who, user in (
            ("patient", patient),
            ("receptionist", receptionist),
            ("clinician", practitioner.user),
            ("admin", UserFactory.create(role="admin")),
        ):
            client = Client(raise_request_exception=False)
            if user.is_staff_member:
                login_verified(client, user)
            else:
                client.force_login(user)
            assert client.get("/accounts/").status_code == 200  # the session is in use
            clients[who] = client
        yield World(patient=patient, under_way=under_way, checked_in=checked_in, clients=clients)


# --- 1. The database is down: pages ----------------------------------------------------------


@dataclass(frozen=True)
class Page:
    who: str
    path: str
    shows: str  # what the page shows with the database there: it is the page it should be
    # Reads nothing of the database itself: with the session and the user in Redis it
    # answers while the database is down.
    reads_no_rows: bool = False


PAGES = {
    "patient: home card": Page("patient", "/appointments/", "Your next appointment"),
    "patient: calendar feed page": Page(
        "patient", "/appointments/calendar-feed/", 'name="title_mode"'
    ),
    "receptionist: reception list": Page(
        "receptionist", "/appointments/reception/", "Undo check-in"
    ),
    "receptionist: desk registration form": Page(
        "receptionist", REGISTER, 'name="date_of_birth"', reads_no_rows=True
    ),
    "clinician: week time grid": Page(
        "clinician",
        f"/appointments/schedule/?view=week&date={MONDAY.isoformat()}",
        '<div class="time-grid days-7">',
    ),
    "admin: manage schedules": Page(
        "admin", "/appointments/manage/", '<ul class="link-list"><li><a href="/appointments/manage/'
    ),
}


@pytest.mark.parametrize("page", PAGES.values(), ids=PAGES.keys())
def test_a_signed_in_page_answers_readably_while_the_database_is_down(world, settings, page):
    client = world.client(page.who)

    with database_down():
        response = client.get(page.path)
    back = client.get(page.path)

    if page.reads_no_rows and settings.SESSION_ENGINE != DATABASE_SESSIONS:
        html = response.content.decode()
        assert response.status_code == 200, html[:3000]
        assert page.shows in html
        assert SITE_NAV in html
    else:
        assert_readable_503(response)
    assert back.status_code == 200
    assert page.shows in back.content.decode()


# --- 1. The database is down: forms ----------------------------------------------------------


@dataclass(frozen=True)
class Change:
    who: str
    path: Callable[[World], str]
    data: dict[str, str]
    answers: int  # its status once the database is back
    audited: str | None  # the audit action it writes when it succeeds
    saves: Callable[[World], bool] | None = None  # what it saved, once the database is back


CHANGES = {
    "patient: calendar feed create": Change(
        "patient",
        lambda w: "/appointments/calendar-feed/",
        {"action": "create", "title_mode": "neutral"},
        200,
        "appointments.calendar_feed_created",
    ),
    "patient: language switch": Change(
        "patient",
        lambda w: "/accounts/language/",
        {"language": "es", "next": "/appointments/"},
        302,
        None,  # a preference: saved on the account, not audited
        lambda w: User.objects.get(pk=w.patient.pk).language == "es",
    ),
    "patient: appearance": Change(
        "patient",
        lambda w: "/accounts/appearance/",
        {"theme": "dark"},
        302,
        None,
        lambda w: User.objects.get(pk=w.patient.pk).theme == "dark",
    ),
    "receptionist: finder by date of birth": Change(
        "receptionist",
        lambda w: "/appointments/book/",
        {"find-name": "lovelace", "find-date_of_birth": FINDER_BORN.isoformat(), "find-phone": ""},
        200,
        "accounts.patients_searched",
    ),
    "receptionist: finder by phone": Change(
        "receptionist",
        lambda w: "/appointments/book/",
        {"find-name": "", "find-date_of_birth": "", "find-phone": "07911 123456"},
        200,
        "accounts.patients_searched",
    ),
    "receptionist: desk registration": Change(
        "receptionist", lambda w: REGISTER, WALK_IN, 302, "accounts.user_created"
    ),
    "receptionist: undo check-in": Change(
        "receptionist",
        lambda w: f"/appointments/{w.checked_in.public_id}/status/booked/",
        {"next": "/appointments/reception/"},
        302,
        "appointments.check_in_undone",
    ),
    "clinician: complete a visit with a note": Change(
        "clinician",
        lambda w: f"/appointments/{w.under_way.public_id}/status/completed/",
        {"note": NOTE},
        302,
        "appointments.completed",
    ),
}


# Real commits (no test transaction around the request), as in production: a write that
# fails outside a savepoint must not be hidden, or made fatal, by the test's transaction.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_form_posted_while_the_database_is_down_answers_503_and_writes_nothing(
    world, settings, change
):
    settings.EMAIL_BACKEND = QUEUED_MAIL  # an email is a row written with the change
    client = world.client(change.who)
    path = change.path(world)
    before = stored_state()
    mail.outbox.clear()  # the bookings' confirmations

    with database_down():
        response = client.post(path, change.data)
    written_while_down = stored_state()
    sent_while_down = list(mail.outbox)
    back = client.post(path, change.data)

    assert_readable_503(response)
    assert "django_language" not in response.cookies  # not even the language's cookie
    assert written_while_down == before
    assert sent_while_down == []
    # The same form once the database is back: it does change something.
    assert back.status_code == change.answers, back.content.decode()[:3000]
    assert stored_state() != before
    if change.audited:
        assert (
            AuditEvent.objects.filter(action=change.audited)
            .exclude(pk__in=[pk for pk, _action in before["audit"]])
            .exists()
        )
    if change.saves:
        assert change.saves(world)


# --- 1. The database lost part-way through a change ------------------------------------------


@dataclass(frozen=True)
class Midway:
    change: Change
    table: Callable[[], str]


MIDWAY = {
    "calendar feed create, lost at its audit row": Midway(
        CHANGES["patient: calendar feed create"], lambda: AuditEvent._meta.db_table
    ),
    "undo check-in, lost at its audit row": Midway(
        CHANGES["receptionist: undo check-in"], lambda: AuditEvent._meta.db_table
    ),
    "complete a visit, lost at its audit row": Midway(
        CHANGES["clinician: complete a visit with a note"], lambda: AuditEvent._meta.db_table
    ),
    "complete a visit, lost at its outbox row": Midway(
        CHANGES["clinician: complete a visit with a note"], lambda: OutboxMessage._meta.db_table
    ),
    "desk registration, lost at the profile": Midway(
        CHANGES["receptionist: desk registration"], lambda: PatientProfile._meta.db_table
    ),
    "desk registration, lost at the email": Midway(
        CHANGES["receptionist: desk registration"], lambda: Delivery._meta.db_table
    ),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("midway", MIDWAY.values(), ids=MIDWAY.keys())
def test_a_database_lost_part_way_through_a_change_leaves_nothing_of_it(world, settings, midway):
    settings.EMAIL_BACKEND = QUEUED_MAIL
    calendar.calendar_feed_create(user=world.patient)  # a live feed a new one replaces
    client = world.client(midway.change.who)
    path = midway.change.path(world)
    before = stored_state()

    with database_lost_at(midway.table()) as ran:
        response = client.post(path, midway.change.data)
    left = stored_state()
    again = client.post(path, midway.change.data)  # the user simply tries again

    assert any(sql.lstrip().upper().startswith(("INSERT", "UPDATE")) for sql in ran), (
        "the change had written something before the database went away"
    )
    assert_readable_503(response)
    assert left == before
    assert again.status_code == midway.change.answers, again.content.decode()[:3000]


# --- 2. The broker is down -------------------------------------------------------------------


@contextmanager
def broker_unreachable(settings) -> Iterator[None]:
    """Tasks go to a broker (not eager), on a port where nothing listens; back to eager
    (the embedded defaults' "broker") afterwards: the broker is back."""
    settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = False
    try:
        with publishing_through(f"amqp://guest:guest@127.0.0.1:{free_port()}//"):
            yield
    finally:
        settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = True


def password_email_of(email: str) -> Delivery:
    return Delivery.objects.get(channel="email", address__iexact=email)


def assert_registered_whole(email: str) -> User:
    """One account, with its verified address, its profile and record number, no password
    yet, and the audit rows of the desk's registration."""
    user = User.objects.get(email__iexact=email)
    assert User.objects.filter(email__iexact=email).count() == 1
    assert user.patient_profile.legal_name == WALK_IN["legal_name"]
    assert user.patient_profile.medical_record_number.startswith("MRN")
    assert user.emailaddress_set.get().verified
    assert not user.has_usable_password()
    audited = AuditEvent.objects.filter(Q(patient=user) | Q(target_id=str(user.public_id)))
    assert set(audited.values_list("action", flat=True)) >= {
        "accounts.user_created",
        "accounts.patient_profile_created",
        "accounts.password_reset_sent",
    }
    return user


def test_broker_down_the_desk_registers_and_the_password_email_leaves_once_it_is_back(
    world, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = QUEUED_MAIL
    desk = world.client("receptionist")

    with broker_unreachable(settings), django_capture_on_commit_callbacks(execute=True):
        response = desk.post(REGISTER, WALK_IN, follow=True)
    user = assert_registered_whole(WALK_IN["email"])
    waiting = password_email_of(user.email)
    sent_while_down = list(mail.outbox)
    # The broker is back: the sweep queues the email whose task never reached it.
    after_the_requeue_wait = DURING + datetime.timedelta(
        seconds=settings.NOTIFICATIONS_REQUEUE_AFTER_SECONDS + 1
    )
    with time_machine.travel(after_the_requeue_wait, tick=False):
        call_command("notifications_sweep")
        call_command("notifications_sweep")  # a second sweep sends it no second time

    html = response.content.decode()
    assert response.redirect_chain == [(f"/appointments/book/?patient={user.public_id}", 302)]
    assert response.status_code == 200
    assert REGISTERED in html and EMAIL_TOLD in html
    # The email waited in its row, with its link, while the broker was away ...
    assert sent_while_down == []
    assert waiting.status == "pending"
    assert PASSWORD_LINK.search(waiting.body_text)
    # ... and left, once, when it was back.
    assert [message.to for message in mail.outbox] == [[user.email.lower()]]
    assert PASSWORD_LINK.search(str(mail.outbox[0].body))
    assert password_email_of(user.email).status == "sent"


@dataclass(frozen=True)
class Step:
    change: Change
    appointment: Callable[[World], Appointment]
    status: str
    done: str  # what the page it goes back to says


STEPS = {
    "clinician: complete a visit with a note": Step(
        CHANGES["clinician: complete a visit with a note"],
        lambda w: w.under_way,
        "completed",
        "The visit is complete.",
    ),
    "receptionist: undo check-in": Step(
        CHANGES["receptionist: undo check-in"],
        lambda w: w.checked_in,
        "booked",
        "Check-in undone: the appointment is booked again.",
    ),
}


@pytest.mark.parametrize("step", STEPS.values(), ids=STEPS.keys())
def test_broker_down_a_visits_step_succeeds_and_its_work_waits_for_the_broker(
    world, settings, step, django_capture_on_commit_callbacks
):
    client = world.client(step.change.who)
    appointment = step.appointment(world)
    last_outbox_row = OutboxMessage.objects.order_by("pk").values_list("pk", flat=True).last()

    with broker_unreachable(settings), django_capture_on_commit_callbacks(execute=True):
        done = client.post(step.change.path(world), step.change.data, follow=True)
    appointment.refresh_from_db()
    waiting = list(OutboxMessage.objects.filter(pk__gt=last_outbox_row or 0))
    call_command("relay_outbox", "--now")  # the broker is back

    assert done.status_code == 200
    assert done.redirect_chain[-1][1] == 302
    assert step.done in done.content.decode()
    assert appointment.status == step.status
    if step.status == "completed":
        assert appointment.visit_note == NOTE
    else:
        assert appointment.checked_in_at is None
    assert AuditEvent.objects.filter(
        action=step.change.audited, target_id=str(appointment.public_id)
    ).exists()
    # What the step sets off waits in the outbox, tried once, not lost ...
    assert waiting
    assert all(
        (m.handled_at, m.dispatched_at, m.attempts) == (None, None, 1) and m.last_error
        for m in waiting
    )
    # ... and is done once the broker is back.
    assert not OutboxMessage.objects.filter(
        pk__in=[m.pk for m in waiting], handled_at__isnull=True
    ).exists()


@dataclass
class Outage:
    """A desk registration made while the web process could not reach RabbitMQ."""

    proxy: TcpProxy
    sink: SmtpSink
    worker: Worker
    response: Any
    user: User
    waiting: Delivery  # the password email's row, as the registration left it
    arrived_while_down: int


@pytest.fixture
def registered_while_rabbitmq_was_unreachable(tmp_path, settings) -> Iterator[Outage]:
    """The real broker, reached by this (web) process through a proxy, and a real worker
    sending to a real SMTP server (tests/smtp_sink.py); no beat: the tests sweep, in this
    process, as beat would. The proxy is stopped, the desk registers a walk-in patient."""
    broker = urlsplit(require_service("CELERY_BROKER_URL"))
    proxy = TcpProxy(broker.hostname or "127.0.0.1", broker.port or 5672)
    proxy.start()
    credentials = broker.netloc.rpartition("@")[0]
    proxied = broker._replace(netloc=f"{credentials}@127.0.0.1:{proxy.port}").geturl()
    settings.EMAIL_BACKEND = QUEUED_MAIL
    desk = Client(raise_request_exception=False)
    login_verified(desk, UserFactory.create(role="receptionist"))
    sink = SmtpSink().start()
    try:
        with (
            celery_worker(tmp_path, environment=sink.environment()) as worker,
            publishing_through(proxied),
        ):
            settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = False
            proxy.stop()  # the broker is unreachable for the web process
            response = desk.post(REGISTER, WALK_IN)
            user = assert_registered_whole(WALK_IN["email"])
            waiting = password_email_of(user.email)
            time.sleep(2)  # a task that had reached the worker would have been sent by now
            yield Outage(proxy, sink, worker, response, user, waiting, sink.count())
    finally:
        sink.stop()
        proxy.close()


def sweeping_every_second() -> Iterator[bool]:
    """Runs the notifications' sweep (what Celery beat runs) at most once a second; each
    step says False, for ``wait_for``'s condition."""
    last = 0.0
    while True:
        if time.monotonic() - last >= 1:
            call_command("notifications_sweep")
            last = time.monotonic()
        yield False


@pytest.mark.services("DATABASE_URL", "CELERY_BROKER_URL")
@pytest.mark.django_db(transaction=True)
def test_rabbitmq_unreachable_the_password_email_reaches_the_mail_server_once_it_is_back(
    settings, registered_while_rabbitmq_was_unreachable
):
    outage = registered_while_rabbitmq_was_unreachable
    # The window after which a queued delivery counts as lost: the sweep queues it again (the
    # sweep's own send can be dropped: see the next test).
    settings.NOTIFICATIONS_REQUEUE_AFTER_SECONDS = 1
    time.sleep(1.5)

    outage.proxy.start()  # the broker is back; the sweep runs every second, as beat would
    swept = sweeping_every_second()
    wait_for(lambda: next(swept) or outage.sink.count() >= 1, what="the email at the server")
    call_command("notifications_sweep")  # nothing is pending: nothing more is sent
    time.sleep(2)  # a duplicate would arrive now

    user = outage.user
    assert outage.response.status_code == 302
    assert outage.response["Location"] == f"/appointments/book/?patient={user.public_id}"
    assert outage.waiting.status == "pending"
    assert outage.arrived_while_down == 0
    [message] = outage.sink.to(user.email)
    assert outage.sink.count() == 1
    assert PASSWORD_LINK.search(outage.sink.text_of(message))
    assert password_email_of(user.email).status == "sent"
    assert "Traceback" not in outage.worker.output()


SEND_OUTCOME = re.compile(r"notifications\.tasks\.send_email\[[^\]]+\] succeeded in \S+ '(\w+)'")


@pytest.mark.services("DATABASE_URL", "CELERY_BROKER_URL")
@pytest.mark.django_db(transaction=True)
def test_the_sweeps_send_is_not_dropped_while_the_sweep_commits(
    settings, registered_while_rabbitmq_was_unreachable
):
    """The sweep marks the email queued, then publishes its task: a worker that takes the task
    at once never finds the row locked by the sweep's UPDATE (it would take that for another
    worker's send and drop the task: seen once, when the sweep published first). Here that
    UPDATE takes 2 s to commit, as on a busy disk."""
    outage = registered_while_rabbitmq_was_unreachable
    settings.NOTIFICATIONS_REQUEUE_AFTER_SECONDS = 1  # the sweep takes the email up at once
    time.sleep(1.5)
    table = Delivery._meta.db_table
    queued_at_written = f'UPDATE "{table}" SET "queued_at"'  # noqa: S608 - matched, never run

    def slow_commit(execute, sql, params, many, context):
        if not sql.startswith(queued_at_written):
            return execute(sql, params, many, context)
        with transaction.atomic():
            result = execute(sql, params, many, context)
            time.sleep(2)  # the row stays locked until the commit
        return result

    outage.proxy.start()  # the broker is back
    with connection.execute_wrapper(slow_commit):
        call_command("notifications_sweep")
    wait_for(
        lambda: SEND_OUTCOME.search(outage.worker.output()),
        what="the worker to run the task the sweep queued",
    )
    outcome = SEND_OUTCOME.search(outage.worker.output())

    assert outcome is not None
    assert outcome.group(1) == "sent", outage.worker.output()[-1500:]


# --- 3. The mail server is down --------------------------------------------------------------


def test_smtp_down_the_desk_registers_and_the_email_is_kept_and_sent_when_it_is_back(
    world, settings, django_capture_on_commit_callbacks
):
    sink = SmtpSink()  # its port, where nothing listens until it starts
    settings.EMAIL_BACKEND = QUEUED_MAIL
    settings.NOTIFICATIONS_EMAIL_TRANSPORT = SMTP_TRANSPORT
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    desk = world.client("receptionist")

    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(REGISTER, WALK_IN, follow=True)
    user = assert_registered_whole(WALK_IN["email"])
    kept = password_email_of(user.email)
    sink.start()  # the mail server is back; the sweep retries once the backoff is over
    try:
        with time_machine.travel(kept.next_attempt_at + datetime.timedelta(seconds=1), tick=False):
            call_command("notifications_sweep")
            call_command("notifications_sweep")  # a second sweep sends it no second time
    finally:
        sink.stop()

    html = response.content.decode()
    assert response.redirect_chain == [(f"/appointments/book/?patient={user.public_id}", 302)]
    assert response.status_code == 200
    assert REGISTERED in html and EMAIL_TOLD in html
    # The email was tried, failed, and was kept for a retry, with its link.
    assert kept.status == "pending"
    assert kept.attempts == 1
    assert kept.last_error
    assert kept.next_attempt_at > DURING
    assert PASSWORD_LINK.search(kept.body_text)
    # Once the server is back it arrives, once.
    [message] = sink.to(user.email)
    assert sink.count() == 1
    assert PASSWORD_LINK.search(sink.text_of(message))
    assert password_email_of(user.email).status == "sent"
