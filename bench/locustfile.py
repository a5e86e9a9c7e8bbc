"""The mixed load of issue 10, for Locust (run as its own process: locust patches the standard
library with gevent, so nothing else imports this module):

    .venv/bin/locust -f bench/locustfile.py --headless -u 40 -r 10 -t 10m --host http://...

`make bench` runs it (bench/load.py) with BENCH_LOCUST_CREDENTIALS naming a JSON file of
signed-in people (bench/load.py writes it from the bench database): API token pairs and
browser session cookies for patients, doctors and receptionists, and the department's ids.

- patients on the API search a week of slots (windows over the next two weeks, so searches
  overlap as real ones do) and now and then book one of them (POST with an Idempotency-Key;
  409, someone was quicker, is a normal answer);
- patients in the browser open the booking page, their appointments and the home page;
- doctors open their schedule (page and API);
- reception opens the front-desk page and checks patients in (API, Idempotency-Key);
- mobile apps read the account and refresh their tokens.
Every API user refreshes its pair before the 5-minute access token runs out.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task

CREDENTIALS: dict[str, Any] = (
    json.loads(Path(os.environ["BENCH_LOCUST_CREDENTIALS"]).read_text())
    if os.environ.get("BENCH_LOCUST_CREDENTIALS")
    else {}
)
# Refresh this long after a pair was issued (access tokens live API_ACCESS_TOKEN_LIFETIME).
REFRESH_AFTER_SECONDS = float(CREDENTIALS.get("refresh_after_seconds", 240))
_next_index: dict[str, itertools.count[int]] = {}


def _take(role: str) -> dict[str, Any]:
    """The next person of this role (each simulated user signs in as a different one)."""
    people: list[dict[str, Any]] = CREDENTIALS[role]
    counter = _next_index.setdefault(role, itertools.count())
    return people[next(counter) % len(people)]


def _week(rng: random.Random) -> tuple[str, str]:
    start = datetime.date.fromisoformat(CREDENTIALS["today"]) + datetime.timedelta(
        days=rng.randint(1, 7)
    )
    return start.isoformat(), (start + datetime.timedelta(days=6)).isoformat()


class _Signed(HttpUser):
    abstract = True
    role = ""

    def on_start(self) -> None:
        person = _take(self.role)
        self.access: str = person["access"]
        self.refresh_token: str = person["refresh"]
        self.issued = time.monotonic()
        if person.get("cookie"):
            name, _, value = person["cookie"].partition("=")
            self.client.cookies.set(name, value)
        self.rng = random.Random()  # noqa: S311 - load shape, not security

    def api_headers(self) -> dict[str, str]:
        if time.monotonic() - self.issued > REFRESH_AFTER_SECONDS:
            self.refresh()
        return {"Authorization": f"Bearer {self.access}"}

    def refresh(self) -> None:
        with self.client.post(
            "/api/v1/auth/refresh",
            json={"refresh_token": self.refresh_token},
            name="POST /api/v1/auth/refresh",
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                pair = response.json()
                self.access, self.refresh_token = pair["access_token"], pair["refresh_token"]
                self.issued = time.monotonic()
            else:
                response.failure(f"refresh answered {response.status_code}")


class ApiPatient(_Signed):
    """A patient in the mobile app or a partner site: slots, booking, their list."""

    weight = 4
    wait_time = between(1, 3)
    role = "patients_api"

    def on_start(self) -> None:
        super().on_start()
        self.seen_slots: list[dict[str, Any]] = []

    @task(6)
    def search_slots(self) -> None:
        date_from, date_to = _week(self.rng)
        response = self.client.get(
            "/api/v1/slots",
            params={
                "appointment_type": CREDENTIALS["appointment_type"],
                "department": CREDENTIALS["department"],
                "date_from": date_from,
                "date_to": date_to,
            },
            headers=self.api_headers(),
            name="GET /api/v1/slots (department, 7 days)",
        )
        if response.status_code == 200:
            self.seen_slots = response.json()["results"]

    @task(1)
    def book(self) -> None:
        if not self.seen_slots:
            return
        slot = self.rng.choice(self.seen_slots)
        with self.client.post(
            "/api/v1/appointments",
            json={
                "appointment_type": CREDENTIALS["appointment_type"],
                "practitioner": slot["practitioner"]["id"],
                "start": slot["start"],
            },
            headers={**self.api_headers(), "Idempotency-Key": str(uuid.uuid4())},
            name="POST /api/v1/appointments (book)",
            catch_response=True,
        ) as response:
            # 409: the time was taken meanwhile, or the patient is busy then: a right answer.
            if response.status_code in (201, 409):
                response.success()
            else:
                response.failure(f"booking answered {response.status_code}")
        self.seen_slots = []

    @task(2)
    def my_list(self) -> None:
        self.client.get(
            "/api/v1/appointments",
            headers=self.api_headers(),
            name="GET /api/v1/appointments (patient)",
        )


class WebPatient(_Signed):
    """A patient in the browser: the booking page, their appointments, the home page."""

    weight = 3
    wait_time = between(2, 5)
    role = "patients_web"

    @task(3)
    def booking_page(self) -> None:
        date_from, _ = _week(self.rng)
        self.client.get(
            "/appointments/book/",
            params={"appointment_type": CREDENTIALS["appointment_type"], "date_from": date_from},
            name="GET /appointments/book/ (department, 7 days)",
        )

    @task(2)
    def my_appointments(self) -> None:
        self.client.get("/appointments/", name="GET /appointments/ (my appointments)")

    @task(1)
    def home(self) -> None:
        self.client.get("/", name="GET / (home)")


class Clinician(_Signed):
    """A doctor opening the day's and the week's schedule."""

    weight = 2
    wait_time = between(2, 6)
    role = "doctors"

    @task(2)
    def schedule_page(self) -> None:
        self.client.get("/appointments/schedule/", name="GET /appointments/schedule/")

    @task(3)
    def schedule_api(self) -> None:
        date_from, date_to = _week(self.rng)
        self.client.get(
            "/api/v1/appointments",
            params={"practitioner": "me", "date_from": date_from, "date_to": date_to},
            headers=self.api_headers(),
            name="GET /api/v1/appointments?practitioner=me (7 days)",
        )


class Reception(_Signed):
    """The front desk: today's list, and patients checked in as they arrive."""

    weight = 1
    wait_time = between(2, 5)
    role = "receptionists"

    @task(2)
    def front_desk(self) -> None:
        self.client.get("/appointments/reception/", name="GET /appointments/reception/")

    @task(3)
    def check_in(self) -> None:
        date_from, _ = _week(self.rng)
        response = self.client.get(
            "/api/v1/appointments",
            params={"status": "booked", "date_from": date_from, "date_to": date_from},
            headers=self.api_headers(),
            name="GET /api/v1/appointments?status=booked (reception, a day)",
        )
        if response.status_code != 200 or not response.json()["results"]:
            return
        visit = self.rng.choice(response.json()["results"])
        with self.client.post(
            f"/api/v1/appointments/{visit['id']}/check-in",
            headers={**self.api_headers(), "Idempotency-Key": str(uuid.uuid4())},
            name="POST /api/v1/appointments/{id}/check-in",
            catch_response=True,
        ) as answer:
            # 409: another desk checked the same patient in first.
            if answer.status_code in (200, 409):
                answer.success()
            else:
                answer.failure(f"check-in answered {answer.status_code}")


class MobileApp(_Signed):
    """An app in the background: reads the account, refreshes its tokens when they age."""

    weight = 1
    wait_time = between(5, 15)
    role = "patients_mobile"

    @task(3)
    def me(self) -> None:
        self.client.get(
            "/api/v1/account/me", headers=self.api_headers(), name="GET /api/v1/account/me"
        )

    @task(1)
    def refresh_now(self) -> None:
        self.refresh()
