"""`manage.py catalogues` (`make messages`): extract every marked string into the Spanish and
Arabic catalogues (locale/<language>/LC_MESSAGES/django.po), fill entries Django or allauth
already translate the same way, and compile them. tests/web/test_translations.py fails while
a catalogue is incomplete or older than the code."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from core import i18n_check


class Command(BaseCommand):
    help = "Extract, pre-fill and compile the Spanish and Arabic catalogues."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-compile",
            action="store_true",
            help="Only extract (what the check does on a copy of the code).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        languages = list(i18n_check.TRANSLATED_LANGUAGES)
        call_command("makemessages", verbosity=0, **i18n_check.makemessages_options())
        if options["no_compile"]:
            return
        for language in languages:
            filled = i18n_check.fill_from_libraries(language)
            if filled:
                self.stdout.write(f"{language}: {filled} entries taken from Django and allauth")
        for language in languages:
            i18n_check.compile_catalogue(language)
        for language in languages:
            missing = i18n_check.untranslated_count(language)
            self.stdout.write(f"{language}: {missing} entries still to translate")
