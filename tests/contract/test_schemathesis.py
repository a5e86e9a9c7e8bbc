"""Schemathesis against the live schema: every operation, every check, anonymous, as a
patient and as a doctor signed in with a second factor. The server must answer what
/api/schema/ promises (status codes, bodies, headers, content types), accept what the schema
calls valid and refuse what it calls invalid, and never answer 500.

Schemathesis runs as its command line does, against pytest-django's live server (a real HTTP
server on the test database), with a bounded number of examples per operation and a fixed seed
so a failure reproduces (CONTRACT_SEED changes it; CONTRACT_PHASES=examples,coverage,fuzzing
adds the coverage phase, CONTRACT_MAX_EXAMPLES more examples).
Its report is printed when it fails. The settings are tests/contract/schemathesis.toml plus,
per run, the persona's bearer token and the ids of real records, so the generated requests
reach the logic behind the lookups. Operations that end or change the caller's own credentials
send a token of a throwaway account of the same role, so a logout or a deactivation cannot
sign the persona out for the operations tested after it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.services import sessions
from appointments.models import Appointment
from tests.contract.conftest import Clinic, api_sign_in, appointment_booked
from tests.factories import PatientProfileFactory, StaffProfileFactory

# Per operation and phase; CONTRACT_MAX_EXAMPLES raises it for a deeper run by hand.
MAX_EXAMPLES = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "5"))
# A safety net only (no --max-time: with it, fuzzing repeats until the time is spent).
TIME_LIMIT_SECONDS = 240
SETTINGS = Path(__file__).with_name("schemathesis.toml")

# Operations whose success ends or changes the caller's own credentials.
SELF_ENDING = (
    "/api/v1/auth/logout",
    "/api/v1/account/deactivate",
    "/api/v1/account/password",
    "/api/v1/account/email",
    "/api/v1/account/sessions/end-others",
    "/api/v1/account/sessions/{session_id}",
    "/api/v1/account/mfa/remove",
)


def _toml(value: object) -> str:
    return json.dumps(value)  # a JSON string or list is a valid TOML value


def _throwaway_token(persona: str) -> str:
    user: User
    if persona == "patient":
        user = PatientProfileFactory.create().user
        return sessions.api_session_start(user=user, request=None).access_token
    user = StaffProfileFactory.create().user
    device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    pair = sessions.api_session_start(user=user, request=None, mfa_device=device.persistent_id)
    return pair.access_token


def _run_settings(persona: str, token: str | None, clinic: Clinic, appointment: Appointment) -> str:
    """schemathesis.toml plus this run's credentials and real ids."""
    lines = [
        SETTINGS.read_text(),
        "[parameters]",
        f"appointment_id = {_toml(str(appointment.public_id))}",
        f"practitioner_id = {_toml(str(clinic.practitioner.public_id))}",
        f'"query.appointment_type" = {_toml(str(clinic.appointment_type.public_id))}',
    ]
    if token is not None:
        lines += ["[headers]", f"Authorization = {_toml('Bearer ' + token)}"]
        for path in SELF_ENDING:
            lines += [
                "[[operations]]",
                f"include-path = {_toml(path)}",
                f"headers = {{ Authorization = {_toml('Bearer ' + _throwaway_token(persona))} }}",
            ]
    return "\n".join(lines) + "\n"


def _command(live_server_url: str, schema_file: Path, settings_file: Path) -> list[str]:
    return [
        str(Path(sys.executable).with_name("schemathesis")),
        f"--config-file={settings_file}",
        "run",
        str(schema_file),
        f"--url={live_server_url}",
        "--checks=all",
        f"--phases={os.environ.get('CONTRACT_PHASES', 'examples,fuzzing')}",
        f"--max-examples={MAX_EXAMPLES}",
        f"--seed={os.environ.get('CONTRACT_SEED', '20261130')}",
        "--no-shrink",
        "--workers=1",
        "--request-timeout=20",
        "--suppress-health-check=all",
        f"--report-dir={settings_file.parent}",
        "--report=junit",
    ]


@pytest.mark.services("DATABASE_URL")
def test_the_server_keeps_the_published_contract(
    live_server, clinic: Clinic, tmp_path: Path
) -> None:
    # The live schema, read once from the server: the three runs test the same document.
    schema = httpx.get(f"{live_server.url}/api/schema/?format=json", timeout=60)
    assert schema.status_code == 200, schema.text
    schema_file = tmp_path / "openapi.json"
    schema_file.write_bytes(schema.content)
    tokens = {
        "anonymous": None,
        "patient": api_sign_in(live_server.url, clinic.patient)["access_token"],
        "doctor": api_sign_in(live_server.url, clinic.doctor, clinic.doctor_device)["access_token"],
    }

    appointment = appointment_booked(clinic)

    # The three personas run side by side against the same server.
    runs = {}
    for persona, token in tokens.items():
        workdir = tmp_path / persona
        workdir.mkdir()
        settings_file = workdir / "schemathesis.toml"
        settings_file.write_text(_run_settings(persona, token, clinic, appointment))
        runs[persona] = subprocess.Popen(  # noqa: S603 - our own venv's schemathesis
            _command(live_server.url, schema_file, settings_file),
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    reports = {
        persona: run.communicate(timeout=TIME_LIMIT_SECONDS)[0] for persona, run in runs.items()
    }

    failed = [persona for persona, run in runs.items() if run.returncode != 0]
    assert not failed, "\n\n".join(
        f"schemathesis as {persona}:\n{reports[persona]}" for persona in failed
    )
