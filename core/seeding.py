"""Demo data plumbing: each app may ship a ``demo.py`` with ``seed() -> list[DemoLogin]``.

``manage.py seed_demo`` calls them in INSTALLED_APPS order (lower layers first),
so an app's demo data can build on the data of the apps below it.
"""

from __future__ import annotations

from dataclasses import dataclass

# A passphrase long enough for the password policy; for local demo data only
# (seed_demo refuses to run in production).
DEMO_PASSWORD = "demo-hospital-passphrase-2026"  # noqa: S105


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    purpose: str
