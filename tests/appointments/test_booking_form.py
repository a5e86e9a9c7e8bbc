"""The booking and waitlist forms: types grouped by department, and each practitioner option
naming the types they offer (the page's script hides the others); the server still refuses a
practitioner who does not offer the type when the script does not run."""

from __future__ import annotations

import re

import pytest

from tests.conftest import login_verified
from tests.factories import AppointmentTypeFactory, DepartmentFactory, PractitionerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_departments(patient):
    general = DepartmentFactory.create(name="General Practice")
    cardiology = DepartmentFactory.create(name="Cardiology")
    consultation = AppointmentTypeFactory.create(
        department=general, name="GP consultation", duration_minutes=20
    )
    echo = AppointmentTypeFactory.create(
        department=cardiology, name="Echocardiogram", duration_minutes=45
    )
    gp = PractitionerFactory.create(department=general, offers=[consultation])
    cardiologist = PractitionerFactory.create(department=cardiology, offers=[echo, consultation])
    idle = PractitionerFactory.create(department=general, offers=[])
    return consultation, echo, gp, cardiologist, idle


@pytest.mark.parametrize("path", ["/appointments/book/", "/appointments/waitlist/"])
def test_types_are_grouped_and_practitioners_name_what_they_offer(
    client, patient, two_departments, path
):
    consultation, echo, gp, cardiologist, idle = two_departments
    login_verified(client, patient)

    html = client.get(path).content.decode()

    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', html, re.S)
    assert [name for name, _ in groups] == ["Cardiology", "General Practice"]
    assert "Echocardiogram (45 min)" in groups[0][1]
    assert "GP consultation (20 min)" in groups[1][1]
    offers = dict(re.findall(r'<option value="([0-9a-f-]{36})" data-offers="([^"]*)"', html))
    assert offers[str(gp.public_id)] == str(consultation.public_id)
    assert sorted(offers[str(cardiologist.public_id)].split()) == sorted(
        [str(echo.public_id), str(consultation.public_id)]
    )
    assert offers[str(idle.public_id)] == ""
    assert 'src="/static/js/site.js' in html


def test_without_the_script_a_mismatch_is_refused_next_to_the_field(
    client, patient, two_departments
):
    _consultation, echo, gp, _cardiologist, _idle = two_departments
    login_verified(client, patient)

    response = client.get(
        "/appointments/book/",
        {
            "appointment_type": str(echo.public_id),
            "practitioner": str(gp.public_id),
            "date_from": "2099-01-05",
        },
    )

    assert response.status_code == 400
    assert f"{gp.display_name} does not offer Echocardiogram." in response.content.decode()
