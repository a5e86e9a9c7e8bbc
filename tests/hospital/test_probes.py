"""/healthz (liveness) and /readyz (dependencies), on the services the environment names."""

from __future__ import annotations

import pytest
from django.db import connection

CLOSED_PORT_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


def test_healthz_answers_without_touching_any_dependency(client, settings):
    # No django_db mark: pytest-django makes any database access fail this test.
    settings.CACHES = CLOSED_PORT_REDIS
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:1//"

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_reports_each_configured_check(client, settings):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    expected = {"database", "cache"} | (
        {"broker", "backlog"} if settings.CELERY_BROKER_URL else set()
    )
    assert set(body["checks"]) == expected
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["database"]["backend"] == connection.vendor


@pytest.mark.django_db
def test_readyz_is_503_naming_the_cache_when_redis_is_down(client, settings):
    settings.CACHES = CLOSED_PORT_REDIS

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["cache"]["error"]
    assert body["checks"]["database"]["ok"] is True
    assert "127.0.0.1:1" not in response.content.decode()


@pytest.mark.django_db
def test_readyz_is_503_naming_the_broker_when_it_is_down(client, settings):
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:1//"

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


@pytest.mark.services("REDIS_URL")
@pytest.mark.django_db
def test_readyz_checks_the_real_redis(client):
    response = client.get("/readyz")

    assert response.json()["checks"]["cache"] == {
        **response.json()["checks"]["cache"],
        "ok": True,
        "backend": "RedisCache",
    }


@pytest.mark.services("CELERY_BROKER_URL")
@pytest.mark.django_db
def test_readyz_checks_the_real_broker(client):
    response = client.get("/readyz")

    assert response.json()["checks"]["broker"]["ok"] is True


@pytest.mark.services("DATABASE_URL")
@pytest.mark.django_db
def test_readyz_checks_the_real_postgresql_through_the_pool(client):
    response = client.get("/readyz")

    assert response.json()["checks"]["database"]["backend"] == "postgresql"
    assert connection.pool is not None  # type: ignore[attr-defined]
