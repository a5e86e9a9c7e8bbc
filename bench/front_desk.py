"""`make bench-front-desk`: the reception's patient finder on a register of 100,000 patients,
and the patient's home page; written into docs/benchmarks.md (the part between the
front-desk markers).

1. The finder's query (accounts.selectors.profiles.patients_matching), in-process, wall clock
   per call: by date of birth, by date of birth and one word of the legal name, by phone; the
   inputs drawn at random from the register. p50/p95/p99/max, the rows found, the queries per
   call (one), and the indexes in each kind's plan (EXPLAIN): the birth-date index and the
   partial phone index, never a sequential scan of the register.
2. CPU per request (time.thread_time around a django.test.Client request, as bench/cpu.py) and
   queries per request of the pages around it: the reception's finder (POST
   /appointments/book/) and the patient's home (GET /appointments/: the next appointment and
   the newest unread notifications), with the ceiling (`SELECT 1` behind the full
   middleware, bench/urls.py) for scale.

    .venv/bin/python -m bench.front_desk            # full: 200 calls of each
    BENCH_QUICK=1 .venv/bin/python -m bench.front_desk   # 50 calls of each
    .venv/bin/python -m bench.front_desk --report [RESULTS.json]   # the section again

Environment: BENCH_DESK_PATIENTS (register size, default 100,000), BENCH_QUICK,
BENCH_DESK_REDIS_URL (default redis://127.0.0.1:6379/10, emptied by the run),
BENCH_ADMIN_DATABASE_URL (where the database is made, as bench/run.py). Its own database,
hospital_bench_desk (dropped and rebuilt). The settings are the bench server's
(bench/server.server_environment(): bench.settings, DEBUG off, Redis cache and sessions, rate
limits off).
"""

from __future__ import annotations

import datetime
import json
import os
import random
import re
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from bench.server import LOGS

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "hospital_bench_desk"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = os.environ.get("BENCH_DESK_REDIS_URL", "redis://127.0.0.1:6379/10")
PATIENTS = int(os.environ.get("BENCH_DESK_PATIENTS", "100000"))
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0", "false", "no")
MODE = "quick" if QUICK else "full"
ITERATIONS, WARM_UP = (50, 5) if QUICK else (200, 20)
SEED = 20260302  # repeatable register and draws
RESULTS = LOGS / f"front-desk-{MODE}.json"
START_MARK = "<!-- front-desk:start -->"
END_MARK = "<!-- front-desk:end -->"

REGISTER_TABLE = "accounts_patientprofile"
BIRTH_INDEX = "accounts_patient_birth_idx"
PHONE_INDEX = "accounts_patient_phone_idx"
BOOK = "/appointments/book/"
HOME = "/appointments/"

EARLIEST_BIRTH = datetime.date(1930, 1, 1)
LATEST_BIRTH = datetime.date(2020, 12, 31)
WITH_PHONE = 0.7
# UK mobile numbers of the +44 7700 range that libphonenumber accepts (the finder's form and
# the model's validator normalise with it): 7700 followed by 0, 1, 3, 7 or 8.
PHONE_FIRST_DIGITS = "01378"
SEXES = ("female", "male", "intersex", "unknown")
SEX_WEIGHTS = (0.49, 0.49, 0.005, 0.015)

