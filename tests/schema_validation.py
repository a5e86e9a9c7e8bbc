"""The OpenAPI schema as a test oracle: every response the test client receives from a
documented operation must be what the schema promises.

- the status is documented for the operation;
- the body's media type is the documented one, and the body validates against its schema
  (OpenAPI 3.0 schemas turned into JSON Schema: ``nullable`` becomes a ``null`` type);
- an error body is a Problem whose ``code`` is listed for that operation and status
  (``x-problem-codes``) and is registered with that one status (core.errors.ERROR_STATUSES).

The autouse fixture ``api_responses_match_schema`` (tests/conftest.py) applies this to every
test; ``@pytest.mark.off_contract("why")`` exempts one. ``schema_validator()`` gives the
validator itself.
"""

from __future__ import annotations

import copy
import datetime
import functools
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs in the lock; tests only
from django.http import HttpResponseBase

from core.errors import ERROR_STATUSES

_METHODS = ("get", "put", "post", "patch", "delete")


def _nullable_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 ``nullable: true`` -> JSON Schema's null type, recursively."""
    if isinstance(node, list):
        return [_nullable_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _nullable_to_json_schema(value) for key, value in node.items()}
    if converted.pop("nullable", False):
        if "type" in converted and "enum" not in converted:
            converted["type"] = [converted["type"], "null"]
        else:
            return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return parsed.tzinfo is not None


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# Django's ``<uuid:...>`` path converter.
_UUID_SEGMENT = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _segment(match: re.Match[str], *, uuids: set[str]) -> str:
    return _UUID_SEGMENT if match.group(1) in uuids else r"[^/]+"


FORMATS = jsonschema.FormatChecker()
FORMATS.checks("date-time")(_is_datetime)
FORMATS.checks("date")(_is_date)
FORMATS.checks("uuid")(_is_uuid)


class SchemaValidator:
    """Validates responses and example values against one OpenAPI document."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.components = _nullable_to_json_schema(schema.get("components", {}))
        self._routes: list[tuple[re.Pattern[str], str]] = []
        # Literal paths before templated ones: /sessions/end-others is not /sessions/{id}.
        # A path parameter documented as a UUID matches only a UUID: ``/working-hours/12``
        # is not that operation (the server's URL pattern does not match it either).
        for path in sorted(schema.get("paths", {}), key=lambda p: (p.count("{"), p)):
            pattern = re.sub(
                r"\\\{([^/]+?)\\\}",
                functools.partial(_segment, uuids=self._uuid_parameters(path)),
                re.escape(path),
            )
            self._routes.append((re.compile(f"^{pattern}$"), path))

    def _uuid_parameters(self, path: str) -> set[str]:
        names: set[str] = set()
        for operation in self.schema["paths"][path].values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if (
                    parameter.get("in") == "path"
                    and parameter.get("schema", {}).get("format") == "uuid"
                ):
                    names.add(parameter["name"])
        return names

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        for pattern, template in self._routes:
            if pattern.match(path):
                operation = self.schema["paths"][template].get(method.lower())
                return (template, operation) if operation else None
        return None

    def errors(self, instance: Any, schema: dict[str, Any]) -> list[str]:
        """Why ``instance`` does not validate against ``schema`` (a schema of this document)."""
        wrapped = {"components": self.components, "allOf": [_nullable_to_json_schema(schema)]}
        validator = jsonschema.Draft202012Validator(wrapped, format_checker=FORMATS)
        return [
            f"{'/'.join(str(part) for part in error.absolute_path) or '<body>'}: {error.message}"
            for error in validator.iter_errors(instance)
        ]

    def response_errors(self, method: str, path: str, response: HttpResponseBase) -> list[str]:
        """Why ``response`` is not what the schema documents for ``method path`` (empty: it
        is). Undocumented paths are not checked (they answer the API's 404)."""
        found = self.operation(method, path)
        if found is None:
            return []
        template, operation = found
        where = f"{method.upper()} {template} -> {response.status_code}"
        status = str(response.status_code)
        documented = operation["responses"].get(status)
        if documented is None:
            return [f"{where}: status not documented ({sorted(operation['responses'])})"]
        content = documented.get("content", {})
        body = getattr(response, "content", b"")
        if not content:
            return [f"{where}: a body, none documented"] if body else []
        media_type = response.get("Content-Type", "").split(";")[0].strip()
        if media_type not in content:
            return [f"{where}: {media_type!r} is not one of {sorted(content)}"]
        media = content[media_type]
        if not media_type.endswith("json"):
            return []
        data = json.loads(body)
        problems = [f"{where}: {error}" for error in self.errors(data, media.get("schema", {}))]
        if response.status_code >= 400 and isinstance(data, dict):
            code = data.get("code")
            if code not in documented.get("x-problem-codes", []):
                problems.append(
                    f"{where}: code {code} is not documented "
                    f"({documented.get('x-problem-codes', [])})"
                )
            if ERROR_STATUSES.get(str(code)) != response.status_code:
                problems.append(
                    f"{where}: code {code} is registered with {ERROR_STATUSES.get(str(code))}"
                )
        return problems

    def examples(self) -> Iterator[tuple[str, Any, dict[str, Any]]]:
        """Every example of the document: (where, value, the schema it illustrates)."""
        for path, operations in self.schema.get("paths", {}).items():
            for method, operation in operations.items():
                if method not in _METHODS:
                    continue
                bodies = [("request", operation.get("requestBody", {}))] + [
                    (f"response {status}", response)
                    for status, response in operation.get("responses", {}).items()
                ]
                for kind, body in bodies:
                    for media_type, media in body.get("content", {}).items():
                        for name, example in media.get("examples", {}).items():
                            where = f"{method.upper()} {path} {kind} {media_type} {name!r}"
                            yield where, example.get("value"), media.get("schema", {})


@functools.cache
def _generated_schema() -> str:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return OpenApiJsonRenderer().render(schema, renderer_context={}).decode()


def schema_validator() -> SchemaValidator:
    """The validator of the schema the server publishes at /api/schema/ (generated once)."""
    return SchemaValidator(copy.deepcopy(json.loads(_generated_schema())))
