"""The slot cache (appointments/selectors/slot_cache.py): searches read free slots computed
before, and every change of a practitioner's free time shows in the very next search.

Transactional tests: invalidations and cache entries are written after commit, as in
production (inside a test's rolled-back transaction they would never be).
"""

from __future__ import annotations

import datetime
import json
import re
import zoneinfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from appointments.models import Appointment, WaitlistEntry
from appointments.selectors import slot_cache
from appointments.selectors.slots import _day_starts, free_slot_times, free_slots
from appointments.serializers.slots import SlotOutput
from appointments.services import availability, booking, status, waitlist
from core.metrics import CACHE_LOOKUPS
from tests.appointments.conftest import MONDAY, NOW, api_as, at, book
from tests.conftest import UNREACHABLE_REDIS_CACHE
from tests.factories import PractitionerFactory, UserFactory, WorkingHoursFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("api_responses_match_schema"),
]

# The tables a search computes from: a search served from the cache reads none of them.
SCHEDULE_READ = re.compile(
    r'FROM "?(appointments_workinghours|appointments_availabilityexception|appointments_appointment)"?\s'
)
# What a search shows of the type, the department and the practitioners: cached too.
CATALOG_READ = re.compile(
    r'FROM "?(appointments_appointmenttype|accounts_department|appointments_practitioner)"?\s'
)


def _free(appointment_type, *practitioners, now=NOW) -> list[tuple[int, datetime.datetime]]:
    return [
        (slot.practitioner.pk, slot.start)
        for slot in free_slots(
            appointment_type=appointment_type,
            practitioners=list(practitioners),
            date_from=MONDAY,
            date_to=MONDAY,
            now=now,
        )
    ]


def _from_the_database(appointment_type, *practitioners, now=NOW):
    return [
        (slot.practitioner.pk, slot.start)
        for slot in free_slots(
            appointment_type=appointment_type,
            practitioners=list(practitioners),
            date_from=MONDAY,
            date_to=MONDAY,
            now=now,
            cached=False,
        )
    ]


def _cached_search(appointment_type, *practitioners, now=NOW):
    """A search that must come from the cache: no query at all."""
    with CaptureQueriesContext(connection) as queries:
        found = _free(appointment_type, *practitioners, now=now)
    assert queries.captured_queries == []
    return found


def _warm(appointment_type, *practitioners):
    """Search once (filling the cache) and check the next search is served from it."""
    first = _free(appointment_type, *practitioners)
    assert _cached_search(appointment_type, *practitioners) == first
    return first


@pytest.fixture
def second_doctor(department, consultation):
    doctor = PractitionerFactory.create(department=department, offers=[consultation])
    WorkingHoursFactory.create(
        practitioner=doctor, weekday=0, start_time=datetime.time(9), end_time=datetime.time(12)
    )
    return doctor


# --- Queries ----------------------------------------------------------------------------------


def test_a_search_computes_in_three_queries_then_reads_none(consultation, practitioner):
    times = {
        "practitioners": [practitioner],
        "appointment_type": consultation,
        "date_from": MONDAY,
        "date_to": MONDAY + datetime.timedelta(days=6),
        "now": NOW,
    }
    with CaptureQueriesContext(connection) as uncached:
        computed = free_slot_times(**times)
    with CaptureQueriesContext(connection) as cached:
        again = free_slot_times(**times)

    assert len(uncached.captured_queries) == 3  # working hours, exceptions, booked time
    assert len(cached.captured_queries) == 0
    assert again == computed
    assert len(computed[0][1]) == 6


