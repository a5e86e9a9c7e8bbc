"""The code examples of docs/api-examples.md run against a live server, so they cannot rot.

Every fenced block of the page is extracted and run as it is written (bash for curl, python,
node for JavaScript) with the server URL, credentials and ids in the environment variables the
page lists. The flows are chained the way an app chains them: sign in with the second factor,
find slots, book with an Idempotency-Key, reschedule, cancel, refresh; each step's JSON answer
feeds the next, and the database shows the effect.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuthSession
from appointments.models import Appointment
from tests.conftest import IN_CI, totp_code
from tests.contract.conftest import Clinic
from tests.factories import TEST_PASSWORD

PAGE = Path(__file__).resolve().parents[2] / "docs" / "api-examples.md"
FLOWS = (
    "Sign in with the second factor",
    "Find free slots",
    "Book with an Idempotency-Key",
    "Reschedule",
    "Cancel",
    "Refresh the tokens",
)
LANGUAGES = ("bash", "python", "javascript")


def snippets() -> dict[tuple[str, str], str]:
    """{(flow heading, language): code} for every fenced block under a ``##`` heading."""
    found: dict[tuple[str, str], str] = {}
    for section in re.split(r"^## ", PAGE.read_text(), flags=re.MULTILINE)[1:]:
        heading = section.splitlines()[0].strip()
        for language, code in re.findall(r"^```(\w+)\n(.*?)^```$", section, re.S | re.M):
            assert (heading, language) not in found, f"two {language} blocks in {heading}"
            found[heading, language] = code
    return found


def test_the_page_shows_every_flow_in_every_language() -> None:
    assert set(snippets()) == {(flow, language) for flow in FLOWS for language in LANGUAGES}


def _interpreter(language: str) -> list[str]:
    program = {"bash": "bash", "python": sys.executable, "javascript": "node"}[language]
    path = shutil.which(program) if language != "python" else program
    required = {"bash": ("bash", "curl", "jq"), "python": (), "javascript": ("node",)}[language]
    missing = [tool for tool in required if shutil.which(tool) is None]
    if missing:
        message = f"{', '.join(missing)} not installed: the {language} examples cannot run."
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    assert path is not None
    return {
        "bash": [path, "-euo", "pipefail", "-c"],
        "python": [path, "-c"],
        "javascript": [path, "--input-type=module", "-e"],
    }[language]


def run_example(flow: str, language: str, **variables: str) -> dict:
    """Run the page's ``language`` block of ``flow`` with ``variables``; its JSON output."""
    code = snippets()[flow, language]
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108 - only for tools that want one
        **variables,
    }
    run = subprocess.run(  # noqa: S603 - the documented snippet, run as the page shows it
        [*_interpreter(language), code],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, f"{flow} ({language}) failed:\n{run.stdout}\n{run.stderr}"
    result: dict = json.loads(run.stdout)
    return result


@pytest.mark.services("DATABASE_URL")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_documented_flows_run_against_a_live_server(
    language: str, live_server, clinic: Clinic
) -> None:
    patient = clinic.patient
    device = TOTPDevice.objects.create(user=patient, name="Authenticator", confirmed=True)
    server = {"HOSPITAL_API": live_server.url}

    signed_in = run_example(
        "Sign in with the second factor",
        language,
        **server,
        HOSPITAL_EMAIL=patient.email,
        HOSPITAL_PASSWORD=TEST_PASSWORD,
        HOSPITAL_TOTP_CODE=totp_code(device),
    )
    assert signed_in["status"] == "authenticated"
    tokens = signed_in["tokens"]
    assert AuthSession.objects.get(public_id=tokens["session_id"]).mfa_device
    auth = {**server, "ACCESS_TOKEN": tokens["access_token"]}
    ids = {
        "APPOINTMENT_TYPE_ID": str(clinic.appointment_type.public_id),
        "PRACTITIONER_ID": str(clinic.practitioner.public_id),
    }

    # Past the patients' change cut-off, so the booking can still be moved and cancelled.
    first_day = timezone.localdate() + datetime.timedelta(days=3)
    page = run_example(
        "Find free slots",
        language,
        **auth,
        **ids,
        DATE_FROM=first_day.isoformat(),
        DATE_TO=(first_day + datetime.timedelta(days=6)).isoformat(),
    )
    first, second = page["results"][0], page["results"][1]

    booked = run_example(
        "Book with an Idempotency-Key",
        language,
        **auth,
        **ids,
        SLOT_START=first["start"],
        IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    appointment = Appointment.objects.get(public_id=booked["id"])
    assert appointment.patient == patient
    assert appointment.status == Appointment.Status.BOOKED
    assert appointment.start == datetime.datetime.fromisoformat(first["start"])

    moved = run_example(
        "Reschedule",
        language,
        **auth,
        APPOINTMENT_ID=booked["id"],
        NEW_START=second["start"],
    )
    appointment.refresh_from_db()
    assert moved["id"] == booked["id"]
    assert appointment.start == datetime.datetime.fromisoformat(second["start"])

    cancelled = run_example("Cancel", language, **auth, APPOINTMENT_ID=booked["id"])
    appointment.refresh_from_db()
    assert cancelled["status"] == "cancelled"
    assert appointment.status == Appointment.Status.CANCELLED
    assert appointment.cancellation_reason == "Feeling better"

    renewed = run_example(
        "Refresh the tokens", language, **server, REFRESH_TOKEN=tokens["refresh_token"]
    )
    assert renewed["access_token"] != tokens["access_token"]
    assert renewed["session_id"] == tokens["session_id"]
