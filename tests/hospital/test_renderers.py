"""core.renderers.JSONRenderer writes the bytes DRF's JSONRenderer writes (orjson encodes)."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import uuid
import zoneinfo
from collections import OrderedDict

import pytest
from django.db import models
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DrfJSONRenderer
from rest_framework.serializers import Serializer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from core.renderers import JSONRenderer


class Colour(models.TextChoices):
    RED = "red", "Red"


class Size(models.IntegerChoices):
    SMALL = 1, "Small"


@dataclasses.dataclass
class Point:
    x: int


_SERIALIZER: Serializer[object] = Serializer()
_BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")

SAME_BYTES = {
    "scalars": {"a": 1, "b": -2.5, "c": True, "d": None, "e": "text", "f": 10**18},
    "nested": {"results": [{"id": str(uuid.UUID(int=1)), "tags": ["x", "y"]}], "next": None},
    "unicode and separators": {"name": 'Zoë Ångström 中文 \u2028 \u2029 "quoted" \\ \n\t/'},
    "control characters": {"text": "\x00\x01\x1f\x7f"},
    "uuid": {"id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    "aware datetime in UTC": {"at": datetime.datetime(2026, 3, 29, 1, 0, tzinfo=datetime.UTC)},
    "aware datetime with microseconds": {
        "at": datetime.datetime(2026, 10, 25, 2, 30, 0, 123456, tzinfo=_BERLIN)
    },
    "naive datetime": {"at": datetime.datetime(2026, 1, 2, 3, 4, 5)},  # noqa: DTZ001
    "date and time": {"day": datetime.date(2026, 2, 28), "time": datetime.time(9, 30, 15)},
    "timedelta": {"length": datetime.timedelta(minutes=90)},
    "decimal": {"amount": decimal.Decimal("12.50")},
    "lazy and safe strings": {"label": gettext_lazy("Booked"), "html": mark_safe("<b>x</b>")},
    "choices": {"colour": Colour.RED, "size": Size.SMALL},
    "return dict and list": ReturnDict(
        OrderedDict([("b", 1), ("a", ReturnList([1, 2], serializer=_SERIALIZER))]),
        serializer=_SERIALIZER,
    ),
    "tuple and set": {"pair": (1, 2), "one": {3}},
    "bytes": {"raw": b"abc"},
    "integer keys": {1: "one", "two": 2},
    "empty": {},
    "a list at the top": [1, "two", None],
    "a string at the top": "plain",
}


@pytest.mark.parametrize("data", SAME_BYTES.values(), ids=SAME_BYTES.keys())
def test_the_same_bytes_as_drfs_renderer(data):
    ours = JSONRenderer().render(data, "application/json", {})

    assert ours == DrfJSONRenderer().render(data, "application/json", {})


def test_what_orjson_refuses_is_drfs_answer():
    huge = {"n": 2**70}

    assert (
        JSONRenderer().render(huge)
        == DrfJSONRenderer().render(huge)
        == b'{"n":1180591620717411303424}'
    )


def test_what_neither_can_encode_is_an_error_as_before():
    with pytest.raises(TypeError):
        DrfJSONRenderer().render({"x": object()})
    with pytest.raises(TypeError):
        JSONRenderer().render({"x": object()})
    # orjson would write a dataclass; DRF's encoder does not, and neither do we.
    with pytest.raises(TypeError):
        JSONRenderer().render({"point": Point(1)})


def test_an_indent_asked_for_is_drfs():
    data = {"a": [1, 2]}

    ours = JSONRenderer().render(data, "application/json; indent=2", {})

    assert ours == DrfJSONRenderer().render(data, "application/json; indent=2", {})
    assert ours.startswith(b"{\n  ")


def test_nothing_renders_as_no_body():
    assert JSONRenderer().render(None) == b""


def test_the_api_answers_through_it(client):
    from django.conf import settings

    assert settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] == ["core.renderers.JSONRenderer"]
    response = client.get("/api/v1/account/me")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 401


def test_where_the_two_differ():
    import json

    small = {"v": 1e-05, "w": -1.5e-07, "x": 1e22}
    ours = JSONRenderer().render(small)

    # The same numbers, written out by orjson where Python writes an exponent.
    assert json.loads(ours) == small
    assert ours != DrfJSONRenderer().render(small)
    # NaN and infinities: null here; DRF's strict renderer refuses them.
    assert JSONRenderer().render({"v": float("nan"), "w": float("inf")}) == b'{"v":null,"w":null}'
    with pytest.raises(ValueError):
        DrfJSONRenderer().render({"v": float("nan")})
    # Keys DRF cannot write are written as strings.
    key = uuid.UUID(int=5)
    assert JSONRenderer().render({key: 1}) == b'{"%s":1}' % str(key).encode()
    with pytest.raises(TypeError):
        DrfJSONRenderer().render({key: 1})