def test_the_slot_api_from_the_cache_skips_the_schedule_queries(
    patient, department, consultation, practitioner, second_doctor
):
    api = api_as(patient)
    search = {
        "appointment_type": str(consultation.public_id),
        "department": str(department.public_id),
        "date_from": str(MONDAY),
        "date_to": str(MONDAY),
    }
    with time_machine.travel(NOW, tick=False):
        with CaptureQueriesContext(connection) as uncached:
            first = api.get("/api/v1/slots", search)
        with CaptureQueriesContext(connection) as cached:
            second = api.get("/api/v1/slots", search)

    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert len(first.json()["results"]) == 12
    catalog_or_schedule_reads = [
        query["sql"]
        for query in cached.captured_queries
        if SCHEDULE_READ.search(query["sql"]) or CATALOG_READ.search(query["sql"])
    ]
    assert catalog_or_schedule_reads == []
    assert any(SCHEDULE_READ.search(query["sql"]) for query in uncached.captured_queries)
    # Beyond authentication's (which its own caches may answer either time): the type, the
    # department, the practitioners and the three schedule queries, then none.
    assert len(_beyond_authentication(uncached.captured_queries)) == 6
    assert _beyond_authentication(cached.captured_queries) == []


AUTHENTICATION_READ = re.compile(r'FROM "(accounts_user|accounts_apitoken|accounts_authsession)"')


def _beyond_authentication(queries: list[dict[str, str]]) -> list[str]:
    return [query["sql"] for query in queries if not AUTHENTICATION_READ.search(query["sql"])]


# --- Invalidation: each change shows in the next search ----------------------------------------


def test_a_booking_takes_its_slot_out_at_once(patient, consultation, practitioner):
    before = _warm(consultation, practitioner)

    book(patient, practitioner, consultation, at(MONDAY, 9))

    after = _free(consultation, practitioner)
    assert (practitioner.pk, at(MONDAY, 9)) in before
    assert (practitioner.pk, at(MONDAY, 9)) not in after
    assert after == _from_the_database(consultation, practitioner)


def test_a_cancellation_gives_its_slot_back_at_once(patient, consultation, practitioner):
    appointment = book(patient, practitioner, consultation, at(MONDAY, 10))
    before = _warm(consultation, practitioner)

    booking.appointment_cancel(actor=patient, appointment=appointment, now=NOW)

    after = _free(consultation, practitioner)
    assert (practitioner.pk, at(MONDAY, 10)) not in before
    assert (practitioner.pk, at(MONDAY, 10)) in after
    assert after == _from_the_database(consultation, practitioner)


def test_a_move_to_another_day_and_practitioner_changes_both(
    patient, consultation, practitioner, second_doctor
):
    tuesday = MONDAY + datetime.timedelta(days=1)
    WorkingHoursFactory.create(
        practitioner=second_doctor,
        weekday=1,
        start_time=datetime.time(9),
        end_time=datetime.time(12),
    )
    appointment = book(patient, practitioner, consultation, at(MONDAY, 9))
    week = {
        "appointment_type": consultation,
        "practitioners": [practitioner, second_doctor],
        "date_from": MONDAY,
        "date_to": tuesday,
        "now": NOW,
    }
    free_slots(**week)  # fills the cache for both days and both practitioners

    booking.appointment_reschedule(
        actor=patient,
        appointment=appointment,
        new_start=at(tuesday, 11),
        new_practitioner=second_doctor,
        now=NOW,
    )

    with CaptureQueriesContext(connection) as queries:
        after = [(slot.practitioner.pk, slot.start) for slot in free_slots(**week)]
    assert queries.captured_queries  # both practitioners' entries were invalidated
    assert (practitioner.pk, at(MONDAY, 9)) in after  # the old time is free again
    assert (second_doctor.pk, at(tuesday, 11)) not in after  # the new one is taken
    assert after == [
        (slot.practitioner.pk, slot.start) for slot in free_slots(**week, cached=False)
    ]


def test_a_no_show_gives_the_time_back(patient, consultation, practitioner):
    book(patient, practitioner, consultation, at(MONDAY, 11))
    before = _warm(consultation, practitioner)

    assert status.appointments_mark_no_shows(now=at(MONDAY, 12)) == 1

    # Searched as of the earlier time (what is cached does not depend on now).
    after = _free(consultation, practitioner)
    assert (practitioner.pk, at(MONDAY, 11)) not in before
    assert (practitioner.pk, at(MONDAY, 11)) in after


