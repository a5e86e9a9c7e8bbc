"""Countries by ISO 3166-1 alpha-2 code, named in the reader's language (CLDR, via Babel).

The codes are the regions people have telephone numbers in (libphonenumber's list, which is
ISO 3166-1 with Kosovo), so an address's country and a phone number's region agree."""

from __future__ import annotations

import functools

import phonenumbers
from babel import Locale, UnknownLocaleError
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

COUNTRY_CODES = frozenset(phonenumbers.SUPPORTED_REGIONS)


@functools.cache
def _names(language: str) -> tuple[tuple[str, str], ...]:
    try:
        locale = Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en")
    territories = locale.territories
    named = [(code, territories.get(code, code)) for code in COUNTRY_CODES]
    return tuple(sorted(named, key=lambda pair: pair[1].casefold()))


def country_choices() -> list[tuple[str, str]]:
    """(code, name) for every country, by name in the active language, after an empty
    choice (the address may leave the country out)."""
    return [("", _("Choose a country")), *_names(translation.get_language() or "en")]


def validate_country_code(value: str) -> None:
    """Model-field validator: a two-letter ISO 3166-1 code, upper case (the pages offer names;
    the API takes the code)."""
    if value and value not in COUNTRY_CODES:
        raise ValidationError(
            _("Enter a two-letter ISO 3166 country code, e.g. GB."), code="invalid_country"
        )
