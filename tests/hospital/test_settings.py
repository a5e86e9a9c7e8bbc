"""Settings come from the environment: embedded defaults, real services, production refusals."""

from __future__ import annotations

import json

import pytest

from hospital.settings.environment import (
    ConfigurationError,
    Environment,
    parse_database_url,
    parse_service_url,
)
from tests.hospital.run_manage import PRODUCTION_ENV, run_manage

PRINT_SETTINGS = (
    "import json; from django.conf import settings as s; print(json.dumps({"
    "'engine': s.DATABASES['default']['ENGINE'],"
    "'options': s.DATABASES['default'].get('OPTIONS', {}),"
    "'conn_max_age': s.DATABASES['default'].get('CONN_MAX_AGE'),"
    "'health_checks': s.DATABASES['default'].get('CONN_HEALTH_CHECKS'),"
    "'cache': s.CACHES['default']['BACKEND'],"
    "'sessions': s.SESSION_ENGINE,"
    "'channels': s.CHANNEL_LAYERS['default']['BACKEND'],"
    "'eager': s.CELERY_TASK_ALWAYS_EAGER,"
    "'debug': s.DEBUG}))"
)


def _settings_with(env: dict[str, str], tmp_path) -> dict:
    result = run_manage("shell", "-c", PRINT_SETTINGS, env=env, tmp_var=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_nothing_set_runs_on_embedded_defaults(tmp_path):
    chosen = _settings_with({}, tmp_path)

    assert chosen["engine"] == "django.db.backends.sqlite3"
    assert chosen["options"]["transaction_mode"] == "IMMEDIATE"
    assert chosen["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert chosen["channels"] == "channels.layers.InMemoryChannelLayer"
    assert chosen["eager"] is True
    assert chosen["debug"] is True
    assert (tmp_path / "db.sqlite3").parent.exists()


def test_service_urls_select_postgres_pool_redis_and_the_broker(tmp_path):
    chosen = _settings_with(
        {
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
            "REDIS_URL": "redis://127.0.0.1:6379/3",
            "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
        },
        tmp_path,
    )

    assert chosen["engine"] == "core.db.postgresql"
    assert chosen["options"]["pool"]["max_size"] == 10
    assert chosen["conn_max_age"] == 0
    assert chosen["cache"] == "core.cache.RedisCache"  # Django's, one client per pool
    assert chosen["sessions"] == "accounts.session_store"
    assert chosen["channels"] == "channels_redis.core.RedisChannelLayer"
    assert chosen["eager"] is False


def test_the_owners_url_names_the_role_migrations_run_as_and_the_application_role(tmp_path):
    printed = run_manage(
        "shell",
        "-c",
        "import json; from django.conf import settings as s; "
        "print(json.dumps([s.DATABASE_OWNER, s.DATABASE_APP_ROLE, s.DATABASES['default']['USER']]))",
        env={
            "DATABASE_URL": "postgres://hospital_app:a@127.0.0.1:5432/hospital",
            "DATABASE_MIGRATE_URL": "postgres://hospital_owner:o%40x@db.internal:6432/hospital",
        },
        tmp_var=tmp_path,
    )
    assert printed.returncode == 0, printed.stderr
    owner, app_role, connects_as = json.loads(printed.stdout.strip().splitlines()[-1])
    assert owner == {
        "USER": "hospital_owner",
        "PASSWORD": "o@x",
        "HOST": "db.internal",
        "PORT": "6432",
    }
    # The servers connect as the application's role; only `migrate` switches to the owner.
    assert (app_role, connects_as) == ("hospital_app", "hospital_app")


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": "foo"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://user@host:notaport/db"}, "DATABASE_URL"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"CELERY_BROKER_URL": "http://127.0.0.1:5672"}, "CELERY_BROKER_URL"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG"),
        (
            {"DATABASE_URL": "postgres://u@127.0.0.1/db", "DATABASE_POOL_MAX_SIZE": "ten"},
            "DATABASE_POOL_MAX_SIZE",
        ),
        (
            {"DATABASE_URL": "postgres://u@127.0.0.1/db", "DATABASE_CONNECT_TIMEOUT": "0"},
            "DATABASE_CONNECT_TIMEOUT",
        ),
        ({"DJANGO_ENV": "staging"}, "DJANGO_ENV"),
        # The owner's URL: PostgreSQL beside PostgreSQL, the same database, another user.
        ({"DATABASE_MIGRATE_URL": "postgres://owner@127.0.0.1/db"}, "DATABASE_MIGRATE_URL"),
        (
            {
                "DATABASE_URL": "postgres://app@127.0.0.1/db",
                "DATABASE_MIGRATE_URL": "postgres://owner@127.0.0.1/other",
            },
            "DATABASE_MIGRATE_URL",
        ),
        (
            {
                "DATABASE_URL": "postgres://app@127.0.0.1/db",
                "DATABASE_MIGRATE_URL": "postgres://app@127.0.0.1/db",
            },
            "DATABASE_MIGRATE_URL",
        ),
        (
            {
                "DATABASE_URL": "postgres://app@127.0.0.1/db",
                "DATABASE_MIGRATE_URL": "owner@127.0.0.1/db",
            },
            "DATABASE_MIGRATE_URL",
        ),
    ],
)
def test_a_malformed_variable_stops_start_up_with_one_line_naming_it(env, variable, tmp_path):
    result = run_manage("check", env=env, tmp_var=tmp_path)

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Configuration error: {variable}:")
    assert "Traceback" not in result.stderr


