"""Shared fixtures. Tests run on whatever DATABASE_URL / REDIS_URL / CELERY_BROKER_URL name.

A test that needs a real service is marked ``@pytest.mark.services("REDIS_URL")``: outside CI a
missing service skips the test with a reason; in CI (CI=true) it fails, so a
service that did not start can never turn into a green run.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable, Iterator

import pytest
from django.conf import settings
from django.core.cache import cache

from tests.factories import UserFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("DJANGO_ENV") == "production":
        raise pytest.UsageError("Refusing to run the test suite with DJANGO_ENV=production.")


def require_service(variable: str) -> str:
    """The URL of a real service named by an environment variable, or skip/fail without it."""
    url = os.environ.get(variable, "").strip()
    if url:
        return url
    message = f"{variable} is not set: this test needs the real service."
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


# The application's credentials while the test database is made as the owner.
_application_credentials: dict[str, object] = {}


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """The test database is created and migrated as the owner role (DATABASE_MIGRATE_URL), as
    a deployment's migrate job does; the tests then run as the application's role."""
    from django.db import connections

    from core.db.roles import CREDENTIALS, owner_credentials, use_credentials

    owner = owner_credentials()
    if owner is not None:
        connection = connections["default"]
        _application_credentials.update(
            {key: connection.settings_dict.get(key) for key in CREDENTIALS}
        )
        use_credentials(connection, owner)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker) -> Iterator[None]:
    """pytest-django's, then back to the application's role; Django's flush after a
    transactional test runs as the owner (tests/database_roles.py)."""
    from django.db import connections
    from django.db.backends.postgresql.operations import DatabaseOperations

    from core.db.roles import owner_credentials, use_credentials
    from tests.database_roles import OwnerFlush

    connection = connections["default"]
    if connection.vendor != "postgresql":
        yield
        return
    owner = owner_credentials()
    flush = OwnerFlush()
    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(ops: DatabaseOperations, sql_list: Iterable[str]) -> None:
        flush.execute(list(sql_list))

    DatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign,assignment]
    with django_db_blocker.unblock():
        if owner is not None:
            use_credentials(connection, _application_credentials)
    try:
        yield
    finally:
        DatabaseOperations.execute_sql_flush = original  # type: ignore[method-assign]
        with django_db_blocker.unblock():
            flush.close()
            if owner is not None:
                # pytest-django drops the test database next, as its owner.
                use_credentials(connection, owner)


@pytest.fixture(autouse=True)
def _required_services(request: pytest.FixtureRequest) -> None:
    """``@pytest.mark.services("REDIS_URL", ...)`` declares the real services a test needs."""
    for marker in request.node.iter_markers("services"):
        for variable in marker.args:
            require_service(variable)


@pytest.fixture(autouse=True)
def _tasks_run_in_process(settings):
    """Celery tasks run in-process (Celery's eager mode runs the real task code); the tests
    marked ``services("CELERY_BROKER_URL")`` use a real worker through the broker instead."""
    from celery._state import _set_task_join_will_block  # type: ignore[attr-defined]

    from hospital.celery import app

    # A worker started in this process by an earlier test (its pool sets this flag) must not
    # make every later eager result.get() refuse with "Never call result.get() within a task!".
    _set_task_join_will_block(False)
    before = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = [
        "tests.hashers.FastArgon2PasswordHasher",
        *settings.PASSWORD_HASHERS[1:],
    ]
    # Sign-ups answer at once in tests; tests/accounts/test_signup_timing.py restores the floor.
    settings.SIGNUP_MINIMUM_SECONDS = 0


@pytest.fixture(scope="session", autouse=True)
def _n_plus_one_fails_the_request() -> None:
    """django-zeal checks every request the tests make (test client and live servers): a query
    repeated per row of a queryset (an N+1) raises zeal.NPlusOneError inside the request, so
    the test fails where it happened. One context per request, not per test, so a test that
    sends the same request twice is not an N+1. zeal is a test-only dependency, so its hooks
    are installed here rather than through INSTALLED_APPS; they act only inside a context.
    Silence a deliberate case with ``zeal.zeal_ignore`` and a comment saying why."""
    from django.core.signals import request_finished, request_started
    from zeal import listeners
    from zeal.constants import initialize_app_registry
    from zeal.patch import patch

    initialize_app_registry()
    patch()
    # allauth's own flows read an address per step (confirmation, login), not per row of
    # anything we list; they are its code, not ours.
    settings.ZEAL_ALLOWLIST = [
        {"model": "account.EmailAddress", "field": "get()"},
        {"model": "account.EmailAddress", "field": "user"},
    ]
    tokens = threading.local()

    def teardown(token: object) -> None:
        # A token made in another context (ASGI runs a request's start and finish, and
        # database_sync_to_async its calls, in contexts of their own) cannot be reset here:
        # that context ends with its task; nothing of it is left in this one.
        with contextlib.suppress(ValueError):
            listeners.teardown(token)

    def started(**kwargs: object) -> None:
        # A request that died before request_finished (an error raised through the test
        # client) must not leave its context to the next request's, or another test's.
        leftover = getattr(tokens, "current", None)
        if leftover is not None:
            teardown(leftover)
        tokens.current = listeners.setup()

    def finished(**kwargs: object) -> None:
        leftover = getattr(tokens, "current", None)
        if leftover is not None:
            teardown(leftover)
        tokens.current = None

    request_started.connect(started, weak=False, dispatch_uid="tests.zeal.started")
    request_finished.connect(finished, weak=False, dispatch_uid="tests.zeal.finished")


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Each test starts with an empty cache (in CI the cache is a dedicated Redis database),
    and without what a process keeps of it."""
    from accounts.selectors.directory import public_locations_forget

    cache.clear()
    public_locations_forget()
    yield
    cache.clear()
    public_locations_forget()


@pytest.fixture
def user(db):
    return UserFactory.create()


@pytest.fixture
def admin_user(db):
    return UserFactory.create(role="admin", is_superuser=True)


@pytest.fixture
def settings_debug(settings):
    """DEBUG on, as under `make run`."""
    settings.DEBUG = True
    return settings


__all__ = ["IN_CI", "require_service", "settings"]


def login_verified(client, user):
    """Sign a staff user in with an OTP-verified session, as the login's 2FA step leaves it."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(
        user=user, confirmed=True
    ).first() or TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def totp_code(device, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app would show now (or ``steps_ahead`` 30-second steps later)."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture(autouse=True)
def _email_transport_in_memory(settings):
    """Notifications leave through Django's locmem backend (mail.outbox), as the account
    emails do under pytest-django; tests of the mail queue and SMTP set their own."""
    settings.NOTIFICATIONS_EMAIL_TRANSPORT = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _sms_outbox(settings):
    """SMS go to core.sms.outbox in tests, like mail.outbox."""
    from core import sms

    settings.SMS_BACKEND = "core.sms.backends.locmem.SmsBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def sms_outbox(_sms_outbox):
    return _sms_outbox


# A default cache on a Redis that is not there (nothing listens on port 9), failing fast:
# for tests of what a request does while the cache cannot be reached.
UNREACHABLE_REDIS_CACHE = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "redis://127.0.0.1:9/0",
    "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
}


def web_login(client, email, password=None):
    """Sign in through the real login form; returns the response (a redirect on success)."""
    from tests.factories import TEST_PASSWORD

    return client.post("/accounts/login/", {"login": email, "password": password or TEST_PASSWORD})


@pytest.fixture
def patient(db):
    from tests.factories import PatientProfileFactory

    return PatientProfileFactory.create().user


@pytest.fixture
def doctor(db):
    from tests.factories import StaffProfileFactory

    return StaffProfileFactory.create().user


@pytest.fixture(autouse=True)
def api_responses_match_schema(request, monkeypatch):
    """Every response a test client receives from a documented API operation, in every test,
    must match the OpenAPI schema (tests/schema_validation.py); a mismatch fails the test at
    that request. A test that sends what the contract does not cover on purpose (a fault the
    schema cannot name) says so with ``@pytest.mark.off_contract("why")``.
    """
    if request.node.get_closest_marker("off_contract"):
        return None
    from django.test.client import Client

    from tests.schema_validation import schema_validator

    validator = schema_validator()
    send = Client.request

    def request_checked(client, **request):
        response = send(client, **request)
        path = request.get("PATH_INFO", "")
        if path.startswith("/api/v"):
            problems = validator.response_errors(request["REQUEST_METHOD"], path, response)
            assert not problems, "\n".join(problems)
        return response

    monkeypatch.setattr(Client, "request", request_checked)
    return validator
