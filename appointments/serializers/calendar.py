"""Private calendar feeds."""

from __future__ import annotations

from rest_framework import serializers


class FeedOutput(serializers.Serializer[dict[str, str]]):
    url = serializers.URLField()
