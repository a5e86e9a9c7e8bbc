"""Password hashing cost: Argon2id with OWASP's server parameters, older hashes rewritten at the
next sign-in (page and API), and at most PASSWORD_HASHING_CONCURRENCY hashes at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import argon2
import pytest
from django.contrib.auth.hashers import get_hasher, identify_hasher, make_password
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.passwords import HospitalArgon2PasswordHasher, hashing_slots
from hospital.settings.auth import PASSWORD_HASHERS as PRODUCTION_HASHERS
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

# Django's own Argon2 defaults, which every hash made before this change has.
OLD_MEMORY_KIB, OLD_TIME_COST, OLD_PARALLELISM = 102_400, 2, 8


@pytest.fixture
def production_hashing(settings):
    settings.PASSWORD_HASHERS = list(PRODUCTION_HASHERS)
    settings.RATE_LIMITS_ENABLED = False


def _old_argon2_hash(password: str) -> str:
    """What Django's Argon2PasswordHasher stored before: 100 MiB, 2 passes, parallelism 8."""
    encoded = argon2.PasswordHasher(
        time_cost=OLD_TIME_COST,
        memory_cost=OLD_MEMORY_KIB,
        parallelism=OLD_PARALLELISM,
        type=argon2.Type.ID,
    ).hash(password)
    return "argon2" + encoded


def _stored_parameters(user: User) -> argon2.Parameters:
    user.refresh_from_db(fields=["password"])
    algorithm, rest = user.password.split("$", 1)
    assert algorithm == "argon2"
    return argon2.extract_parameters("$" + rest)


@pytest.fixture
def old_hash_user(production_hashing) -> User:
    user = UserFactory.create()
    User.objects.filter(pk=user.pk).update(password=_old_argon2_hash(TEST_PASSWORD))
    return user


def test_new_hashes_are_argon2id_with_owasp_server_parameters(production_hashing):
    encoded = make_password("a fresh passphrase for the new system")

    parameters = argon2.extract_parameters(encoded.removeprefix("argon2"))
    assert isinstance(identify_hasher(encoded), HospitalArgon2PasswordHasher)
    assert parameters.type is argon2.Type.ID
    assert parameters.memory_cost == 19 * 1024  # 19 MiB (OWASP: 19-46 MiB)
    assert parameters.time_cost == 2
    assert parameters.parallelism == 1


def test_an_old_parameter_hash_is_rewritten_at_a_page_sign_in(old_hash_user):
    assert _stored_parameters(old_hash_user).memory_cost == OLD_MEMORY_KIB

    response = Client().post(
        "/accounts/login/", {"login": old_hash_user.email, "password": TEST_PASSWORD}
    )

    assert response.status_code == 302
    parameters = _stored_parameters(old_hash_user)
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (
        19 * 1024,
        2,
        1,
    )
    assert old_hash_user.check_password(TEST_PASSWORD)


def test_an_old_parameter_hash_is_rewritten_at_an_api_sign_in(old_hash_user):
    response = APIClient().post(
        "/api/v1/auth/login",
        {"email": old_hash_user.email, "password": TEST_PASSWORD},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "authenticated"
    parameters = _stored_parameters(old_hash_user)
    assert (parameters.memory_cost, parameters.parallelism) == (19 * 1024, 1)


def test_a_wrong_password_keeps_the_old_hash(old_hash_user):
    before = User.objects.get(pk=old_hash_user.pk).password

    response = APIClient().post(
        "/api/v1/auth/login",
        {"email": old_hash_user.email, "password": "not the passphrase at all, sorry"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_CREDENTIALS"
    assert User.objects.get(pk=old_hash_user.pk).password == before


class _ConcurrencyProbe:
    """Wraps an argon2-cffi function; records how many calls ran at the same time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.calls = 0

    def __call__(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            self.running += 1
            self.calls += 1
            self.most = max(self.most, self.running)
        try:
            # Long enough that every thread is queued behind the slots while these run.
            threading.Event().wait(0.05)
            return function(*args, **kwargs)
        finally:
            with self.lock:
                self.running -= 1


@pytest.fixture
def probe(monkeypatch) -> Iterator[_ConcurrencyProbe]:
    """One probe over both argon2 entry points Django's hasher uses (hash and verify)."""
    probe = _ConcurrencyProbe()
    original_verify = argon2.PasswordHasher.verify
    original_hash = argon2.low_level.hash_secret
    monkeypatch.setattr(
        argon2.PasswordHasher,
        "verify",
        lambda self, *args, **kwargs: probe(original_verify, self, *args, **kwargs),
    )
    monkeypatch.setattr(
        argon2.low_level,
        "hash_secret",
        lambda *args, **kwargs: probe(original_hash, *args, **kwargs),
    )
    yield probe


def test_at_most_the_configured_number_of_hashes_run_at_once(production_hashing, settings, probe):
    settings.PASSWORD_HASHING_CONCURRENCY = 2
    hasher = get_hasher("argon2")
    encoded = hasher.encode(TEST_PASSWORD, hasher.salt())
    threads_count = 8
    start = threading.Barrier(threads_count)
    results: list[bool] = []

    def sign_in(index: int) -> None:
        start.wait()
        if index % 2:
            results.append(hasher.verify(TEST_PASSWORD, encoded))
        else:
            results.append(hasher.encode(TEST_PASSWORD, hasher.salt()).startswith("argon2$"))

    threads = [threading.Thread(target=sign_in, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [True] * threads_count
    assert probe.calls == threads_count + 1
    assert probe.most == 2  # never more than the slots; and the slots were all used


def test_a_sign_in_that_finds_no_free_hashing_thread_answers_503(production_hashing, settings):
    settings.PASSWORD_HASHING_CONCURRENCY = 1
    settings.PASSWORD_HASHING_WAIT = 1
    user = UserFactory.create()

    release, taken = threading.Event(), threading.Event()

    def busy() -> bool:
        taken.set()
        return release.wait(30)

    # The one hashing thread stays busy for longer than a sign-in waits.
    holder = threading.Thread(target=hashing_slots.run, args=(busy,))
    holder.start()
    taken.wait(30)
    try:
        api = APIClient().post(
            "/api/v1/auth/login", {"email": user.email, "password": TEST_PASSWORD}, format="json"
        )
        page = Client(raise_request_exception=False).post(
            "/accounts/login/", {"login": user.email, "password": TEST_PASSWORD}
        )
    finally:
        release.set()
        holder.join()

    assert api.status_code == 503
    assert api.json()["code"] == "SERVICE_UNAVAILABLE"
    assert int(api["Retry-After"]) > 0
    assert page.status_code == 503
    assert int(page["Retry-After"]) > 0
    # Nothing counted against the account: the password was never checked.
    ok = APIClient().post(
        "/api/v1/auth/login", {"email": user.email, "password": TEST_PASSWORD}, format="json"
    )
    assert ok.status_code == 200
