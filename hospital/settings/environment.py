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


def parse_database_url(variable: str, url: str) -> dict[str, Any]:
    """Turn ``postgres://user:pass@host:port/name`` or ``sqlite:///path`` into a DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not parts.hostname and not parse_qs(parts.query).get("host"):
            raise ConfigurationError(
                variable,
                "a PostgreSQL URL needs a host, e.g. postgres://user@127.0.0.1:5432/hospital",
            )
        if not name:
            raise ConfigurationError(
                variable, "a PostgreSQL URL needs a database name after the host"
            )
        try:
            port = parts.port
        except ValueError:
            raise ConfigurationError(variable, "the port is not a number") from None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or parse_qs(parts.query)["host"][0],
            "PORT": str(port or ""),
        }
    if parts.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path, as in dj-database-url.
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if not path:
            raise ConfigurationError(
                variable, "a SQLite URL needs a file path, e.g. sqlite:///var/db.sqlite3"
            )
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    raise ConfigurationError(
        variable,
        f"unsupported or malformed URL {_redact(url)!r}; expected postgres://... or sqlite:///...",
    )


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
