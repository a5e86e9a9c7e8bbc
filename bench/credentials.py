"""Signed-in clients for the measurements, made in-process against the bench database and
the bench Redis (the server shares both): API token pairs and browser session cookies.

Staff get a session that passed their second factor (the bench data gives each an
authenticator), as the login's MFA step leaves it; patients a plain one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REAL_SIGN_IN_PASSWORD = "bench-passphrase-for-all-users"  # noqa: S105 - bench data only


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def _device_id(user: Any) -> str:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not user.is_staff_member:
        return ""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device.persistent_id if device is not None else ""


def token_pair(user: Any) -> TokenPair:
    """A new API session for ``user`` (as /auth/login and, for staff, /auth/mfa make it)."""
    from accounts.services import sessions

    pair = sessions.api_session_start(user=user, request=None, mfa_device=_device_id(user))
    return TokenPair(access=pair.access_token, refresh=pair.refresh_token)


def session_client(user: Any) -> Any:
    """A test Client signed in to a tracked browser session (the adapter's login path)."""
    from django.test import Client, RequestFactory
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.services import sessions

    client = Client()
    client.force_login(user)
    session = client.session
    device_id = _device_id(user)
    if device_id:
        session[DEVICE_ID_SESSION_KEY] = device_id
    request = RequestFactory().get("/")
    request.session = session
    sessions.web_session_start(request=request, user=user, mfa_device=device_id)
    session.save()
    return client


def session_cookie(user: Any) -> str:
    """``name=value`` of a signed-in browser session's cookie, for wrk and Locust."""
    from django.conf import settings

    client = session_client(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


def bench_users() -> dict[str, Any]:
    """The people the measurements act as: the patient with the most appointments, a doctor
    (2,000 appointments), a receptionist, and the department's appointment type."""
    from django.db.models import Count

    from accounts.models import User
    from appointments.models import Appointment, AppointmentType

    busiest = (
        Appointment.objects.filter(patient__email__startswith="patient")
        .values("patient_id")
        .annotate(visits=Count("id"))
        .order_by("-visits")
        .first()
    )
    if busiest is None:
        raise RuntimeError("no bench data: run bench/run.py")
    return {
        "patient": User.objects.get(pk=busiest["patient_id"]),
        "doctor": User.objects.get(email="doctor0@bench.test"),
        "receptionist": User.objects.get(email="reception0@bench.test"),
        "appointment_type": AppointmentType.objects.select_related("department").get(
            name="Consultation", department__code="bench"
        ),
    }
