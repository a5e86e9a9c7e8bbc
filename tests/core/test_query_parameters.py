"""core.api.query_parameters: an empty query string is validated once per parameter class."""

from __future__ import annotations

import itertools

import pytest
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core.api import NoParameters, QueryParameters, query_parameters


class _Filters(QueryParameters):
    when = serializers.ChoiceField(choices=["upcoming", "past"], required=False)
    limit = serializers.IntegerField(required=False, default=10)


_counter = itertools.count()


class _MovingDefault(QueryParameters):
    # A default computed per request (like "today"): never remembered.
    number = serializers.IntegerField(required=False, default=lambda: next(_counter))


def _request(query: str = "") -> Request:
    return Request(APIRequestFactory().get(f"/api/v1/things{query}"))


def test_without_parameters_the_defaults_each_time_as_a_new_dict():
    first = query_parameters(_request(), _Filters)
    first["limit"] = 99
    second = query_parameters(_request(), _Filters)
    with_a_cursor = query_parameters(_request("?cursor=abc"), _Filters)

    assert first is not second
    assert second == with_a_cursor == {"limit": 10}


def test_parameters_given_are_validated_after_the_empty_query_was_remembered():
    query_parameters(_request(), _Filters)

    assert query_parameters(_request("?when=past&limit=3"), _Filters) == {
        "when": "past",
        "limit": 3,
    }
    with pytest.raises(ValidationError) as unknown:
        query_parameters(_request("?whn=past"), _Filters)
    assert "whn" in unknown.value.detail
    with pytest.raises(ValidationError) as invalid:
        query_parameters(_request("?when=soon"), _Filters)
    assert "when" in invalid.value.detail
    with pytest.raises(ValidationError) as blank:
        query_parameters(_request("?limit="), _Filters)
    assert "limit" in blank.value.detail


def test_a_cursor_is_refused_where_the_operation_takes_no_parameters():
    assert query_parameters(_request(), NoParameters) == {}
    with pytest.raises(ValidationError) as refused:
        query_parameters(_request("?cursor=abc"), NoParameters)
    assert "cursor" in refused.value.detail


def test_a_default_computed_per_request_is_computed_each_time():
    first = query_parameters(_request(), _MovingDefault)["number"]
    second = query_parameters(_request(), _MovingDefault)["number"]

    assert second == first + 1
