"""`manage.py create_staff --role doctor --email ... --name ...`: a staff account for an operator."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Department
from accounts.roles import STAFF_ROLES
from accounts.services.users import staff_create


class Command(BaseCommand):
    help = (
        "Create a staff account (doctor, nurse, receptionist, admin, compliance_officer). "
        "Without --password the person sets one through 'Forgot password'. Staff must set up "
        "two-factor authentication at their first sign-in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", required=True, choices=sorted(STAFF_ROLES))
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", required=True, help="Full name, e.g. 'Grace Hopper'.")
        parser.add_argument(
            "--department", default="", help="Department code (required for doctors and nurses)."
        )
        parser.add_argument("--title", default="")
        parser.add_argument("--specialty", default="")
        parser.add_argument("--licence-number", default="")
        parser.add_argument(
            "--password-prompt",
            action="store_true",
            help="Ask for a password on the terminal instead.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        department = None
        if options["department"]:
            department = Department.objects.filter(code=options["department"]).first()
            if department is None:
                codes = ", ".join(Department.objects.values_list("code", flat=True)) or "none yet"
                raise CommandError(
                    f"No department with code {options['department']!r} (known: {codes})."
                )
        password = None
        if options["password_prompt"]:
            password = getpass.getpass("Password (15+ characters): ")
            if password != getpass.getpass("Password again: "):
                raise CommandError("The passwords do not match.")
        try:
            user = staff_create(
                email=options["email"],
                full_name=options["name"],
                role=options["role"],
                password=password,
                department=department,
                title=options["title"],
                specialty=options["specialty"],
                licence_number=options["licence_number"],
                source="create_staff",
            )
        except ValidationError as error:
            raise CommandError("; ".join(_flatten(error))) from None
        self.stdout.write(
            self.style.SUCCESS(f"Created {user.get_role_display().lower()} {user.email}.")
        )
        if password is None:
            self.stdout.write(
                "No password was set: they choose one with 'Forgot your password?' on the sign-in page."
            )
        self.stdout.write("At first sign-in they must set up two-factor authentication.")


def _flatten(error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [
            f"{field}: {message}"
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    return list(error.messages)
