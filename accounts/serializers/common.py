"""Shapes several parts of the accounts API answer with."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class DetailOutput(serializers.Serializer[dict[str, Any]]):
    detail = serializers.CharField()