_FIRST_NAMES = """
Aaliyah Aaron Abdul Abigail Adam Adebayo Aditi Adrian Ahmed Aidan Aisha Alan Albert Alexander
Alfie Alice Alina Amara Amelia Amir Amy Ana Andrew Angela Anil Anna Anne Anthony Arjun Arthur
Asha Ava Barbara Ben Beatrice Bilal Brian Bronwen Caitlin Callum Carlos Caroline Catherine
Charles Charlotte Chen Chloe Chukwuemeka Ciaran Claire Connor Daniel Darius David Deborah Deepak
Diana Dylan Edward Eilidh Elena Eleanor Elijah Elizabeth Ella Emily Emma Eric Ethan Eva Evelyn
Fatima Felix Fiona Florence Francesca Freddie Freya Gareth George Georgia Grace Graham Hamza
Hannah Harper Harriet Harry Hassan Helen Henry Ian Ibrahim Imogen Isaac Isabella Isla Ivan
Jack Jacob James Jane Jasmine Jessica Joanna John Jonathan Joseph Joshua Julia Kamal Karen
Katie Kavya Kayode Keith Kieran Kofi Laura Layla Leah Leo Liam Lily Lucas Lucy Luis Maria Mark
Martha Martin Mary Matthew Maya Megan Mei Michael Mohammed Molly Muhammad Nadia Naomi Nathan
Neil Niamh Nicola Noah Noor Oliver Olivia Omar Oscar Patrick Paul Peter Piotr Poppy Priya
Rachel Rahul Rebecca Richard Robert Rohan Rosa Rose Ruby Ryan Samuel Sarah Seren Siobhan Sofia
Sophie Stephen Susan Tariq Thomas Timothy Tobias Tomasz Vikram Wei William Yasmin Yusuf Zainab
Zara Zoe Ahmad Bethan Cerys Dominic Esther Farhan Gabriel Hiroshi Ines Jakub Kwame
"""

_LAST_NAMES = """
Abbott Adams Adeyemi Ahmed Akhtar Ali Allen Anderson Armstrong Atkinson Bailey Baker Banerjee
Barker Barnes Bell Bennett Bibi Bird Bishop Black Bond Booth Bradley Brown Burke Butler
Campbell Carter Chan Chapman Chaudhry Chen Clark Clarke Cole Collins Cook Cooper Cox Davies
Davis Dawson Dixon Doherty Edwards Ellis Evans Farah Fernandes Fisher Fletcher Foster Fox
Francis Gallagher Gardner Gibson Gill Gordon Graham Grant Gray Green Griffiths Hall Hamilton
Harris Harrison Hart Hassan Hayes Hill Hoang Holmes Hossain Howard Hughes Hunt Hussain Iqbal
Jackson James Jenkins Johnson Johnston Jones Kaur Kelly Kennedy Khan Khatun King Knight
Kowalski Kumar Lawrence Lee Lewis Li Lloyd Lopez Macdonald Malik Marshall Martin Mason
Matthews McCarthy McLean Miah Miller Mills Mitchell Moore Morgan Morris Murphy Murray
Nguyen Nowak Obi Okafor Oliver Osei Owen Palmer Parker Patel Pearson Phillips Powell Price
Rahman Reid Reynolds Richards Richardson Roberts Robertson Robinson Rogers Rose Ross Russell
Ryan Saunders Scott Shah Sharma Shaw Silva Simpson Singh Smith Spencer Stevens Stewart Stone
Sullivan Taylor Thomas Thompson Thomson Turner Wallace Walker Walsh Wang Ward Watson Webb
Wells West White Wilkinson Williams Wilson Wong Wood Woods Wright Yilmaz Young Zhang Ahmadi
Baptiste Costa Dimitrov Eriksen Ferreira Fontaine Haddad Ivanova Jensen Kaya Laine Moreau
Novak Popescu Rossi Santos Schmidt Suzuki Tanaka Horvat Mensah
"""
FIRST_NAMES = tuple(_FIRST_NAMES.split())
LAST_NAMES = tuple(_LAST_NAMES.split())


class Kind(NamedTuple):
    """One kind of search: its label, and the criteria it takes from a row of the register."""

    name: str
    needs_phone: bool
    criteria: Callable[[Row, random.Random], dict[str, Any]]


def _by_birth(row: Row, rng: random.Random) -> dict[str, Any]:
    return {"date_of_birth": row.date_of_birth}


def _by_birth_and_name(row: Row, rng: random.Random) -> dict[str, Any]:
    return {"date_of_birth": row.date_of_birth, "name": rng.choice(row.legal_name.split())}


def _by_phone(row: Row, rng: random.Random) -> dict[str, Any]:
    return {"phone": row.phone}


KINDS = (
    Kind("date of birth", False, _by_birth),
    Kind("date of birth + one word of the name", False, _by_birth_and_name),
    Kind("phone", True, _by_phone),
)
# The index each kind must be planned on.
EXPECTED_INDEX = {
    KINDS[0].name: BIRTH_INDEX,
    KINDS[1].name: BIRTH_INDEX,
    KINDS[2].name: PHONE_INDEX,
}


class Row(NamedTuple):
    date_of_birth: datetime.date
    legal_name: str
    phone: str


# --- Environment and data ----------------------------------------------------------------------


def _environment() -> None:
    """The bench server's settings (bench/server.py), on this bench's own database and Redis
    database, before Django is set up."""
    from bench.server import server_environment

    os.environ.update(server_environment())
    os.environ.update(
        {
            # bench.setup_data.django_setup() reads BENCH_DATABASE_URL into DATABASE_URL.
            "BENCH_DATABASE_URL": DATABASE_URL,
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            "RATE_LIMITS_ENABLED": "false",  # the finder shares the lookup's 30/10 min rate
        }
    )
    # WhiteNoise looks for collected static files the bench does not need.
    warnings.filterwarnings("ignore", message="No directory at")


def _recreate_database() -> None:
    from bench.run import _admin_execute

    _admin_execute(
        f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)", f"CREATE DATABASE {DATABASE}"
    )


def _phone(rng: random.Random) -> str:
    return f"+447700{rng.choice(PHONE_FIRST_DIGITS)}{rng.randrange(10**5):05d}"


