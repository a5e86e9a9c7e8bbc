"""/styleguide/: the design system's components for staff while developing; a 404 for
everyone else, and for everyone when it is off (production)."""

from __future__ import annotations

import pytest

from tests.conftest import login_verified
from tests.factories import PatientProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["doctor", "receptionist", "admin"])
def test_staff_see_every_component_while_developing(client, settings, role):
    settings.STYLEGUIDE_ENABLED = True
    login_verified(client, UserFactory.create(role=role))

    html = client.get("/styleguide/").content.decode()

    for heading in ("Buttons", "Fields", "Alerts", "Cards", "Tables that stack", "Free times"):
        assert f">{heading}</h2>" in html
    assert "Enter a valid email address." in html  # a field with its error
    assert 'class="error-summary"' in html  # and the summary the base template adds


def test_patients_and_visitors_get_a_404(client, settings):
    settings.STYLEGUIDE_ENABLED = True
    assert client.get("/styleguide/").status_code in (302, 404)
    client.force_login(PatientProfileFactory.create().user)
    assert client.get("/styleguide/").status_code == 404


def test_off_in_production_even_for_staff(client, settings):
    settings.STYLEGUIDE_ENABLED = False
    login_verified(client, UserFactory.create(role="admin"))

    assert client.get("/styleguide/").status_code == 404