def test_the_steps_of_a_visit_keep_the_cached_times(patient, consultation, practitioner):
    """Checked in, started, completed: the time stays taken, so the practitioner's cached
    times stay valid (each of these saves used to make every search compute them again)."""
    appointment = book(patient, practitioner, consultation, at(MONDAY, 9))
    reception = UserFactory.create(role="receptionist")
    before = _warm(consultation, practitioner)

    for actor, step, when in [
        (reception, Appointment.Status.CHECKED_IN, at(MONDAY, 8, 50)),
        (practitioner.user, Appointment.Status.IN_PROGRESS, at(MONDAY, 9)),
        (practitioner.user, Appointment.Status.COMPLETED, at(MONDAY, 9, 20)),
    ]:
        status.appointment_set_status(
            actor=actor, appointment=appointment, to_status=step, now=when
        )
        assert _cached_search(consultation, practitioner) == before

    assert (practitioner.pk, at(MONDAY, 9)) not in before
    assert before == _from_the_database(consultation, practitioner)


def test_a_saved_change_of_time_shows_at_once_whoever_saves_it(patient, consultation, practitioner):
    """A plain save() of a row read from the database (as the admin saves) that changes its
    time or status, or of a row whose columns were read only in part, is a change."""
    book(patient, practitioner, consultation, at(MONDAY, 9))
    _warm(consultation, practitioner)

    moved = Appointment.objects.get(patient=patient)
    moved.start, moved.end = at(MONDAY, 10), at(MONDAY, 10, 20)
    moved.blocked_until = at(MONDAY, 10, 30)
    moved.save()
    assert _free(consultation, practitioner) == _from_the_database(consultation, practitioner)
    assert (practitioner.pk, at(MONDAY, 9)) in _free(consultation, practitioner)

    _warm(consultation, practitioner)
    partly = Appointment.objects.only("pk", "reason").get(patient=patient)
    partly.status = Appointment.Status.CANCELLED
    partly.save(update_fields=["status"])
    assert (practitioner.pk, at(MONDAY, 10)) in _free(consultation, practitioner)

    _warm(consultation, practitioner)
    again = Appointment.objects.get(patient=patient)
    again.refresh_from_db(fields=["reason"])  # known no more: the next save counts
    again.status = Appointment.Status.BOOKED
    again.save()
    assert (practitioner.pk, at(MONDAY, 10)) not in _free(consultation, practitioner)
    assert _free(consultation, practitioner) == _from_the_database(consultation, practitioner)


def test_the_cache_counts_what_it_saved_per_practitioner_and_per_search(
    patient, consultation, practitioner, second_doctor
):
    def lookups() -> dict[tuple[str, str], float]:
        return {
            (sample.labels["cache"], sample.labels["result"]): sample.value
            for metric in CACHE_LOOKUPS.collect()
            for sample in metric.samples
            if sample.name.endswith("_total")
        }

    def counted(before: dict[tuple[str, str], float]) -> dict[tuple[str, str], float]:
        after = lookups()
        return {
            key: after[key] - before.get(key, 0.0)
            for key in after
            if after[key] != before.get(key, 0.0)
        }

    before = lookups()
    _free(consultation, practitioner, second_doctor)
    assert counted(before) == {("slots", "miss"): 2, ("slot_searches", "miss"): 1}

    before = lookups()
    _free(consultation, practitioner, second_doctor)
    assert counted(before) == {("slots", "hit"): 2, ("slot_searches", "hit"): 1}

    book(patient, practitioner, consultation, at(MONDAY, 9))
    before = lookups()
    _free(consultation, practitioner, second_doctor)
    # The other practitioner's times came from the cache; the booked one's were computed.
    assert counted(before) == {
        ("slots", "hit"): 1,
        ("slots", "miss"): 1,
        ("slot_searches", "miss"): 1,
    }


