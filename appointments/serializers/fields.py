"""Fields the appointments API shares."""

from __future__ import annotations

import datetime
import uuid
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_stubs_ext import StrOrPromise
from rest_framework import serializers

_M = TypeVar("_M", bound=Model)


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an explicit offset: a booking time without a time zone is ambiguous."""

    def to_internal_value(self, value: Any) -> datetime.datetime:
        if (
            isinstance(value, str)
            and value
            and not (value.endswith("Z") or "+" in value[10:] or "-" in value[10:])
        ):
            raise serializers.ValidationError(
                _("Include the time zone, e.g. 2026-03-02T09:00:00+00:00 or ...Z.")
            )
        parsed = super().to_internal_value(value)
        if timezone.is_naive(parsed):
            raise serializers.ValidationError(_("Include the time zone."))
        return parsed


class PublicIdField(serializers.SlugRelatedField[_M]):
    """A row named by its random public id (documented as a UUID), among those the queryset
    offers; ``not_found`` says what is missing, e.g. "No such practitioner."."""

    def __init__(self, *, queryset: QuerySet[_M], not_found: StrOrPromise, **kwargs: Any) -> None:
        super().__init__(
            slug_field="public_id",
            queryset=queryset,
            error_messages={"does_not_exist": not_found},
            **kwargs,
        )

    def to_internal_value(self, data: Any) -> _M:
        public_id: uuid.UUID = serializers.UUIDField().to_internal_value(data)
        found: _M = super().to_internal_value(str(public_id))
        return found