def build(patients: int) -> dict[str, Any]:
    """Migrate, then the register: ``patients`` active patients (user and profile), one
    receptionist ready to sign in, and one patient with a next appointment and five unread
    notifications for the home page."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import PatientProfile, User
    from accounts.validators import validate_e164
    from bench.credentials import REAL_SIGN_IN_PASSWORD

    call_command("migrate", verbosity=0)
    rng = random.Random(SEED)  # noqa: S311 - repeatable bench data
    password = make_password(REAL_SIGN_IN_PASSWORD)
    span = (LATEST_BIRTH - EARLIEST_BIRTH).days
    batch = 5000
    for first in range(0, patients, batch):
        numbers = range(first, min(first + batch, patients))
        names = [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in numbers]
        users = User.objects.bulk_create(
            User(
                email=f"desk{n}@bench.test",
                full_name=name,
                role="patient",
                is_active=True,
                password=password,
            )
            for n, name in zip(numbers, names, strict=True)
        )
        profiles = [
            PatientProfile(
                user=user,
                medical_record_number=f"B{n:09d}",
                legal_name=name,
                date_of_birth=EARLIEST_BIRTH + datetime.timedelta(days=rng.randrange(span + 1)),
                phone=_phone(rng) if rng.random() < WITH_PHONE else "",
                sex=rng.choices(SEXES, SEX_WEIGHTS)[0],
            )
            for n, user, name in zip(numbers, users, names, strict=True)
        ]
        if first == 0:  # the numbers are what the model and the finder's form accept
            for profile in profiles:
                validate_e164(profile.phone)
        PatientProfile.objects.bulk_create(profiles)
    home = _front_desk_and_home(password=password, record_number=f"B{patients:09d}")
    # Measure a settled database, not one busy with autovacuum after a bulk load.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    register = PatientProfile.objects.filter(user__is_active=True, user__role="patient")
    return {
        "patients": register.count(),
        "with_phone": register.exclude(phone="").count(),
        "distinct_dates_of_birth": register.values("date_of_birth").distinct().count(),
        **home,
    }


def _front_desk_and_home(*, password: str, record_number: str) -> dict[str, Any]:
    from allauth.account.models import EmailAddress
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Department, PatientProfile, StaffProfile, User
    from appointments.models import Appointment, AppointmentType, Practitioner
    from notifications.models import Notification

    department = Department.objects.create(
        code="desk",
        name="Front desk bench",
        location="Main building, ground floor",
        directions="From the main entrance, the first door on the left.",
    )
    consultation = AppointmentType.objects.create(
        department=department,
        name="Consultation",
        duration_minutes=20,
        buffer_after_minutes=10,
        lead_time_minutes=0,
        booking_horizon_days=365,
    )
    doctor = User.objects.create(
        email="doctor@desk.bench.test", full_name="Doctor Desk", role="doctor", password=password
    )
    receptionist = User.objects.create(
        email="reception@desk.bench.test",
        full_name="Reception Desk",
        role="receptionist",
        password=password,
    )
    patient = User.objects.create(
        email="home@desk.bench.test", full_name="Ada Home", role="patient", password=password
    )
    StaffProfile.objects.bulk_create(
        [
            StaffProfile(user=doctor, department=department, title="Dr"),
            StaffProfile(user=receptionist, department=department, title=""),
        ]
    )
    PatientProfile.objects.create(
        user=patient,
        medical_record_number=record_number,
        legal_name="Ada Home",
        date_of_birth=datetime.date(1980, 5, 17),
    )
    # What a real sign-in needs (bench/setup_data.py _sign_in_ready): verified addresses, and
    # for staff a confirmed authenticator (staff without one reach only MFA enrolment).
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True)
        for user in (doctor, receptionist, patient)
    )
    TOTPDevice.objects.bulk_create(
        TOTPDevice(user=user, name="Bench authenticator", confirmed=True)
        for user in (doctor, receptionist)
    )
    practitioner = Practitioner.objects.create(user=doctor, department=department)
    practitioner.appointment_types.add(consultation)
    start = datetime.datetime.combine(
        timezone.localdate() + datetime.timedelta(days=2), datetime.time(10), tzinfo=datetime.UTC
    )
    appointment = Appointment.objects.create(
        patient=patient,
        practitioner=practitioner,
        appointment_type=consultation,
        start=start,
        end=start + datetime.timedelta(minutes=20),
        blocked_until=start + datetime.timedelta(minutes=30),
        status="booked",
        channel="web",
    )
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(
            recipient=patient,
            kind="appointment.booked",
            category="appointments",
            title=f"Appointment update {n + 1}",
            body="Your appointment on the card above is booked.",
            link=f"/appointments/{appointment.public_id}/",
            created_at=now - datetime.timedelta(hours=n),
        )
        for n in range(5)
    )
    return {"receptionist": receptionist.email, "home_patient": patient.email}


# --- 1. The finder's query ---------------------------------------------------------------------


def _register() -> list[Row]:
    from accounts.models import PatientProfile

    return [
        Row(*values)
        for values in PatientProfile.objects.filter(user__is_active=True, user__role="patient")
        .order_by("pk")
        .values_list("date_of_birth", "legal_name", "phone")
    ]


def _ms(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": statistics.median(ordered),
        "p95_ms": ordered[max(0, int(len(ordered) * 0.95) - 1)],
        "p99_ms": ordered[max(0, int(len(ordered) * 0.99) - 1)],
        "max_ms": ordered[-1],
    }


_INDEX_USED = re.compile(r"(?:Index Scan|Index Only Scan)(?: Backward)? using (\w+)")
_BITMAP_INDEX = re.compile(r"Bitmap Index Scan on (\w+)")
_SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")


def plan_of(sql: str, params: Any) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT TEXT) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def indexes_in(plan: str) -> list[str]:
    found = _INDEX_USED.findall(plan) + _BITMAP_INDEX.findall(plan)
    return list(dict.fromkeys(found))


def finder(kind: Kind, register: Sequence[Row], rng: random.Random) -> dict[str, Any]:
    """``kind``'s search ``ITERATIONS`` times after ``WARM_UP``, each on a row drawn at random;
    every call's queries counted (a wrapper of about a microsecond), the first measured call's
    query explained."""
    from django.db import connection

    from accounts.selectors.profiles import patients_matching

    rows = [row for row in register if row.phone] if kind.needs_phone else list(register)
    inputs = [kind.criteria(rng.choice(rows), rng) for _ in range(WARM_UP + ITERATIONS)]
    executed: list[tuple[str, Any]] = []

    def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append((sql, params))
        return execute(sql, params, many, context)

    durations: list[float] = []
    found: list[int] = []
    explained: tuple[str, Any] | None = None
    with connection.execute_wrapper(capture):
        for iteration, criteria in enumerate(inputs, start=-WARM_UP):
            executed.clear()
            started = time.perf_counter()
            result = patients_matching(**criteria)
            elapsed = time.perf_counter() - started
            if len(executed) != 1:
                raise RuntimeError(f"{kind.name}: {len(executed)} queries in one call, not 1")
            if not result:  # the criteria are a row's own: it is found at least
                raise RuntimeError(f"{kind.name}: nobody found for a patient in the register")
            if iteration >= 0:
                durations.append(elapsed * 1000)
                found.append(len(result))
                explained = explained or executed[0]
    assert explained is not None  # noqa: S101 - ITERATIONS > 0
    plan = plan_of(*explained)
    indexes = indexes_in(plan)
    scanned = _SEQ_SCAN.findall(plan)
    if REGISTER_TABLE in scanned:
        raise RuntimeError(f"{kind.name}: a sequential scan of the register:\n{plan}")
    if EXPECTED_INDEX[kind.name] not in indexes:
        raise RuntimeError(
            f"{kind.name}: the plan does not use {EXPECTED_INDEX[kind.name]}:\n{plan}"
        )
    return {
        "kind": kind.name,
        "calls": len(durations),
        **_ms(durations),
        "rows_found_median": statistics.median(found),
        "rows_found_max": max(found),
        "queries_per_call": 1,
        "indexes": indexes,
        "sequential_scans": scanned,  # of other tables, if any (the register's fails above)
        "plan": plan,
    }


# --- 2. The pages ------------------------------------------------------------------------------


def page(
    name: str, who: str, send: Callable[[int], Any], expect: Sequence[bytes] = ()
) -> dict[str, Any]:
    """CPU (thread_time) and wall time of ``send(i)``, ``ITERATIONS`` requests after
    ``WARM_UP``; the queries of one request; each answer a 200 (and, for the counted one,
    holding ``expect``)."""
    from django.db import connection

    def checked(response: Any) -> Any:
        if response.status_code != 200:
            raise RuntimeError(f"{name}: {response.status_code} {response.content[:300]!r}")
        return response

    for iteration in range(WARM_UP):
        checked(send(iteration))
    queries: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = checked(send(WARM_UP))
    missing = [text for text in expect if text not in response.content]
    if missing:
        raise RuntimeError(f"{name}: the page lacks {missing!r}")
    cpu: list[float] = []
    wall: list[float] = []
    for iteration in range(WARM_UP + 1, WARM_UP + 1 + ITERATIONS):
        started, wall_started = time.thread_time(), time.perf_counter()
        response = send(iteration)
        cpu.append((time.thread_time() - started) * 1000)
        wall.append((time.perf_counter() - wall_started) * 1000)
        checked(response)
    cpu.sort()
    return {
        "name": name,
        "who": who,
        "requests": len(cpu),
        "cpu_median_ms": statistics.median(cpu),
        "cpu_p90_ms": cpu[max(0, int(len(cpu) * 0.9) - 1)],
        "wall_median_ms": statistics.median(wall),
        "queries": len(queries),
        "bytes": len(response.content),
    }


def pages(register: Sequence[Row], rng: random.Random) -> list[dict[str, Any]]:
    from django.test import Client

    from accounts.models import User
    from bench.credentials import session_client
    from bench.urls import CEILING_PATH

    # force_login plus the session's second-factor flag (tests/conftest.py login_verified),
    # and the tracked browser session the sign-in makes (bench/credentials.py).
    desk = session_client(User.objects.get(email="reception@desk.bench.test"))
    home = session_client(User.objects.get(email="home@desk.bench.test"))
    anonymous = Client()
    searches = [
        _by_birth_and_name(rng.choice(register), rng) for _ in range(WARM_UP + 1 + ITERATIONS)
    ]

    def find(iteration: int) -> Any:
        search = searches[iteration]
        return desk.post(
            BOOK,
            {
                "find-name": search["name"],
                "find-date_of_birth": search["date_of_birth"].isoformat(),
                "find-phone": "",
            },
        )

    return [
        page(
            "ceiling: SELECT 1 view, full middleware",
            "anonymous",
            lambda _: anonymous.get(CEILING_PATH),
        ),
        page(
            "reception: patient finder (date of birth + one word of the name)",
            f"receptionist, session; POST {BOOK}",
            find,
            expect=[b"Patients found"],
        ),
        page(
            "patient: home (next appointment, newest unread notifications)",
            f"patient, session; GET {HOME}",
            lambda _: home.get(HOME),
            expect=[b'aria-labelledby="next-heading"', b'aria-labelledby="recent-heading"'],
        ),
    ]


# --- Report ------------------------------------------------------------------------------------


def _command() -> str:
    """The command line that reproduces this run."""
    options = [
        f"{name}={os.environ[name]}"
        for name in ("BENCH_QUICK", "BENCH_DESK_PATIENTS")
        if os.environ.get(name)
    ]
    return " ".join(["make bench-front-desk", *options])


def render(results: dict[str, Any]) -> str:
    register = results["register"]
    finder_rows = "\n".join(
        f"| {row['kind']} | {row['p50_ms']:.2f} | {row['p95_ms']:.2f} | {row['p99_ms']:.2f} "
        f"| {row['max_ms']:.2f} | {row['rows_found_median']:g} | {row['queries_per_call']} "
        f"| {', '.join(f'`{name}`' for name in row['indexes'])} |"
        for row in results["finder"]
    )
    ceiling = results["pages"][0]["cpu_median_ms"]
    page_rows = "\n".join(
        f"| {row['name']} | {row['who']} | {row['cpu_median_ms']:.2f} | {row['cpu_p90_ms']:.2f} "
        f"| {row['cpu_median_ms'] / ceiling:.1f}x | {row['wall_median_ms']:.2f} "
        f"| {row['queries']} |"
        for row in results["pages"]
    )
    indexes = sorted({name for row in results["finder"] for name in row["indexes"]})
    other_scans = sorted({name for row in results["finder"] for name in row["sequential_scans"]})
    worst_p95 = max(row["p95_ms"] for row in results["finder"])
    finder_page, home_page = results["pages"][1], results["pages"][2]
    scans = (
        f" Sequential scans of other tables: {', '.join(f'`{n}`' for n in other_scans)}."
        if other_scans
        else " No sequential scan anywhere."
    )
    return f"""{START_MARK}
