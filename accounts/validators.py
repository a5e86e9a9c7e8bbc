"""Field validators and normalisers of the accounts app (phones, medical record numbers)."""

from __future__ import annotations

import secrets

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

PHONE_HELP = _("International format with country code, e.g. +44 20 7946 0958.")


def normalize_phone(value: str, region: str | None = None) -> str:
    """Return the number in E.164 (``+442079460958``) or raise ValidationError. With
    ``region`` (ISO 3166), a number without its country code is read as that country's."""
    raw = (value or "").strip()
    if not raw:
        raise ValidationError(gettext("Enter a phone number."), code="required")
    if len(raw) > 32:
        raise ValidationError(gettext("That phone number is too long."), code="invalid_phone")
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(_invalid_phone(), code="invalid_phone") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(_invalid_phone(), code="invalid_phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _invalid_phone() -> str:
    # Translators: the placeholder is the sentence "International format with country
    # code, e.g. +44 20 7946 0958."
    return gettext("Enter a valid phone number. %(help)s") % {"help": PHONE_HELP}


def validate_e164(value: str) -> None:
    """Model-field validator: the stored value must already be normalised E.164."""
    if value and normalize_phone(value) != value:
        raise ValidationError(
            gettext("Store phone numbers in E.164 form, e.g. +442079460958."),
            code="invalid_phone",
        )


def _luhn_check_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def new_medical_record_number() -> str:
    """A random MRN: "MRN" + 8 random digits + a Luhn check digit (catches typos)."""
    body = f"{secrets.randbelow(10**8):08d}"
    return f"MRN{body}{_luhn_check_digit(body)}"


def is_valid_medical_record_number(value: str) -> bool:
    if len(value) != 12 or not value.startswith("MRN") or not value[3:].isdigit():
        return False
    return _luhn_check_digit(value[3:11]) == value[11]
