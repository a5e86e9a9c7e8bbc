"""Typed readers for the environment variables that drive the settings.

Every reader raises :class:`ConfigurationError` naming the variable, so a bad
value stops start-up with one clear line (see ``hospital/settings/__init__.py``)
instead of a traceback or, worse, a silently wrong default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigurationError(Exception):
    """A variable is malformed or missing; the message names it."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class Environment:
    """Read-only view of the process environment with typed accessors."""

    values: Mapping[str, str]

    @classmethod
    def from_os(cls) -> Environment:
        return cls(dict(os.environ))

    def is_set(self, name: str) -> bool:
        return bool(self.values.get(name, "").strip())

    def get_str(self, name: str, default: str = "") -> str:
        return self.values.get(name, default).strip() or default

    def get_bool(self, name: str, default: bool) -> bool:
        raw = self.values.get(name)
        if raw is None:
            return default
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ConfigurationError(name, f"expected true or false, got {raw!r}")

    def get_int(self, name: str, default: int, *, minimum: int = 0) -> int:
        raw = self.values.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigurationError(name, f"expected a whole number, got {raw!r}") from None
        if value < minimum:
            raise ConfigurationError(name, f"must be at least {minimum}, got {value}")
        return value

    def get_list(self, name: str, default: list[str] | None = None) -> list[str]:
        raw = self.values.get(name, "")
        items = [item.strip() for item in raw.split(",") if item.strip()]
        return items if items else list(default or [])

    def get_choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get_str(name, default).lower()
        if value not in choices:
            raise ConfigurationError(name, f"expected one of {', '.join(choices)}, got {value!r}")
        return value


_POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql"}


def parse_database_url(variable: str, url: str) -> dict[str, Any]:
    """Turn ``postgres://user:pass@host:port/name?opt=value`` or ``sqlite:///path`` into a
    DATABASES entry.

    Parsing is dj-database-url's; every query option (``sslmode``, ``sslrootcert``,
    ``connect_timeout``, ``options``, ``target_session_attrs``, ``application_name`` ...) is
    kept in ``OPTIONS`` and reaches libpq. The checks before it give one clear line naming the
    variable instead of the library's generic errors.
    """
    parts = urlsplit(url)
    if parts.scheme in _POSTGRES_SCHEMES:
        query = parse_qs(parts.query)
        if not parts.hostname and not query.get("host"):
            raise ConfigurationError(
                variable,
                "a PostgreSQL URL needs a host, e.g. postgres://user@127.0.0.1:5432/hospital",
            )
        if not unquote(parts.path.lstrip("/")):
            raise ConfigurationError(
                variable, "a PostgreSQL URL needs a database name after the host"
            )
    elif parts.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path; never an in-memory database.
        if not parts.path.lstrip("/"):
            raise ConfigurationError(
                variable, "a SQLite URL needs a file path, e.g. sqlite:///var/db.sqlite3"
            )
    else:
        raise ConfigurationError(
            variable,
            f"unsupported or malformed URL {_redact(url)!r}; expected postgres://... or sqlite:///...",
        )
    try:
        parts.port  # noqa: B018 - property raises on a non-numeric port
        parsed: dict[str, Any] = dict(dj_database_url.parse(url))
    except ValueError:
        raise ConfigurationError(
            variable, f"malformed URL {_redact(url)!r} (is the port a number, the password quoted?)"
        ) from None
    options: dict[str, Any] = parsed.pop("OPTIONS", {})
    if parts.scheme in _POSTGRES_SCHEMES:
        # ?host=/var/run/postgresql (a socket directory) is the host when the URL names none.
        if not parsed["HOST"] and "host" in options:
            parsed["HOST"] = str(options.pop("host"))
        parsed["PORT"] = str(parsed["PORT"] or "")
    # The keys the rest of the settings own (pool, CONN_MAX_AGE, health checks) are set there.
    database = {key: parsed[key] for key in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")}
    if parts.scheme == "sqlite":
        database = {"ENGINE": parsed["ENGINE"], "NAME": parsed["NAME"]}
    database["OPTIONS"] = options
    return database


def parse_service_url(variable: str, url: str, schemes: tuple[str, ...]) -> str:
    """Check that a Redis or broker URL has a known scheme and a host; return it unchanged."""
    parts = urlsplit(url)
    if parts.scheme not in schemes:
        raise ConfigurationError(
            variable,
            f"malformed URL {_redact(url)!r}; expected a scheme of {', '.join(schemes)}",
        )
    if not parts.hostname:
        raise ConfigurationError(variable, f"the URL {_redact(url)!r} names no host")
    try:
        parts.port  # noqa: B018 - property raises on a non-numeric port
    except ValueError:
        raise ConfigurationError(variable, "the port is not a number") from None
    return url


def _redact(url: str) -> str:
    """Hide a password before a URL goes into an error message."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
