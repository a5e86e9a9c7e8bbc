"""One clock on every page: 24-hour times, in the admin too (Django's en_GB writes "p.m.")."""

from __future__ import annotations

import datetime

import pytest
from django.template import Context, Template
from django.utils import translation

pytestmark = pytest.mark.django_db

EVENING = datetime.time(19, 35)


@pytest.mark.parametrize("language", ["en", "en-gb"])
def test_times_and_datetimes_use_the_24_hour_clock(language: str) -> None:
    moment = datetime.datetime(2026, 7, 5, 19, 35, tzinfo=datetime.UTC)
    with translation.override(language):
        rendered = Template(
            "{{ evening|time }}|{{ moment|date:'DATETIME_FORMAT' }}|{{ moment|date:'SHORT_DATETIME_FORMAT' }}"
        ).render(Context({"evening": EVENING, "moment": moment}))

    assert rendered == "19:35|5 Jul 2026, 20:35|05/07/2026 20:35"  # the hospital's zone: BST
    assert "p.m." not in rendered


def test_the_admins_lists_show_24_hour_times(client, admin_user) -> None:
    from tests.conftest import login_verified
    from tests.factories import AppointmentTypeFactory, PractitionerFactory, WorkingHoursFactory

    consultation = AppointmentTypeFactory.create()
    practitioner = PractitionerFactory.create(
        department=consultation.department, offers=[consultation]
    )
    WorkingHoursFactory.create(
        practitioner=practitioner, start_time=datetime.time(13), end_time=datetime.time(19, 30)
    )

    login_verified(client, admin_user)
    page = client.get(f"/admin/appointments/practitioner/{practitioner.pk}/change/")

    assert page.status_code == 200
    assert "19:30" in page.content.decode()
    assert "p.m." not in page.content.decode()
    assert "a.m." not in page.content.decode()