def test_a_malformed_url_with_a_password_does_not_print_the_password(tmp_path):
    result = run_manage(
        "check", env={"REDIS_URL": "http://user:s3cret@host:6379"}, tmp_var=tmp_path
    )

    assert result.returncode != 0
    assert "s3cret" not in result.stderr
    assert "REDIS_URL" in result.stderr


@pytest.mark.parametrize(
    ("override", "variable"),
    [
        ({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG"),
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "too-short"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_ALLOWED_HOSTS": ""}, "DJANGO_ALLOWED_HOSTS"),
        ({"HOSPITAL_SITE_DOMAIN": ""}, "HOSPITAL_SITE_DOMAIN"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"AUDIT_CHAIN_KEYS": ""}, "AUDIT_CHAIN_KEYS"),
        ({"AUDIT_CHAIN_KEYS": "2026a:short"}, "AUDIT_CHAIN_KEYS"),
        ({"AUDIT_CHAIN_KEYS": "a:" + "k" * 32 + ",a:" + "j" * 32}, "AUDIT_CHAIN_KEYS"),
    ],
)
def test_production_refuses_to_start_unsafely(override, variable, tmp_path):
    result = run_manage("check", env={**PRODUCTION_ENV, **override}, tmp_var=tmp_path)

    assert result.returncode != 0
    assert result.stderr.strip().startswith(f"Configuration error: {variable}:")


def test_check_deploy_is_clean_in_production_mode(tmp_path):
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV, tmp_var=tmp_path
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_logs_are_json_lines(tmp_path):
    result = run_manage(
        "shell",
        "-c",
        "import logging; logging.getLogger('hospital.test').warning('json please', extra={'ward': 'B'})",
        env=PRODUCTION_ENV,
        tmp_var=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    entry = json.loads(result.stderr.strip().splitlines()[-1])
    assert entry["message"] == "json please"
    assert entry["level"] == "warning"
    assert entry["logger"] == "hospital.test"
    assert entry["request_id"] == "-"
    assert entry["ward"] == "B"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgres://alice:p%40ss@db.internal:6543/hospital",
            {
                "NAME": "hospital",
                "USER": "alice",
                "PASSWORD": "p@ss",
                "HOST": "db.internal",
                "PORT": "6543",
            },
        ),
        (
            "postgresql://postgres@127.0.0.1/postgres",
            {"HOST": "127.0.0.1", "PORT": "", "NAME": "postgres"},
        ),
        ("sqlite:///var/db.sqlite3", {"NAME": "var/db.sqlite3"}),
        ("sqlite:////srv/abs.sqlite3", {"NAME": "/srv/abs.sqlite3"}),
    ],
)
def child_database_urls_are_parsed(url, expected):
    parsed = parse_database_url("DATABASE_URL", url)

    assert {key: parsed[key] for key in expected} == expected