## Front desk and patient home

Generated by `make bench-front-desk` (bench/front_desk.py). Do not edit by hand: change
bench/front_desk.py and run it again (`python -m bench.front_desk --report` renders the saved
figures); `make bench` keeps this section as it is.

- Run: **{results["mode"]}**, {results["date"]}, {results["minutes"]:.1f} minutes.
- Command: `{results["command"]}`; code: commit {results["commit"]}.
- Machine: {results["machine"]}. Load average {results.get("load_average_start", "?")} at the start, {results.get("load_average_end", "?")} at the end.
- Settings: the bench server's (`bench.settings`, DEBUG off, Redis cache and sessions, rate limits off), in-process.
- Data: its own database (`{results["database"]}`, rebuilt by every run) and Redis database. A register of **{register["patients"]:,} active patients** ({register["with_phone"]:,} with a phone, {register["distinct_dates_of_birth"]:,} distinct dates of birth from {EARLIEST_BIRTH.year} to {LATEST_BIRTH.year}, names drawn from {len(FIRST_NAMES)} first and {len(LAST_NAMES)} family names), one receptionist, and one patient with a next appointment and five unread notifications.

**The finder's query** (`accounts.selectors.profiles.patients_matching`): wall clock per call
(the ORM, the round trip and the rows), {results["finder"][0]["calls"]} calls of each kind
after {results["warm_up"]} to warm up, each for a patient drawn at random from the register; it
returns at most 21 rows (20 shown, one more says "narrow it down").

