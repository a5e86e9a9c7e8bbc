"""Demo data of the accounts app, for `manage.py seed_demo`."""

from __future__ import annotations

from accounts.selectors import user_get_by_email
from accounts.services import user_create
from hospital.demo import DEMO_PASSWORD, DemoLogin

DEMO_USERS = (
    # email, full name, staff, superuser, what the login is for
    ("admin@hospital.example", "Alex Admin", True, True, "Django admin (/admin/)"),
    ("ada.patient@hospital.example", "Ada Lovelace", False, False, "sample patient"),
    ("grace.patient@hospital.example", "Grace Hopper", False, False, "sample patient"),
    ("alan.patient@hospital.example", "Alan Turing", False, False, "sample patient"),
)


def seed() -> list[DemoLogin]:
    """Create the demo accounts that do not exist yet; never touch existing ones."""
    logins = []
    for email, full_name, is_staff, is_superuser, purpose in DEMO_USERS:
        if user_get_by_email(email=email) is None:
            user_create(
                email=email,
                password=DEMO_PASSWORD,
                full_name=full_name,
                is_staff=is_staff,
                is_superuser=is_superuser,
                source="seed_demo",
            )
        logins.append(DemoLogin(email=email, password=DEMO_PASSWORD, purpose=purpose))
    return logins
