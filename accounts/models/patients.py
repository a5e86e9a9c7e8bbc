"""The patient profile. Holds identifying data: never log its values.

Legal name, date of birth and sex are the patient's identity: they change only through an
approved ``IdentityChangeRequest`` (accounts.services.identity)."""

from __future__ import annotations

import datetime
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.validators import PHONE_HELP, validate_e164
from core.countries import validate_country_code
from core.local_time import validate_time_zone

EARLIEST_DATE_OF_BIRTH = datetime.date(1900, 1, 1)


def validate_date_of_birth(value: datetime.date) -> None:
    """The sign-up rule, on every path that writes a date of birth: not before 1900, not in
    the future (UTC)."""
    if value > datetime.datetime.now(tz=datetime.UTC).date():
        raise ValidationError(gettext("The date of birth cannot be in the future."), code="future")
    if value < EARLIEST_DATE_OF_BIRTH:
        raise ValidationError(gettext("Enter a date of birth after 1900."), code="too_early")


class PatientProfile(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        INTERSEX = "intersex", _("Intersex")
        UNKNOWN = "unknown", _("Prefer not to say")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="patient_profile",
        verbose_name=_("user"),
    )
    medical_record_number = models.CharField(
        max_length=12, unique=True, editable=False, verbose_name=_("medical record number")
    )
    legal_name = models.CharField(max_length=150, verbose_name=_("legal name"))
    date_of_birth = models.DateField(
        validators=[validate_date_of_birth], verbose_name=_("date of birth")
    )
    sex = models.CharField(
        max_length=16, choices=Sex.choices, default=Sex.UNKNOWN, verbose_name=_("sex")
    )
    phone = models.CharField(
        max_length=16,
        blank=True,
        validators=[validate_e164],
        help_text=PHONE_HELP,
        verbose_name=_("phone"),
    )
    address_line1 = models.CharField(_("address line 1"), max_length=120, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=120, blank=True)
    city = models.CharField(max_length=80, blank=True, verbose_name=_("city"))
    postal_code = models.CharField(max_length=16, blank=True, verbose_name=_("postal code"))
    country = models.CharField(
        max_length=2,
        blank=True,
        validators=[validate_country_code],
        help_text=_("ISO 3166 two-letter code, e.g. GB."),
        verbose_name=_("country"),
    )
    emergency_contact_name = models.CharField(
        max_length=150, blank=True, verbose_name=_("emergency contact name")
    )
    emergency_contact_phone = models.CharField(
        max_length=16,
        blank=True,
        validators=[validate_e164],
        help_text=PHONE_HELP,
        verbose_name=_("emergency contact phone"),
    )
    insurance_member_id = models.CharField(
        max_length=64, blank=True, verbose_name=_("insurance member ID")
    )
    preferred_language = models.CharField(
        max_length=16,
        choices=settings.COMMUNICATION_LANGUAGES,
        default="en",
        verbose_name=_("preferred language"),
    )
    # Where the patient lives: pages and emails show times in it too, beside the clinic's.
    # Blank: the hospital's zone (TIME_ZONE).
    time_zone = models.CharField(
        _("your time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Times are also shown in this zone. Leave empty for the hospital's."),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        ordering: ClassVar = ["legal_name"]
        # The front desk finds a patient by date of birth or phone (then the name among them).
        indexes: ClassVar = [
            models.Index(fields=["date_of_birth"], name="accounts_patient_birth_idx"),
            models.Index(
                fields=["phone"],
                name="accounts_patient_phone_idx",
                condition=~models.Q(phone=""),
            ),
        ]

    def __str__(self) -> str:
        # Translators: the patient's medical record number, e.g. "Patient MRN123456782".
        return gettext("Patient %(number)s") % {"number": self.medical_record_number}
