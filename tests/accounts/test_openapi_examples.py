"""The OpenAPI document is public: none of its examples may be a working sign-in."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _examples(node: Any) -> Iterator[dict[str, Any]]:
    """Every example value anywhere in the schema that carries an email and a password."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "examples" and isinstance(value, dict):
                for example in value.values():
                    body = example.get("value") if isinstance(example, dict) else None
                    if isinstance(body, dict) and "email" in body and "password" in body:
                        yield body
            yield from _examples(value)
    elif isinstance(node, list):
        for item in node:
            yield from _examples(item)


@pytest.mark.asvs("13.3.1", "6.3.1")
def test_no_example_in_the_schema_signs_in_against_the_demo_data(client, settings):
    settings.RATE_LIMITS_ENABLED = False
    call_command("seed_demo", stdout=StringIO())
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    credentials = list(_examples(schema))
    api = APIClient()

    answers = [
        api.post(
            "/api/v1/auth/login",
            {"email": body["email"], "password": body["password"]},
            format="json",
        )
        for body in credentials
    ]

    assert credentials, "the login example is gone from the schema"
    assert [a.json().get("code") for a in answers] == ["INVALID_CREDENTIALS"] * len(answers)
