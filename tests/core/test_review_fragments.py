"""Review of the layout's fragments rendered once per process (core/templatetags/fixed_links.py):
nothing of one reader or one response reaches another."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from core.templatetags import fixed_links
from tests.conftest import login_verified
from tests.factories import PatientProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _page(user, path: str = "/") -> str:
    client = Client()
    if user.is_staff_member:
        login_verified(client, user)
    else:
        client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_a_patient_after_an_administrator_gets_no_administration_link():
    administrator = UserFactory.create(role="admin", is_superuser=True, full_name="Root Person")
    patient = PatientProfileFactory.create().user

    admin_page = _page(administrator)
    patient_page = _page(patient)
    admin_again = _page(administrator)

    assert 'href="/admin/"' in admin_page and 'href="/admin/"' in admin_again
    assert "Administration" not in patient_page
    assert "Reception" not in patient_page and "Manage schedules" not in patient_page


def test_no_reader_sees_anothers_name_email_or_form_token():
    first = PatientProfileFactory.create(user__full_name="Alice Firstreader").user
    second = PatientProfileFactory.create(user__full_name="Bob Secondreader").user

    first_pages = [_page(first, path) for path in ("/", "/accounts/", "/accounts/security/")]
    second_pages = [_page(second, path) for path in ("/", "/accounts/", "/accounts/security/")]

    for page in second_pages:
        assert first.email not in page and "Alice" not in page
    tokens = {_TOKEN.search(page).group(1) for page in first_pages + second_pages}
    assert len(tokens) == len(first_pages) + len(second_pages)  # one per response
    kept = " ".join(fixed_links._fragments.values())
    for user in (first, second):
        assert user.email not in kept and user.full_name not in kept
    assert "csrfmiddlewaretoken" not in kept


def test_the_current_page_is_marked_for_its_own_page_only():
    patient = PatientProfileFactory.create().user

    pages = {path: _page(patient, path) for path in ("/", "/accounts/", "/", "/accounts/")}

    def current(html: str) -> list[str]:
        return re.findall(r'href="([^"]+)" aria-current="page"', html)

    assert current(pages["/"]) == ["/"]
    assert current(pages["/accounts/"]) == ["/accounts/"]


def test_signed_out_and_signed_in_home_pages_differ():
    patient = PatientProfileFactory.create().user
    signed_out = Client().get("/").content.decode()
    signed_in = _page(patient)
    signed_out_again = Client().get("/").content.decode()

    assert "Sign out" in signed_in and "Sign out" not in signed_out_again
    assert "Book an appointment" in signed_in and "Book an appointment" not in signed_out_again
    assert signed_out == signed_out_again