def test_query_options_of_a_database_url_reach_the_connection():
    """TLS to PostgreSQL can be required: every libpq option in the URL survives parsing."""
    parsed = parse_database_url(
        "DATABASE_URL",
        "postgres://app:s%3Acret@db.internal:5432/hospital?sslmode=verify-full"
        "&sslrootcert=/etc/ssl/db-ca.pem&connect_timeout=3"
        "&options=-c%20statement_timeout%3D5000&target_session_attrs=read-write"
        "&application_name=hospital-web",
    )

    assert parsed["HOST"] == "db.internal"
    assert parsed["PASSWORD"] == "s:cret"
    assert parsed["OPTIONS"] == {
        "sslmode": "verify-full",
        "sslrootcert": "/etc/ssl/db-ca.pem",
        "connect_timeout": 3,
        "options": "-c statement_timeout=5000",
        "target_session_attrs": "read-write",
        "application_name": "hospital-web",
    }


def test_a_socket_directory_in_the_query_is_the_host():
    parsed = parse_database_url("DATABASE_URL", "postgres://app@/hospital?host=/var/run/postgresql")

    assert parsed["HOST"] == "/var/run/postgresql"
    assert parsed["OPTIONS"] == {}


def test_url_options_are_merged_with_the_pool_and_connection_defaults(tmp_path):
    chosen = _settings_with(
        {
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres"
            "?sslmode=verify-full&connect_timeout=2&target_session_attrs=read-write"
            "&options=-c%20statement_timeout%3D5000",
            "DATABASE_POOL_MAX_SIZE": "4",
        },
        tmp_path,
    )

    options = chosen["options"]
    assert options["sslmode"] == "verify-full"
    assert options["connect_timeout"] == 2  # the URL wins over the default of 5 s
    assert options["target_session_attrs"] == "read-write"
    assert options["options"] == "-c statement_timeout=5000"
    assert options["keepalives"] == 1
    assert options["pool"]["max_size"] == 4
    assert options["pool"]["timeout"] == 2  # DATABASE_POOL_TIMEOUT's default
    assert chosen["health_checks"] is True  # psycopg_pool checks a connection before handing it out


def test_a_connect_timeout_applies_when_the_url_names_none(tmp_path):
    chosen = _settings_with(
        {
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
            "DATABASE_CONNECT_TIMEOUT": "7",
        },
        tmp_path,
    )

    assert chosen["options"]["connect_timeout"] == 7


@pytest.mark.parametrize(
    "url",
    [
        "foo",
        "mysql://x@y/z",
        "postgres:///nohost",
        "postgres://h",
        "sqlite://",
        "postgres://u@h:99999/db",
        "postgres://u@h:5432/?sslmode=require",
    ],
)
def test_bad_database_urls_are_refused(url):
    with pytest.raises(ConfigurationError, match=r"^DATABASE_URL: "):
        parse_database_url("DATABASE_URL", url)


def test_service_url_keeps_a_good_url_and_names_the_variable_on_a_bad_one():
    assert (
        parse_service_url("REDIS_URL", "redis://127.0.0.1:6379/1", ("redis",))
        == "redis://127.0.0.1:6379/1"
    )
    with pytest.raises(ConfigurationError, match=r"^REDIS_URL: .*names no host"):
        parse_service_url("REDIS_URL", "redis:///1", ("redis",))


def test_environment_readers():
    env = Environment({"FLAG": "yes", "COUNT": "3", "HOSTS": "a.example, b.example,", "BAD": "-1"})

    assert env.get_bool("FLAG", default=False) is True
    assert env.get_bool("MISSING", default=True) is True
    assert env.get_int("COUNT", 1) == 3
    assert env.get_list("HOSTS") == ["a.example", "b.example"]
    with pytest.raises(ConfigurationError, match=r"^BAD: must be at least 0"):
        env.get_int("BAD", 1)
