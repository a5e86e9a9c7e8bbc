"""The staff directory: departments and staff profiles (appointments build on them)."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    public_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, verbose_name=_("public ID")
    )
    code = models.SlugField(
        max_length=32,
        unique=True,
        help_text=_("Short stable code, e.g. cardiology."),
        verbose_name=_("code"),
    )
    name = models.CharField(max_length=120, unique=True, verbose_name=_("name"))
    description = models.TextField(blank=True, max_length=2000, verbose_name=_("description"))
    location = models.CharField(
        max_length=200,
        blank=True,
        db_default="",
        help_text=_('Where patients go, e.g. "Main building, 2nd floor, east wing".'),
        verbose_name=_("location"),
    )
    directions = models.TextField(
        blank=True,
        db_default="",
        max_length=1000,
        help_text=_("How to get there from the main entrance (patients see it before a visit)."),
        verbose_name=_("directions"),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))

    class Meta:
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="staff_profile",
        verbose_name=_("user"),
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name=_("department"),
    )
    title = models.CharField(
        max_length=60,
        blank=True,
        help_text=_('e.g. "Dr", "Consultant", "Charge Nurse".'),
        verbose_name=_("title"),
    )
    specialty = models.CharField(max_length=120, blank=True, verbose_name=_("specialty"))
    licence_number = models.CharField(max_length=64, blank=True, verbose_name=_("licence number"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        ordering: ClassVar = ["user__full_name"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["licence_number"],
                condition=~models.Q(licence_number=""),
                name="accounts_staff_licence_unique",
                violation_error_message=_("Another staff member already has this licence number."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.user.get_full_name()}".strip()
