"""A typed client generated from the live /api/schema/ by openapi-python-client drives the
patient's and the staff's main flows, as a mobile developer's generated client would.

The client is generated at test time into a temporary directory (never a checked-in copy), so
any change to the schema that breaks generated clients breaks this test. The client raises on
any status the schema does not document, every answer is read through the generated models,
and every error body is read through the typed ``Problem`` model.
"""

from __future__ import annotations

import datetime
import importlib
import subprocess
import sys
import uuid
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from appointments.models import Appointment
from tests.conftest import totp_code
from tests.contract.conftest import Clinic, appointment_booked, appointment_due_soon
from tests.factories import TEST_PASSWORD, StaffProfileFactory

PACKAGE = "hospital_client"
# No post hooks: the generator would otherwise format its output with ruff from PATH.
GENERATOR_CONFIG = (
    f"package_name_override: {PACKAGE}\nproject_name_override: {PACKAGE}\npost_hooks: []\n"
)

pytestmark = [pytest.mark.services("DATABASE_URL"), pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def generated(live_server, tmp_path_factory) -> Iterator[ModuleType]:
    """The package openapi-python-client generates from the live server's schema."""
    workdir = tmp_path_factory.mktemp("generated-client")
    config = workdir / "generator.yaml"
    config.write_text(GENERATOR_CONFIG)
    run = subprocess.run(  # noqa: S603 - our own venv's generator, fixed arguments
        [
            str(Path(sys.executable).with_name("openapi-python-client")),
            "generate",
            f"--url={live_server.url}/api/schema/?format=json",
            "--meta=none",
            f"--output-path={workdir / PACKAGE}",
            f"--config={config}",
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, f"openapi-python-client:\n{run.stdout}\n{run.stderr}"
    sys.path.insert(0, str(workdir))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(workdir))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


class Api:
    """The generated package's operations and models, by their generated names."""

    def __init__(self, package: ModuleType, base_url: str) -> None:
        self.base_url = base_url
        self.client_module = importlib.import_module(f"{PACKAGE}.client")
        self.models = importlib.import_module(f"{PACKAGE}.models")

    def op(self, tag: str, operation: str) -> Any:
        return importlib.import_module(f"{PACKAGE}.api.{tag}.{operation}")

    def anonymous(self) -> Any:
        return self.client_module.Client(base_url=self.base_url, raise_on_unexpected_status=True)

    def signed_in(self, access_token: str) -> Any:
        return self.client_module.AuthenticatedClient(
            base_url=self.base_url, token=access_token, raise_on_unexpected_status=True
        )

    def problem(self, response: Any, status: int, code: str) -> Any:
        """The typed Problem of an error answer, checked against the status and code."""
        assert response.status_code == status, response.content
        problem = response.parsed
        assert isinstance(problem, self.models.Problem), response.content
        assert problem.status == status
        assert problem.code == code
        assert problem.request_id
        assert problem.title
        return problem

    def sign_in(self, email: str, device: TOTPDevice | None = None) -> Any:
        """Password, then (for an account with a second factor) the authenticator's code."""
        auth_login = self.op("auth", "auth_login")
        answer = auth_login.sync_detailed(
            client=self.anonymous(),
            body=self.models.LoginInputRequest(email=email, password=TEST_PASSWORD),
        )
        assert answer.status_code == 200, answer.content
        result = answer.parsed
        if device is not None:
            assert isinstance(result, self.models.LoginMfaRequired), answer.content
            assert self.models.SecondFactorMethodEnum.TOTP in result.methods
            wrong = self.op("auth", "auth_login_mfa").sync_detailed(
                client=self.anonymous(),
                body=self.models.MfaInputRequest(
                    mfa_token=result.mfa_token,
                    method=self.models.SecondFactorMethodEnum.TOTP,
                    code="000000" if totp_code(device) != "000000" else "111111",
                ),
            )
            self.problem(wrong, 400, "INVALID_OTP")
            answer = self.op("auth", "auth_login_mfa").sync_detailed(
                client=self.anonymous(),
                body=self.models.MfaInputRequest(
                    mfa_token=result.mfa_token,
                    method=self.models.SecondFactorMethodEnum.TOTP,
                    code=totp_code(device),
                ),
            )
            assert answer.status_code == 200, answer.content
            result = answer.parsed
        assert isinstance(result, self.models.LoginAuthenticated), answer.content
        return result.tokens


@pytest.fixture
def api(generated, live_server) -> Api:
    return Api(generated, live_server.url)


def test_a_patient_books_reschedules_cancels_and_waits_through_the_generated_client(
    api: Api, clinic: Clinic
) -> None:
    m = api.models
    tokens = api.sign_in(clinic.patient.email)
    patient = api.signed_in(tokens.access_token)

    me = api.op("account", "account_me").sync_detailed(client=patient)
    assert isinstance(me.parsed, m.MeOutput)
    assert me.parsed.role == m.RoleEnum.PATIENT

    types = api.op("appointments", "appointment_types_list").sync_detailed(client=patient)
    consultation = next(t for t in types.parsed if t.name == "Consultation")
    assert consultation.id == clinic.appointment_type.public_id
    practitioners = api.op("appointments", "practitioners_list").sync_detailed(client=patient)
    assert isinstance(practitioners.parsed.results[0], m.PractitionerSummary)
    practitioner = practitioners.parsed.results[0]
    assert practitioner.id == clinic.practitioner.public_id

    # Past the patients' change cut-off, so the booking can still be moved and cancelled.
    first_day = timezone.localdate() + datetime.timedelta(days=3)
    slots = api.op("appointments", "slots_list").sync_detailed(
        client=patient,
        appointment_type=consultation.id,
        practitioner=practitioner.id,
        date_from=first_day,
        date_to=first_day + datetime.timedelta(days=6),
    )
    assert isinstance(slots.parsed, m.SlotPage), slots.content
    first, second = slots.parsed.results[0], slots.parsed.results[1]
    bad_window = api.op("appointments", "slots_list").sync_detailed(
        client=patient,
        appointment_type=consultation.id,
        date_from=first_day,
        date_to=first_day - datetime.timedelta(days=1),
    )
    field_errors = api.problem(bad_window, 400, "VALIDATION_ERROR").errors
    assert isinstance(field_errors, m.ProblemErrors)
    assert all(
        isinstance(message, str)
        for messages in field_errors.additional_properties.values()
        for message in messages
    )

    key = str(uuid.uuid4())
    book = api.op("appointments", "appointment_book")
    booking = m.BookInputRequest(
        appointment_type=consultation.id, practitioner=first.practitioner.id, start=first.start
    )
    booked = book.sync_detailed(client=patient, body=booking, idempotency_key=key)
    replayed = book.sync_detailed(client=patient, body=booking, idempotency_key=key)
    assert booked.status_code == 201, booked.content
    appointment = booked.parsed
    assert isinstance(appointment, m.AppointmentOutput)
    assert appointment.status == m.AppointmentOutputStatusEnum.BOOKED
    assert appointment.appointment_type.id == consultation.id
    assert replayed.status_code == 201
    assert replayed.parsed.id == appointment.id
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    taken = book.sync_detailed(client=patient, body=booking, idempotency_key=str(uuid.uuid4()))
    api.problem(taken, 409, "SLOT_TAKEN")

    listed = api.op("appointments", "appointments_list").sync_detailed(client=patient)
    assert isinstance(listed.parsed, m.AppointmentPage)
    assert [a.id for a in listed.parsed.results] == [appointment.id]

    current = api.op("appointments", "appointment_get").sync_detailed(
        appointment.id, client=patient
    )
    etag = current.headers["ETag"]
    reschedule = api.op("appointments", "appointment_reschedule")
    moved = reschedule.sync_detailed(
        appointment.id,
        client=patient,
        body=m.RescheduleInputRequest(start=second.start),
        if_match=etag,
    )
    assert moved.status_code == 200, moved.content
    assert moved.parsed.start == second.start
    stale = reschedule.sync_detailed(
        appointment.id,
        client=patient,
        body=m.RescheduleInputRequest(start=first.start),
        if_match=etag,
    )
    api.problem(stale, 412, "PRECONDITION_FAILED")

    cancelled = api.op("appointments", "appointment_cancel").sync_detailed(
        appointment.id, client=patient, body=m.CancelInputRequest(reason="Feeling better")
    )
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.parsed.status == m.AppointmentOutputStatusEnum.CANCELLED
    again = api.op("appointments", "appointment_cancel").sync_detailed(
        appointment.id, client=patient, body=m.CancelInputRequest()
    )
    api.problem(again, 409, "INVALID_TRANSITION")

    joined = api.op("waitlist", "waitlist_join").sync_detailed(
        client=patient,
        body=m.WaitlistInputRequest(
            appointment_type=consultation.id,
            date_from=first_day,
            date_to=first_day + datetime.timedelta(days=6),
        ),
        idempotency_key=str(uuid.uuid4()),
    )
    assert joined.status_code == 201, joined.content
    assert isinstance(joined.parsed, m.WaitlistOutput)
    waitlist = api.op("waitlist", "waitlist_list").sync_detailed(client=patient)
    assert [entry.id for entry in waitlist.parsed.results] == [joined.parsed.id]

    refresh = api.op("auth", "auth_refresh")
    renewed = refresh.sync_detailed(
        client=api.anonymous(), body=m.RefreshInputRequest(refresh_token=tokens.refresh_token)
    )
    assert isinstance(renewed.parsed, m.TokenPairOutput), renewed.content
    patient = api.signed_in(renewed.parsed.access_token)
    assert api.op("account", "account_me").sync_detailed(client=patient).status_code == 200
    forged = refresh.sync_detailed(
        client=api.anonymous(), body=m.RefreshInputRequest(refresh_token="not-a-token")
    )
    api.problem(forged, 401, "INVALID_TOKEN")

    logout = api.op("auth", "auth_logout").sync_detailed(client=patient)
    assert logout.status_code == 204
    after = api.op("account", "account_me").sync_detailed(client=patient)
    api.problem(after, 401, "AUTHENTICATION_FAILED")


def test_staff_sign_in_with_the_second_factor_and_run_the_day_through_the_generated_client(
    api: Api, clinic: Clinic
) -> None:
    m = api.models
    visit = appointment_due_soon(clinic)
    receptionist = StaffProfileFactory.create(user__role="receptionist").user
    receptionist_device = TOTPDevice.objects.create(
        user=receptionist, name="Authenticator", confirmed=True
    )
    doctor = api.signed_in(api.sign_in(clinic.doctor.email, clinic.doctor_device).access_token)
    desk = api.signed_in(api.sign_in(receptionist.email, receptionist_device).access_token)

    day = visit.start.astimezone(zoneinfo.ZoneInfo(clinic.practitioner.time_zone)).date()
    schedule = api.op("appointments", "appointments_list").sync_detailed(
        client=doctor, practitioner="me", date_from=day, date_to=day
    )
    assert isinstance(schedule.parsed, m.AppointmentPage), schedule.content
    assert [a.id for a in schedule.parsed.results] == [visit.public_id]
    assert schedule.parsed.results[0].patient.id == clinic.patient.public_id

    too_early = api.op("appointments", "appointment_start").sync_detailed(
        visit.public_id, client=doctor
    )
    api.problem(too_early, 409, "VISIT_NOT_CHECKED_IN")
    not_the_desk = api.op("appointments", "appointment_check_in").sync_detailed(
        visit.public_id, client=doctor
    )
    api.problem(not_the_desk, 403, "NOT_ALLOWED")
    next_week = appointment_booked(clinic)
    not_yet = api.op("appointments", "appointment_check_in").sync_detailed(
        next_week.public_id, client=desk
    )
    api.problem(not_yet, 409, "CHECK_IN_NOT_OPEN")

    # A check-in recorded by mistake is undone, then recorded again.
    check_in = api.op("appointments", "appointment_check_in")
    assert check_in.sync_detailed(visit.public_id, client=desk).status_code == 200
    undone = api.op("appointments", "appointment_check_in_undo").sync_detailed(
        visit.public_id, client=desk
    )
    assert undone.status_code == 200, undone.content
    assert undone.parsed.status == m.AppointmentOutputStatusEnum.BOOKED
    checked_in = check_in.sync_detailed(visit.public_id, client=desk)
    assert checked_in.status_code == 200, checked_in.content
    assert checked_in.parsed.status == m.AppointmentOutputStatusEnum.CHECKED_IN
    started = api.op("appointments", "appointment_start").sync_detailed(
        visit.public_id, client=doctor
    )
    assert started.status_code == 200, started.content
    assert started.parsed.status == m.AppointmentOutputStatusEnum.IN_PROGRESS
    # The undo once the visit started: refused, in the language the app asks for.
    too_late = api.op("appointments", "appointment_check_in_undo").sync_detailed(
        visit.public_id, client=desk.with_headers({"Accept-Language": "es"})
    )
    assert too_late.status_code == 409, too_late.content
    assert too_late.headers["Content-Language"] == "es"
    assert isinstance(too_late.parsed, m.Problem)
    assert too_late.parsed.title == "Conflicto"
    complete = api.op("appointments", "appointment_complete")
    too_long = complete.sync_detailed(
        visit.public_id, client=doctor, body=m.CompleteInputRequest(note="x" * 4001)
    )
    api.problem(too_long, 400, "VALIDATION_ERROR")
    completed = complete.sync_detailed(
        visit.public_id,
        client=doctor,
        body=m.CompleteInputRequest(note="Blood pressure fine. Repeat in six months."),
    )
    assert completed.status_code == 200, completed.content
    assert completed.parsed.status == m.AppointmentOutputStatusEnum.COMPLETED
    twice = complete.sync_detailed(visit.public_id, client=doctor)
    api.problem(twice, 409, "INVALID_TRANSITION")

    visit.refresh_from_db()
    assert visit.status == Appointment.Status.COMPLETED
    assert visit.visit_note == "Blood pressure fine. Repeat in six months."


def test_a_patient_reads_and_chooses_notifications_through_the_generated_client(
    api: Api, clinic: Clinic
) -> None:
    from notifications.models import Notification
    from notifications.services.dispatch import notify

    m = api.models
    for number in range(2):
        notify(
            kind="security.password_changed",
            user=clinic.patient,
            context={"at": timezone.now()},
            key=f"generated-client-{number}",
            channels=("in_app",),
        )
    tokens = api.sign_in(clinic.patient.email)
    patient = api.signed_in(tokens.access_token)

    page = api.op("notifications", "notifications_list").sync_detailed(client=patient)
    assert page.status_code == 200, page.content
    assert all(isinstance(item, m.NotificationOutput) for item in page.parsed.results)
    kinds = [item.kind for item in page.parsed.results]
    assert kinds.count("security.password_changed") == 2
    unread = api.op("notifications", "notifications_unread_count").sync_detailed(client=patient)
    assert isinstance(unread.parsed, m.UnreadCountOutput)
    before = unread.parsed.unread_count
    read = api.op("notifications", "notification_read").sync_detailed(
        client=patient, notification_id=page.parsed.results[0].id
    )
    assert read.parsed.unread_count == before - 1
    missing = api.op("notifications", "notification_read").sync_detailed(
        client=patient, notification_id=uuid.uuid4()
    )
    api.problem(missing, 404, "NOTIFICATION_NOT_FOUND")
    all_read = api.op("notifications", "notifications_read_all").sync_detailed(client=patient)
    assert isinstance(all_read.parsed, m.ReadAllOutput)
    assert all_read.parsed.unread_count == 0
    assert not Notification.objects.filter(recipient=clinic.patient, read_at__isnull=True).exists()

    choices = api.op("notifications", "notification_preferences").sync_detailed(client=patient)
    assert isinstance(choices.parsed, m.PreferencesOutput)
    names = {choice.name: choice for choice in choices.parsed.choices}
    assert names["security.email"].locked is True
    assert names["reminders.sms"].available is False
    update = api.op("notifications", "notification_preferences_update")
    refused = update.sync_detailed(
        client=patient,
        body=m.PatchedPreferencesInputRequest.from_dict({"choices": {"security.email": False}}),
    )
    api.problem(refused, 400, "VALIDATION_ERROR")
    changed = update.sync_detailed(
        client=patient,
        body=m.PatchedPreferencesInputRequest.from_dict(
            {
                "choices": {"appointments.email": False},
                "quiet_hours": {"start": "22:00", "end": "07:00"},
            }
        ),
    )
    assert changed.status_code == 200, changed.content
    after = {choice.name: choice.enabled for choice in changed.parsed.choices}
    assert after["appointments.email"] is False
    assert changed.parsed.quiet_hours.start == "22:00"

    ticket = api.op("notifications", "notifications_socket_ticket").sync_detailed(client=patient)
    assert ticket.status_code == 201, ticket.content
    assert ticket.parsed.url == f"/ws/notifications/?ticket={ticket.parsed.ticket}"
