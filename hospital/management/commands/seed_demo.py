"""`manage.py seed_demo`: idempotent demo data from every app, then the demo logins."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.seeding import DemoLogin


class Command(BaseCommand):
    help = "Create demo data (safe to run again: existing rows are left as they are) and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError(
                "seed_demo refuses to run with DJANGO_ENV=production: demo logins have known passwords."
            )

        logins: list[DemoLogin] = []
        with transaction.atomic():
            for app_config in apps.get_app_configs():
                module_name = f"{app_config.name}.demo"
                if find_spec(module_name) is None:
                    continue
                logins.extend(import_module(module_name).seed())

        self.stdout.write(self.style.SUCCESS("Demo data is ready. Demo logins:"))
        width = max((len(login.email) for login in logins), default=0)
        for login in logins:
            self.stdout.write(f"  {login.email:<{width}}  {login.password}  ({login.purpose})")
