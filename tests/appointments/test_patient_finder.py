"""Reception finds a walk-in patient who has no record number at hand: by date of birth or
phone, narrowed by name. Posted (never in a URL), the reception's and administrators' only,
rate-limited with the record-number lookup, audited with the count (never the criteria),
one indexed query."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.selectors.profiles import patients_matching
from accounts.services import lookup
from audit.models import AuditEvent
from tests.conftest import login_verified
from tests.factories import PatientProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

BORN = datetime.date(1958, 4, 12)
BOOK = "/appointments/book/"


@pytest.fixture
def register(db):
    ada = PatientProfileFactory.create(
        legal_name="Ada Lovelace", date_of_birth=BORN, phone="+447911123456"
    )
    namesake = PatientProfileFactory.create(
        legal_name="Ada Byron", date_of_birth=BORN, phone="+447911123999"
    )
    other_day = PatientProfileFactory.create(
        legal_name="Ada Lovelace", date_of_birth=datetime.date(1990, 1, 1), phone=""
    )
    gone = PatientProfileFactory.create(legal_name="Ada Gone", date_of_birth=BORN)
    gone.user.is_active = False
    gone.user.save(update_fields=["is_active"])
    return ada, namesake, other_day


def _find(client, **fields):
    return client.post(BOOK, {f"find-{name}": value for name, value in fields.items()})


@pytest.fixture
def desk(client):
    receptionist = UserFactory.create(role="receptionist")
    login_verified(client, receptionist)
    client.user = receptionist
    return client


def test_date_of_birth_and_name_find_the_patient(desk, register):
    ada, namesake, other_day = register

    page = _find(desk, name="lovelace", date_of_birth=BORN.isoformat(), phone="")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Patients found" in html
    assert ada.medical_record_number in html
    assert namesake.medical_record_number not in html  # another name
    assert other_day.medical_record_number not in html  # another birthday
    assert f'href="{BOOK}?patient={ada.user.public_id}"' in html
    searched = AuditEvent.objects.get(action="accounts.patients_searched")
    assert (searched.actor_id, searched.outcome) == (desk.user.pk, "success")
    assert searched.details == {"found": 1, "more": False}
    assert "Lovelace" not in str(searched.details) and "1958" not in str(searched.details)


def test_a_date_of_birth_alone_lists_everyone_born_then_but_the_deactivated(desk, register):
    ada, namesake, _ = register

    html = _find(desk, name="", date_of_birth=BORN.isoformat(), phone="").content.decode()

    assert ada.medical_record_number in html and namesake.medical_record_number in html
    assert "Ada Gone" not in html


@pytest.mark.parametrize("typed", ["07911 123456", "+44 7911 123456", "(07911) 123-456"])
def test_a_phone_number_as_the_patient_says_it_finds_them(desk, register, typed):
    ada, _, _ = register

    html = _find(desk, name="", date_of_birth="", phone=typed).content.decode()

    assert ada.medical_record_number in html
    assert html.count('<tr><td data-label="Name">') == 1


def test_a_name_alone_is_refused_readably_and_searches_nothing(desk, register):
    page = _find(desk, name="Ada", date_of_birth="", phone="")

    assert page.status_code == 400
    assert "a name alone matches too many people" in page.content.decode()
    assert not AuditEvent.objects.filter(action="accounts.patients_searched").exists()


def test_a_phone_that_is_no_number_is_refused_next_to_its_field(desk, register):
    page = _find(desk, name="", date_of_birth="", phone="12")

    assert page.status_code == 400
    assert "Enter the phone number as the patient gave it" in page.content.decode()


def test_nobody_found_says_what_to_check(desk, register):
    html = _find(desk, name="Turing", date_of_birth=BORN.isoformat(), phone="").content.decode()

    assert "No patient matches." in html
    assert AuditEvent.objects.get(action="accounts.patients_searched").details == {
        "found": 0,
        "more": False,
    }


@pytest.mark.parametrize("role", ["patient", "doctor", "nurse", "compliance_officer"])
def test_only_the_front_desk_and_administrators_search(client, register, role):
    user = UserFactory.create(role=role)
    login_verified(client, user)

    page = _find(client, name="", date_of_birth=BORN.isoformat(), phone="")

    assert page.status_code == 404
    refused = AuditEvent.objects.get(action="accounts.patients_searched")
    assert (refused.actor_id, refused.outcome) == (user.pk, "denied")


def test_the_admin_searches_too(client, register):
    login_verified(client, UserFactory.create(role="admin"))

    page = _find(client, name="Ada", date_of_birth=BORN.isoformat(), phone="")

    assert page.status_code == 200
    assert register[0].medical_record_number in page.content.decode()


def test_anonymous_is_sent_to_sign_in(client, register):
    page = _find(client, name="", date_of_birth=BORN.isoformat(), phone="")

    assert page.status_code == 302
    assert "/accounts/login/" in page["Location"]


def test_the_search_shares_the_lookups_rate(desk, register, settings):
    for _ in range(lookup.LOOKUP_PER_ACCOUNT.limit):
        assert _find(desk, name="", date_of_birth=BORN.isoformat(), phone="").status_code == 200

    refused = _find(desk, name="", date_of_birth=BORN.isoformat(), phone="")

    assert refused.status_code == 429
    assert AuditEvent.objects.filter(
        action="accounts.patients_searched", outcome="denied", details__code="RATE_LIMITED"
    ).exists()


def test_one_query_on_the_birth_date_index(register):
    with CaptureQueriesContext(connection) as queries:
        found = patients_matching(name="ada love", date_of_birth=BORN)

    assert [profile.legal_name for profile in found] == ["Ada Lovelace"]
    assert len(queries) == 1
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("EXPLAIN " + queries[0]["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "accounts_patient_birth_idx" in plan


def test_more_than_a_page_says_narrow_it_down(desk):
    for n in range(22):
        PatientProfileFactory.create(legal_name=f"Sam Smith {n}", date_of_birth=BORN)

    html = _find(desk, name="smith", date_of_birth=BORN.isoformat(), phone="").content.decode()

    assert html.count('<tr><td data-label="Name">') == 20
    assert "More patients match than are shown" in html