def test_added_working_hours_show_at_once(consultation, practitioner):
    before = _warm(consultation, practitioner)

    availability.working_hours_add(
        actor=None,
        practitioner=practitioner,
        weekday=0,
        start_time=datetime.time(14),
        end_time=datetime.time(15),
        valid_from=MONDAY,
    )

    after = _free(consultation, practitioner)
    assert len(after) == len(before) + 2
    assert (practitioner.pk, at(MONDAY, 14, 30)) in after


def test_removed_working_hours_show_at_once(consultation, practitioner):
    _warm(consultation, practitioner)

    availability.working_hours_remove(actor=None, rule=practitioner.working_hours.get())

    assert _free(consultation, practitioner) == []


def test_an_exception_takes_its_time_out_at_once(consultation, practitioner):
    before = _warm(consultation, practitioner)

    exception = availability.exception_add(
        actor=None, practitioner=practitioner, start=at(MONDAY, 9), end=at(MONDAY, 10)
    )
    during = _free(consultation, practitioner)
    availability.exception_remove(actor=None, exception=exception)

    assert [start for _pk, start in during] == [at(MONDAY, h, m) for h in (10, 11) for m in (0, 30)]
    assert _free(consultation, practitioner) == before


def test_a_changed_appointment_type_shows_at_once(consultation, practitioner):
    _warm(consultation, practitioner)

    # As the admin saves a type: its length, then its lead time.
    consultation.duration_minutes = 60
    consultation.save()
    longer = _free(consultation, practitioner)
    consultation.lead_time_minutes = 60
    consultation.save()
    with_lead_time = _free(consultation, practitioner, now=at(MONDAY, 8, 30))

    assert [start for _pk, start in longer] == [at(MONDAY, 9), at(MONDAY, 10), at(MONDAY, 11)]
    assert [start for _pk, start in with_lead_time] == [at(MONDAY, 10), at(MONDAY, 11)]


def test_a_changed_time_zone_shows_at_once(consultation, practitioner):
    _warm(consultation, practitioner)

    practitioner.time_zone = "America/New_York"
    practitioner.save()

    new_york = zoneinfo.ZoneInfo("America/New_York")
    assert _free(consultation, practitioner)[0] == (practitioner.pk, at(MONDAY, 9, tz=new_york))


def test_a_waitlist_hold_takes_its_time(patient, consultation, practitioner):
    WaitlistEntry.objects.create(
        patient=patient, appointment_type=consultation, date_from=MONDAY, date_to=MONDAY
    )
    _warm(consultation, practitioner)

    hold = waitlist.waitlist_offer_time(
        practitioner_id=practitioner.pk,
        appointment_type_id=consultation.pk,
        start=at(MONDAY, 9, 30),
        now=NOW,
    )

    assert hold is not None and hold.status == Appointment.Status.HELD
    assert (practitioner.pk, at(MONDAY, 9, 30)) not in _free(consultation, practitioner)


# --- Races and outages -------------------------------------------------------------------------


def test_a_result_computed_before_a_booking_and_stored_after_it_is_never_read(
    patient, consultation, practitioner
):
    def compute_then_lose_the_race(ids, first, last):
        computed = _day_starts(
            [(practitioner.pk, practitioner.time_zone)],
            duration=30 * 60.0,
            buffer=0.0,
            date_from=first,
            date_to=last,
            ignore_appointment_id=None,
        )
        # Another request books between this computation and its store.
        book(patient, practitioner, consultation, at(MONDAY, 9))
        return computed

    stale = slot_cache.day_starts(
        practitioners=[(practitioner.pk, practitioner.time_zone)],
        shape=(30, 0),
        days=[MONDAY],
        compute=compute_then_lose_the_race,
    )

    assert at(MONDAY, 9).timestamp() in stale[practitioner.pk]  # stored, but stale
    after = _free(consultation, practitioner)
    assert (practitioner.pk, at(MONDAY, 9)) not in after
    assert after == _from_the_database(consultation, practitioner)


