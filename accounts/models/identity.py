"""Requests to change a patient's identity (legal name, date of birth, sex): the patient
asks, the reception or an administrator decides. Holds identifying data: never log values."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class IdentityChangeRequest(models.Model):
    class Field(models.TextChoices):
        LEGAL_NAME = "legal_name", _("Legal name")
        DATE_OF_BIRTH = "date_of_birth", _("Date of birth")
        SEX = "sex", _("Sex")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Replaced by a newer request")

    public_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, verbose_name=_("public ID")
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="identity_change_requests",
        verbose_name=_("patient"),
    )
    field = models.CharField(max_length=16, choices=Field.choices, verbose_name=_("field"))
    # As text: a date in ISO 8601, a sex as its stored choice value.
    old_value = models.CharField(max_length=150, blank=True, verbose_name=_("old value"))
    new_value = models.CharField(max_length=150, verbose_name=_("new value"))
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, verbose_name=_("status")
    )
    requested_at = models.DateTimeField(auto_now_add=True, verbose_name=_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    decision_note = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("Shown to the patient, e.g. what proof to bring."),
        verbose_name=_("decision note"),
    )

    class Meta:
        ordering: ClassVar = ["requested_at", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["patient", "field"],
                condition=models.Q(status="pending"),
                name="accounts_identity_one_pending_per_field",
                violation_error_message=_(
                    "A change of this field is already waiting for a decision."
                ),
            )
        ]

    def __str__(self) -> str:
        # Translators: e.g. "Date of birth change (Pending)".
        return gettext("%(field)s change (%(status)s)") % {
            "field": self.get_field_display(),
            "status": self.get_status_display(),
        }

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING
