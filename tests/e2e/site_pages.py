"""The site's pages, for every role, on the demo data `make run` shows (manage.py seed_demo).

The browser checks that go over every page (layout at phone widths, touch targets,
accessibility) take their list from here, so a page added to the site is added here once and
every check covers it.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext

from accounts.models import User
from accounts.roles import Role
from accounts.selectors.users import user_get_by_email
from appointments.models import Appointment, Practitioner
from tests.conftest import login_verified

ANONYMOUS = "anonymous"
# The demo person of each role (accounts/demo.py): staff sign in with a verified second factor.
DEMO_PEOPLE = {
    Role.PATIENT: "ada.patient@hospital.example",
    Role.DOCTOR: "dr.house@hospital.example",
    Role.NURSE: "nurse.joy@hospital.example",
    Role.RECEPTIONIST: "reception@hospital.example",
    Role.ADMIN: "admin@hospital.example",
    Role.COMPLIANCE_OFFICER: "compliance@hospital.example",
}
ROLES = [ANONYMOUS, *DEMO_PEOPLE]

ANONYMOUS_PAGES = [
    "/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/no/such/page/",
]
# Pages every signed-in person has.
ACCOUNT_PAGES = [
    "/",
    "/accounts/",
    "/accounts/profile/",
    "/accounts/security/",
    "/accounts/security/totp/",
    "/accounts/security/sms/",
    "/accounts/security/passkey/",
    "/accounts/sessions/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/notifications/",
    "/notifications/settings/",
]


@dataclass(frozen=True)
class SitePages:
    """The paths each role opens, on the seeded demo data."""

    by_role: dict[str, list[str]]


def _today_at_reception(patient: User, like: Appointment) -> None:
    """Two of today's rows for the reception list (the demo books from tomorrow on): one
    checked in (its undo button), one booked (check-in or no-show), in the small hours, when
    nobody works, so they clash with nothing."""
    zone = like.practitioner.zone
    small_hours = datetime.datetime.combine(timezone.localdate(), datetime.time(1), tzinfo=zone)
    for hour, status in ((0, Appointment.Status.CHECKED_IN), (1, Appointment.Status.BOOKED)):
        start = small_hours + datetime.timedelta(hours=hour)
        end = start + datetime.timedelta(minutes=15)
        Appointment.objects.create(
            patient=patient,
            practitioner=like.practitioner,
            appointment_type=like.appointment_type,
            start=start,
            end=end,
            blocked_until=end,
            status=status,
            channel=Appointment.Channel.WEB,
        )


def seed_site() -> SitePages:
    """Seed the demo data and list every page of every role on it."""
    call_command("seed_demo", stdout=io.StringIO())
    # The style guide is on while developing and testing (the checks below go through it).
    assert django_settings.STYLEGUIDE_ENABLED
    patient = user_get_by_email(email=DEMO_PEOPLE[Role.PATIENT])
    assert patient is not None
    own = (
        Appointment.objects.filter(patient=patient, start__gt=timezone.now())
        .order_by("start")
        .first()
    )
    assert own is not None, "the demo data books appointments for the demo patient"
    practitioner = Practitioner.objects.select_related("user").get(
        user__email=DEMO_PEOPLE[Role.DOCTOR]
    )
    _today_at_reception(patient, own)
    first_day = own.start.astimezone(practitioner.zone).date()
    schedule_day = first_day.isoformat()
    week_start = (first_day - datetime.timedelta(days=first_day.weekday())).isoformat()
    appointment = f"/appointments/{own.public_id}/"
    # A confirmation page's new time (the page only asks; its POST checks the time).
    other_start = quote((own.start + datetime.timedelta(days=1)).isoformat(), safe="")
    rule = practitioner.working_hours.order_by("pk").first()
    assert rule is not None
    manage = f"/appointments/manage/{practitioner.public_id}/"
    clinician = [
        *ACCOUNT_PAGES,
        f"/appointments/schedule/?date={schedule_day}",
        f"/appointments/schedule/?date={week_start}&view=week",
        appointment,
    ]
    return SitePages(
        by_role={
            ANONYMOUS: ANONYMOUS_PAGES,
            Role.PATIENT: [
                *ACCOUNT_PAGES,
                "/accounts/deactivate/",
                "/appointments/",
                "/appointments/book/",
                "/appointments/waitlist/",
                "/appointments/calendar-feed/",
                appointment,
                f"{appointment}reschedule/",
                f"{appointment}reschedule/?start={other_start}",
                "/appointments/book/confirm/?appointment_type="
                f"{own.appointment_type.public_id}&practitioner={own.practitioner.public_id}"
                f"&start={other_start}",
                f"{appointment}cancel/",
            ],
            Role.DOCTOR: clinician,
            Role.NURSE: [*ACCOUNT_PAGES, f"/appointments/schedule/?date={schedule_day}"],
            Role.RECEPTIONIST: [
                *ACCOUNT_PAGES,
                f"/appointments/reception/?date={schedule_day}",
                "/appointments/book/",
                "/appointments/reception/patients/new/",
                f"/appointments/book/?patient={patient.public_id}",
                f"/appointments/schedule/?date={schedule_day}",
                "/accounts/identity-requests/",
                appointment,
            ],
            Role.ADMIN: [
                *ACCOUNT_PAGES,
                "/styleguide/",
                "/appointments/manage/",
                manage,
                f"{manage}hours/{rule.public_id}/remove/",
                f"/appointments/schedule/?date={schedule_day}",
            ],
            Role.COMPLIANCE_OFFICER: [*ACCOUNT_PAGES],
        }
    )


@contextmanager
def signed_in(
    browser: Browser,
    base_url: str,
    role: str,
    *,
    service_workers: str = "allow",
    language: str = "en",
) -> Iterator[BrowserContext]:
    """A browser context signed in as the role's demo person (staff with a verified second
    factor, as the sign-in's second step leaves them), or anonymous. ``service_workers=
    "block"``: every request goes to the network (a page's weight is measured so).
    ``language``: the browser's (Accept-Language), which the pages follow."""
    context = browser.new_context(service_workers=service_workers, locale=language)  # type: ignore[arg-type]
    try:
        if role != ANONYMOUS:
            user = user_get_by_email(email=DEMO_PEOPLE[Role(role)])
            assert user is not None
            client = Client()
            if user.role == Role.PATIENT:
                client.force_login(user)
            else:
                login_verified(client, user)
            name = django_settings.SESSION_COOKIE_NAME
            context.add_cookies(
                [{"name": name, "value": client.cookies[name].value, "url": base_url}]
            )
        yield context
    finally:
        context.close()