def test_with_the_cache_unreachable_searches_and_bookings_still_work(
    settings, patient, consultation, practitioner
):
    settings.CACHES = {"default": UNREACHABLE_REDIS_CACHE}
    before = _free(consultation, practitioner)

    book(patient, practitioner, consultation, at(MONDAY, 9))
    after = _free(consultation, practitioner)

    assert len(before) == 6
    assert (practitioner.pk, at(MONDAY, 9)) not in after
    assert after == _from_the_database(consultation, practitioner)


def test_with_the_cache_unreachable_the_slot_api_still_answers(
    settings, patient, consultation, practitioner
):
    api = api_as(patient)  # signed in while the cache is up
    settings.RATE_LIMITS_ENABLED = True
    settings.CACHES = {"default": UNREACHABLE_REDIS_CACHE}
    with time_machine.travel(NOW, tick=False):
        answer = api.get(
            "/api/v1/slots",
            {
                "appointment_type": str(consultation.public_id),
                "date_from": str(MONDAY),
                "date_to": str(MONDAY),
            },
        )

    assert answer.status_code == 200
    assert len(answer.json()["results"]) == 6


# --- The API ---------------------------------------------------------------------------------


def test_pages_of_slots_are_what_the_serializer_wrote(patient, department, consultation):
    doctors = PractitionerFactory.create_batch(7, department=department, offers=[consultation])
    doctors[0].time_zone = "America/New_York"
    doctors[0].save()
    for doctor in doctors:
        WorkingHoursFactory.create(
            practitioner=doctor,
            weekday=0,
            start_time=datetime.time(9),
            end_time=datetime.time(17),
        )
    api = api_as(patient)
    results = []
    with time_machine.travel(NOW, tick=False):
        url = (
            f"/api/v1/slots?appointment_type={consultation.public_id}"
            f"&department={department.public_id}&date_from={MONDAY}&date_to={MONDAY}"
        )
        pages = 0
        while url:
            page = api.get(url).json()
            results += page["results"]
            url, pages = page["next"], pages + 1
        slots = free_slots(
            appointment_type=consultation,
            practitioners=doctors,
            date_from=MONDAY,
            date_to=MONDAY,
            now=timezone.now(),
        )
    slots.sort(key=lambda slot: (slot.start.isoformat(), str(slot.practitioner.public_id)))
    with timezone.override(datetime.UTC):  # as every /api/ request
        expected = json.loads(JSONRenderer().render(SlotOutput(slots, many=True).data))

    assert pages == 2
    assert len(results) == 7 * 16
    assert results == expected


