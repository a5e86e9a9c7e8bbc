"""Two sign-ups with the same new address at the same moment (a double tap, a retried
request): one account, and every caller gets the sign-up's one answer, never a 500 from the
unique email constraint. Found by the contract run (tests/contract/test_schemathesis.py), whose
personas sign up with the schema's example address side by side."""

from __future__ import annotations

import threading

import httpx
import pytest

from accounts.models import User

ADDRESS = "new.patient@example.org"
SIGNUP = {
    "email": ADDRESS,
    "password": "a quiet lighthouse keeps watch over winter seas",
    "legal_name": "Mary Seacole",
    "date_of_birth": "1985-11-23",
}


@pytest.mark.services("DATABASE_URL")
@pytest.mark.django_db(transaction=True)
def test_simultaneous_sign_ups_with_one_address_make_one_account_and_no_error(live_server):
    callers = 4
    barrier = threading.Barrier(callers)
    answers: list[httpx.Response] = []

    def sign_up() -> None:
        barrier.wait()
        answers.append(httpx.post(f"{live_server.url}/api/v1/auth/signup", json=SIGNUP, timeout=60))

    threads = [threading.Thread(target=sign_up) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [answer.status_code for answer in answers] == [202] * callers
    assert len({answer.json()["detail"] for answer in answers}) == 1
    assert User.objects.filter(email__iexact=ADDRESS).count() == 1
