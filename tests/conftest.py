"""Shared fixtures. Tests run on whatever DATABASE_URL / REDIS_URL / CELERY_BROKER_URL name.

A test that needs a real service is marked ``@pytest.mark.services("REDIS_URL")``: outside CI a
missing service skips the test with a reason; in CI (CI=true) it fails, so a
service that did not start can never turn into a green run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

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


@pytest.fixture(autouse=True)
def _required_services(request: pytest.FixtureRequest) -> None:
    """``@pytest.mark.services("REDIS_URL", ...)`` declares the real services a test needs."""
    for marker in request.node.iter_markers("services"):
        for variable in marker.args:
            require_service(variable)


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Each test starts with an empty cache (in CI the cache is a dedicated Redis database)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(db):
    return UserFactory.create()


@pytest.fixture
def admin_user(db):
    return UserFactory.create(is_staff=True, is_superuser=True)


@pytest.fixture
def settings_debug(settings):
    """DEBUG on, as under `make run`."""
    settings.DEBUG = True
    return settings


__all__ = ["IN_CI", "require_service", "settings"]
