"""Statistics of the OpenAPI schema (/api/schema/), to show what the contract documents.

    .venv/bin/python bench/schema_stats.py          # a table
    .venv/bin/python bench/schema_stats.py --json   # the figures as JSON
    .venv/bin/python bench/schema_stats.py --file schema.json   # of a saved schema

Generated in-process with drf-spectacular (no server, no database needed).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")


def generate_schema() -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hospital.settings")
    import django

    django.setup()
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    # Round-trip through JSON: lazy strings and enums become plain values.
    from drf_spectacular.renderers import OpenApiJsonRenderer

    rendered: dict[str, Any] = json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))
    return rendered


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].split("/")[-1]
        section = node["$ref"].split("/")[-2]
        node = schema["components"][section][name]
    return node


def _count_examples(node: Any) -> int:
    """Examples of request and response bodies (media types), not of headers."""
    if isinstance(node, dict):
        found = 0
        for media in (
            (node.get("content") or {}).values() if isinstance(node.get("content"), dict) else []
        ):
            found += len(media.get("examples") or {}) + (1 if "example" in media else 0)
        return found + sum(
            _count_examples(value) for key, value in node.items() if key != "content"
        )
    if isinstance(node, list):
        return sum(_count_examples(item) for item in node)
    return 0


def schema_stats(schema: dict[str, Any]) -> dict[str, int]:
    """The figures: operations, secured ones and their 401s, error responses and their bodies,
    examples, required response fields, explicit operation ids."""
    global_security = schema.get("security")
    operations = secured = with_401 = errors = typed_errors = with_codes = 0
    with_description = clean_ids = anonymous_empty_requirement = 0
    for methods in schema.get("paths", {}).values():
        for method, operation in methods.items():
            if method not in METHODS:
                continue
            operations += 1
            security = operation.get("security", global_security) or []
            if security and {} not in security:
                secured += 1
            if {} in security:
                anonymous_empty_requirement += 1
            if operation.get("description"):
                with_description += 1
            if "." not in operation.get("operationId", "."):
                clean_ids += 1
            responses = operation.get("responses", {})
            if "401" in responses:
                with_401 += 1
            for status, response in responses.items():
                if not str(status).startswith(("4", "5")):
                    continue
                errors += 1
                content = _resolve(schema, response).get("content", {})
                if any(media.get("schema") for media in content.values()):
                    typed_errors += 1
                if _resolve(schema, response).get("x-problem-codes"):
                    with_codes += 1
    components = schema.get("components", {}).get("schemas", {})
    fields = required = 0
    for component in components.values():
        properties = component.get("properties", {})
        fields += len(properties)
        required += len(set(component.get("required", [])) & set(properties))
    return {
        "operations": operations,
        "operations_secured": secured,
        "operations_with_security_[{}]": anonymous_empty_requirement,
        "operations_with_401": with_401,
        "operations_with_description": with_description,
        "operation_ids_without_dots": clean_ids,
        "error_responses": errors,
        "error_responses_with_body_schema": typed_errors,
        "error_responses_listing_their_codes": with_codes,
        "examples": _count_examples(schema.get("paths", {})),
        "component_schemas": len(components),
        "component_fields": fields,
        "component_fields_required": required,
    }


def main() -> None:
    if "--file" in sys.argv:
        source = Path(sys.argv[sys.argv.index("--file") + 1])
        schema: dict[str, Any] = json.loads(source.read_text())
    else:
        schema = generate_schema()
    stats = schema_stats(schema)
    if "--json" in sys.argv:
        print(json.dumps(stats, indent=2))
        return
    width = max(len(name) for name in stats)
    for name, value in stats.items():
        print(f"{name.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