def test_slot_search_is_rate_limited_per_account(settings, patient, consultation, practitioner):
    settings.RATE_LIMITS_ENABLED = True
    settings.SLOT_SEARCH_RATE_LIMIT = "2/m"
    api = api_as(patient)
    search = {
        "appointment_type": str(consultation.public_id),
        "date_from": str(MONDAY),
        "date_to": str(MONDAY),
    }
    with time_machine.travel(NOW, tick=False):
        answers = [api.get("/api/v1/slots", search) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "RATE_LIMITED"
    assert int(answers[2]["Retry-After"]) >= 1
    assert answers[0]["RateLimit-Policy"] == '"slots:account";q=2;w=60'
    assert answers[0]["RateLimit"].startswith('"slots:account";r=1;')


# --- The catalog: what a search shows of the type, the department and the practitioners ------


def _search(api, consultation, department, **extra):
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
        answer = api.get(
            "/api/v1/slots",
            {
                "appointment_type": str(consultation.public_id),
                "department": str(department.public_id),
                "date_from": str(MONDAY),
                "date_to": str(MONDAY),
                **extra,
            },
        )
    catalog_reads = [q["sql"] for q in queries.captured_queries if CATALOG_READ.search(q["sql"])]
    return answer, catalog_reads


def _warm_search(api, consultation, department):
    """Search twice: the second answer comes from the cached catalog (and the slot cache)."""
    first, _reads = _search(api, consultation, department)
    second, catalog_reads = _search(api, consultation, department)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert catalog_reads == []
    return second.json()["results"]


def _names(results):
    return sorted({row["practitioner"]["name"] for row in results})


def test_a_renamed_practitioner_shows_at_once(
    patient, department, consultation, practitioner, second_doctor
):
    api = api_as(patient)
    before = _warm_search(api, consultation, department)
    user = practitioner.user

    user.full_name = "Ada Renamed"
    user.save(update_fields=["full_name"])
    renamed, _reads = _search(api, consultation, department)
    practitioner.user.staff_profile.title = "Prof"
    practitioner.user.staff_profile.save()
    retitled, _reads = _search(api, consultation, department)

    assert practitioner.display_name not in _names(before)  # the title, then the new name
    assert "Ada Renamed" in " ".join(_names(renamed.json()["results"]))
    assert "Prof Ada Renamed" in _names(retitled.json()["results"])
    assert len(retitled.json()["results"]) == len(before)


def test_a_remembered_catalog_is_checked_in_the_searchs_own_round_trip(
    settings, patient, department, consultation, practitioner, second_doctor
):
    """A process remembers the catalog it last found and checks its generation with the
    search's counters: no round trip of its own while it is current, never used once the
    catalog moved on, nor when the cache cannot check it."""
    api = api_as(patient)
    before = _warm_search(api, consultation, department)
    # Gone from the cache, still remembered: answered without reading or rebuilding it.
    cache.delete(slot_cache._catalog_key(f"{consultation.public_id}:{department.public_id}:"))
    same, catalog_reads = _search(api, consultation, department)
    assert catalog_reads == []
    assert same.json()["results"] == before

    practitioner.user.full_name = "Ada Renamed"
    practitioner.user.save(update_fields=["full_name"])
    renamed, catalog_reads = _search(api, consultation, department)
    assert catalog_reads  # moved on: read again (and rebuilt: its entry was deleted)
    assert "Ada Renamed" in " ".join(_names(renamed.json()["results"]))

    _warm_search(api, consultation, department)
    settings.CACHES = {"default": UNREACHABLE_REDIS_CACHE}
    practitioner.user.full_name = "Ada Unchecked"
    practitioner.user.save(update_fields=["full_name"])  # its bump cannot reach the cache
    unreachable, catalog_reads = _search(api, consultation, department)
    assert unreachable.status_code == 200
    assert catalog_reads  # not the remembered one: read from the database
    assert "Ada Unchecked" in " ".join(_names(unreachable.json()["results"]))


def test_a_user_saved_without_the_shown_fields_keeps_the_catalog(
    patient, department, consultation, practitioner
):
    api = api_as(patient)
    before = _warm_search(api, consultation, department)

    practitioner.user.last_login = NOW
    practitioner.user.save(update_fields=["last_login"])
    after, catalog_reads = _search(api, consultation, department)

    assert catalog_reads == []  # a sign-in does not cost every search its catalog
    assert after.json()["results"] == before


def test_a_deactivated_practitioner_leaves_at_once(
    patient, department, consultation, practitioner, second_doctor
):
    api = api_as(patient)
    before = _warm_search(api, consultation, department)

    second_doctor.is_active = False
    second_doctor.save()
    after, _reads = _search(api, consultation, department)

    assert len(_names(before)) == 2
    assert _names(after.json()["results"]) == [practitioner.display_name]


def test_a_type_no_longer_offered_leaves_at_once(
    patient, department, consultation, practitioner, second_doctor
):
    api = api_as(patient)
    _warm_search(api, consultation, department)

    second_doctor.appointment_types.remove(consultation)
    after, _reads = _search(api, consultation, department)
    consultation.practitioners.add(second_doctor)  # and back, from the type's side
    again, _reads = _search(api, consultation, department)

    assert _names(after.json()["results"]) == [practitioner.display_name]
    assert len(_names(again.json()["results"])) == 2


def test_a_new_practitioner_shows_at_once(patient, department, consultation, practitioner):
    api = api_as(patient)
    before = _warm_search(api, consultation, department)

    newcomer = PractitionerFactory.create(department=department, offers=[consultation])
    WorkingHoursFactory.create(
        practitioner=newcomer, weekday=0, start_time=datetime.time(9), end_time=datetime.time(10)
    )
    after, _reads = _search(api, consultation, department)

    assert _names(before) == [practitioner.display_name]
    assert newcomer.display_name in _names(after.json()["results"])
    assert len(after.json()["results"]) == len(before) + 2


def test_a_changed_department_shows_at_once(patient, department, consultation, practitioner):
    api = api_as(patient)
    _warm_search(api, consultation, department)

    department.name = "Family Medicine"
    department.save()
    after, _reads = _search(api, consultation, department)

    assert {row["practitioner"]["department"]["name"] for row in after.json()["results"]} == {
        "Family Medicine"
    }


def test_a_changed_or_retired_type_shows_at_once(patient, department, consultation, practitioner):
    api = api_as(patient)
    _warm_search(api, consultation, department)

    consultation.duration_minutes = 60
    consultation.save()
    longer, _reads = _search(api, consultation, department)
    consultation.is_active = False
    consultation.save()
    retired, _reads = _search(api, consultation, department)

    assert [row["start"] for row in longer.json()["results"]] == [
        "2026-03-02T09:00:00Z",
        "2026-03-02T10:00:00Z",
        "2026-03-02T11:00:00Z",
    ]
    assert retired.status_code == 400
    assert retired.json()["errors"] == {"appointment_type": ["No such appointment type."]}


def test_a_practitioners_own_search_uses_the_catalog_too(
    patient, department, consultation, practitioner
):
    api = api_as(patient)
    search = {"practitioner": str(practitioner.public_id)}
    first, _reads = _search(api, consultation, department, **search)
    second, catalog_reads = _search(api, consultation, department, **search)
    practitioner.is_active = False
    practitioner.save()
    gone, _reads = _search(api, consultation, department, **search)

    assert second.content == first.content and len(first.json()["results"]) == 6
    assert catalog_reads == []
    assert gone.status_code == 400
    assert gone.json()["errors"] == {
        "practitioner": ["No such practitioner offering this appointment type."]
    }


def test_searches_written_otherwise_answer_the_same(
    patient, department, consultation, practitioner, second_doctor
):
    """Upper-case ids, a cursor of our own: the long way (SlotQuery, keyset_page) and the
    direct one write the same bytes."""
    api = api_as(patient)
    plain, _reads = _search(api, consultation, department)
    with time_machine.travel(NOW, tick=False):
        upper = api.get(
            f"/api/v1/slots?appointment_type={str(consultation.public_id).upper()}"
            f"&department={department.public_id}&date_from={MONDAY}&date_to={MONDAY}"
        )
        indented = api.get(
            f"/api/v1/slots?appointment_type={consultation.public_id}"
            f"&department={department.public_id}&date_from={MONDAY}&date_to={MONDAY}",
            HTTP_ACCEPT="application/json; indent=2",
        )

    assert upper.status_code == indented.status_code == 200
    assert upper.content == plain.content.replace(
        str(consultation.public_id).encode(), str(consultation.public_id).upper().encode()
    )
    assert indented.json() == plain.json()
    assert dict(upper.items()).keys() == dict(plain.items()).keys()
    assert upper["Content-Type"] == plain["Content-Type"] == "application/json"


def test_with_another_cache_than_redis_the_same_rules_hold(
    settings, patient, department, consultation, practitioner
):
    """Without Redis (no client of our own, no scripts) through Django's cache API."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
    api = api_as(patient)
    before = _warm(consultation, practitioner)
    _warm_search(api, consultation, department)

    book(patient, practitioner, consultation, at(MONDAY, 9))
    practitioner.user.full_name = "Ada Local"
    practitioner.user.save()
    after, _reads = _search(api, consultation, department)

    assert (practitioner.pk, at(MONDAY, 9)) in before
    assert _free(consultation, practitioner) == _from_the_database(consultation, practitioner)
    assert after.json()["results"][0]["start"] == "2026-03-02T09:30:00Z"
    assert _names(after.json()["results"]) == [practitioner.display_name]
    assert "Ada Local" in practitioner.display_name