| search | p50 ms | p95 ms | p99 ms | max ms | rows found (median) | queries per call | indexes in the plan |
| --- | --- | --- | --- | --- | --- | --- | --- |
{finder_rows}

Indexes in the plans (`EXPLAIN`, one call of each kind): {", ".join(f"`{name}`" for name in indexes)}.{scans}

**The pages**: CPU per request (`time.thread_time` around a `django.test.Client` request, as
bench/cpu.py measures; the database server's time is not in it) and wall clock,
{results["pages"][0]["requests"]} requests after {results["warm_up"]} to warm up; the finder
posts another patient's date of birth and a word of their name each time.

| page | who | CPU median ms | CPU p90 ms | vs ceiling | wall median ms | queries per request |
| --- | --- | --- | --- | --- | --- | --- |
{page_rows}

Reading: with {register["patients"]:,} patients on the register, each of the front desk's
searches is one query on an index, never a read of the register ({worst_p95:.1f} ms at p95 for
the slowest kind), and the finder's page around it costs {finder_page["cpu_median_ms"]:.1f} ms
of CPU and {finder_page["queries"]} queries a request (the patient's home page
{home_page["cpu_median_ms"]:.1f} ms and {home_page["queries"]}).
{END_MARK}"""


def write(results: dict[str, Any], page_path: Path | None = None) -> Path:
    from bench.sections import write_section

    target = page_path or ROOT / "docs" / "benchmarks.md"
    write_section(target, START_MARK, END_MARK, render(results))
    return target


def _print(results: dict[str, Any]) -> None:
    for row in results["finder"]:
        print(
            f"  finder, {row['kind']}: p50 {row['p50_ms']:.2f} ms, p95 {row['p95_ms']:.2f}, "
            f"p99 {row['p99_ms']:.2f}, max {row['max_ms']:.2f}; rows {row['rows_found_median']:g}; "
            f"{row['queries_per_call']} query; indexes {', '.join(row['indexes'])}"
            + (f"; seq scans {row['sequential_scans']}" if row["sequential_scans"] else ""),
            flush=True,
        )
    for row in results["pages"]:
        print(
            f"  page, {row['name']}: CPU median {row['cpu_median_ms']:.2f} ms, p90 "
            f"{row['cpu_p90_ms']:.2f}, wall {row['wall_median_ms']:.2f}; {row['queries']} queries",
            flush=True,
        )


def main() -> None:
    if sys.argv[1:2] == ["--report"]:
        saved = Path(sys.argv[2]) if len(sys.argv) > 2 else RESULTS
        print(f"bench: wrote {write(json.loads(saved.read_text()))} from {saved}")
        return
    started = time.monotonic()
    _environment()
    from bench.run import _git, _load_average, _machine

    _recreate_database()
    from bench.setup_data import django_setup

    django_setup()
    from django.core.cache import cache

    from hospital.runtime import tune_garbage_collector

    cache.clear()  # this bench's Redis database: sessions of an earlier run
    results: dict[str, Any] = {
        "mode": MODE,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": _git(),
        "machine": _machine(),
        "database": DATABASE,
        "warm_up": WARM_UP,
        "load_average_start": _load_average(),
    }
    print(f"bench: building a register of {PATIENTS:,} patients in {DATABASE} ...", flush=True)
    results["register"] = build(PATIENTS)
    results["build_seconds"] = time.monotonic() - started
    print(f"bench: built in {results['build_seconds']:.0f} s", flush=True)
    tune_garbage_collector()  # as the WSGI/ASGI entry points do in production
    rng = random.Random(SEED + 1)  # noqa: S311 - repeatable draws
    register = _register()
    results["finder"] = [finder(kind, register, rng) for kind in KINDS]
    results["pages"] = pages(register, rng)
    results["load_average_end"] = _load_average()
    results["minutes"] = (time.monotonic() - started) / 60
    results["command"] = _command()
    _print(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1, default=str))
    print(f"bench: figures in {RESULTS}")
    print(f"bench: wrote {write(results)} ({results['minutes']:.1f} minutes)")


if __name__ == "__main__":
    main()
