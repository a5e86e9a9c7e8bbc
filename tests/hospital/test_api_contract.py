"""The OpenAPI schema is the contract (issue 9, points 3, 4, 5, 14): what generated clients
rely on is checked on the schema the server publishes, and every error code of the code base
has one status, which the schema documents."""

from __future__ import annotations

import ast
import builtins
import importlib
import pkgutil
from pathlib import Path
from typing import Any

import pytest

from core.errors import ERROR_STATUSES, DomainError
from tests.schema_validation import SchemaValidator, schema_validator

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("get", "put", "post", "patch", "delete")

# Stable: clients generated from the schema name their functions after these. Changing one
# breaks every client: add, never rename.
OPERATION_IDS = {
    "account_deactivate",
    "account_email_change",
    "account_me",
    "account_password_change",
    "account_profile_get",
    "account_profile_update",
    "account_session_revoke",
    "account_sessions_end_others",
    "account_sessions_list",
    "account_staff_profile",
    "appointment_book",
    "appointment_cancel",
    "appointment_check_in",
    "appointment_check_in_undo",
    "appointment_complete",
    "appointment_get",
    "appointment_ics",
    "appointment_no_show",
    "appointment_reschedule",
    "appointment_start",
    "appointment_types_list",
    "appointments_list",
    "notification_preferences",
    "notification_preferences_update",
    "notification_read",
    "notifications_list",
    "notifications_read_all",
    "notifications_socket_ticket",
    "notifications_unread_count",
    "auth_email_verify",
    "auth_email_verify_resend",
    "auth_login",
    "auth_login_mfa",
    "auth_login_mfa_sms",
    "auth_login_passkey_begin",
    "auth_logout",
    "auth_password_reset",
    "auth_password_reset_confirm",
    "auth_refresh",
    "auth_signup",
    "auth_unlock",
    "calendar_feed_create",
    "calendar_feed_get",
    "calendar_feed_revoke",
    "calendar_feed_update",
    "departments_list",
    "identity_request_create",
    "identity_requests_list",
    "mfa_device_remove",
    "mfa_devices_list",
    "mfa_recovery_codes_replace",
    "mfa_sms_confirm",
    "mfa_sms_setup",
    "mfa_totp_confirm",
    "mfa_totp_setup",
    "practitioners_list",
    "schedule_exceptions_add",
    "schedule_exceptions_list",
    "schedule_exceptions_remove",
    "slots_list",
    "waitlist_join",
    "waitlist_leave",
    "waitlist_list",
    "waitlist_offer_accept",
    "waitlist_offer_decline",
    "working_hours_add",
    "working_hours_list",
    "working_hours_remove",
}

ANONYMOUS = {
    "auth_login",
    "auth_login_mfa",
    "auth_login_mfa_sms",
    "auth_login_passkey_begin",
    "auth_unlock",
    "auth_refresh",
    "auth_signup",
    "auth_email_verify",
    "auth_email_verify_resend",
    "auth_password_reset",
    "auth_password_reset_confirm",
}

# Lists that grow: cursor pages with a `cursor` parameter.
PAGED = {
    "appointments_list": "AppointmentPage",
    "practitioners_list": "PractitionerSummaryPage",
    "slots_list": "SlotPage",
    "waitlist_list": "WaitlistPage",
    "account_sessions_list": "SessionPage",
    "working_hours_list": "WorkingHoursPage",
    "schedule_exceptions_list": "ScheduleExceptionPage",
}

# Response fields that are really optional (everything else an answer has is always there).
OPTIONAL_RESPONSE_FIELDS = {"Problem": {"errors", "challenge"}}

# Names a generated client cannot use for a class (Python, JavaScript/TypeScript, Java, C#).
LANGUAGE_NAMES = set(dir(builtins)) | {
    "Array",
    "Boolean",
    "Date",
    "Error",
    "Exception",
    "Function",
    "Map",
    "Math",
    "Number",
    "Object",
    "Promise",
    "Record",
    "Set",
    "String",
    "Symbol",
    "Type",
    "Integer",
    "Long",
    "Class",
    "Void",
    "List",
    "Dictionary",
}

# Registered codes no documented operation answers, and why.
NOT_ON_DOCUMENTED_OPERATIONS = {
    "ERROR": "the DomainError base; every refusal has its own code",
    "CONFLICT": "the ConflictError base",
    "BAD_REQUEST": "Django's 400 handler (a request Django itself cannot parse)",
    "METHOD_NOT_ALLOWED": "a method an operation does not have",
    "NOT_ACCEPTABLE": "an Accept header the API cannot answer",
    "SERVER_ERROR": "a bug: the 500 handler",
    "THROTTLED": "DRF's throttling: the API limits through core.ratelimit (RATE_LIMITED)",
    "CSRF_FAILED": "pages' form posts",
    "CORS_NOT_ALLOWED": "cross-origin preflights (OPTIONS), not an operation",
    "NOT_FOUND": "an /api/ address with no operation",
    "PATIENT_LOOKUP_NOT_ALLOWED": "the reception's pages",
    "PATIENT_NOT_FOUND": "the reception's pages",
    "PRIVILEGE_CHANGE_REFUSED": "the admin",
    "ACCOUNT_CHANGE_REFUSED": "the admin",
    "IDENTITY_CHANGE_REQUEST_NOT_FOUND": "the reception's pages",
    "IDENTITY_CHANGE_ALREADY_DECIDED": "the reception's pages",
    "IDENTITY_DECISION_REFUSED": "the reception's pages",
}

APPS = ("core", "audit", "accounts", "appointments", "hospital")


@pytest.fixture(scope="module")
def validator() -> SchemaValidator:
    return schema_validator()


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in METHODS
    ]


def test_every_example_validates_against_its_schema(validator):
    examples = list(validator.examples())
    invalid = {
        where: validator.errors(value, schema)
        for where, value, schema in examples
        if validator.errors(value, schema)
    }

    assert len(examples) >= 10
    assert invalid == {}


def test_an_invalid_example_is_caught(validator):
    slots = validator.schema["paths"]["/api/v1/slots"]["get"]["responses"]["200"]
    page_schema = slots["content"]["application/json"]["schema"]
    slot = {
        "start": "2026-03-02T09:00:00Z",
        "end": "2026-03-02T09:30:00Z",
        "local_start": "2026-03-02T09:00:00+00:00",
        "practitioner": {
            "id": "0b7c8a1e-2f4d-4c3b-9a6e-5d1f2e3a4b5c",
            "name": "Dr Gregory House",
            "department": "General Practice",
            "time_zone": "Europe/London",
        },
    }

    assert validator.errors([[slot]], page_schema)  # the old example: an array of arrays
    assert validator.errors({"next": None, "previous": None, "results": [slot]}, page_schema)


def test_operation_ids_are_explicit_stable_and_every_operation_is_described(validator):
    operations = _operations(validator.schema)
    ids = [operation["operationId"] for _, _, operation in operations]

    assert set(ids) == OPERATION_IDS
    assert len(ids) == len(set(ids))
    assert all("." not in operation_id for operation_id in ids)
    assert [
        operation["operationId"]
        for _, _, operation in operations
        if not operation.get("description")
    ] == []


def test_anonymous_operations_need_no_credentials_and_the_others_document_401(validator):
    operations = _operations(validator.schema)

    anonymous = {o["operationId"] for _, _, o in operations if o.get("security") == []}
    secured_without_401 = [
        o["operationId"]
        for _, _, o in operations
        if o.get("security") and "401" not in o["responses"]
    ]
    with_empty_requirement = [
        o["operationId"] for _, _, o in operations if {} in (o.get("security") or [])
    ]

    assert anonymous == ANONYMOUS
    assert secured_without_401 == []
    assert with_empty_requirement == []


def test_staff_without_a_verified_second_factor_are_documented_as_refused(validator):
    paths = validator.schema["paths"]

    appointments = paths["/api/v1/appointments"]["get"]["responses"]["403"]["x-problem-codes"]
    enrolment = paths["/api/v1/account/mfa/totp"]["post"]["responses"]["403"]["x-problem-codes"]

    assert {"PERMISSION_DENIED", "MFA_ENROLMENT_REQUIRED"} <= set(appointments)
    assert "MFA_ENROLMENT_REQUIRED" not in enrolment  # enrolment stays open


def test_every_error_response_is_a_typed_problem_listing_its_codes(validator):
    untyped, without_codes, wrong_status = [], [], []
    for path, method, operation in _operations(validator.schema):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            where = f"{method.upper()} {path} {status}"
            content = response.get("content", {})
            if list(content) != ["application/problem+json"] or content["application/problem+json"][
                "schema"
            ] != {"$ref": "#/components/schemas/Problem"}:
                untyped.append(where)
            codes = response.get("x-problem-codes", [])
            if not codes or not all(f"`{code}`" in response["description"] for code in codes):
                without_codes.append(where)
            wrong_status += [
                f"{where} {code}" for code in codes if ERROR_STATUSES.get(code) != int(status)
            ]

    assert untyped == []
    assert without_codes == []
    assert wrong_status == []


def test_the_problem_component_has_the_contract_fields(validator):
    problem = validator.schema["components"]["schemas"]["Problem"]

    assert set(problem["properties"]) == {
        "type",
        "code",
        "title",
        "status",
        "detail",
        "request_id",
        "errors",
        "challenge",
    }
    assert problem["properties"]["errors"]["additionalProperties"]["type"] == "array"


def test_fields_always_present_in_answers_are_required(validator):
    components = validator.schema["components"]["schemas"]
    optional = {
        name: sorted(
            set(component["properties"])
            - set(component.get("required", []))
            - OPTIONAL_RESPONSE_FIELDS.get(name, set())
        )
        for name, component in components.items()
        if not name.endswith("Request") and "properties" in component
    }

    assert {name: fields for name, fields in optional.items() if fields} == {}


def test_no_component_is_named_like_a_language_builtin(validator):
    names = set(validator.schema["components"]["schemas"])

    assert names & LANGUAGE_NAMES == set()
    assert "ScheduleExceptionOutput" in names


def test_the_login_reply_is_a_union_told_apart_by_status(validator):
    login = validator.schema["paths"]["/api/v1/auth/login"]["post"]["responses"]["200"]
    schema = login["content"]["application/json"]["schema"]
    union = validator.schema["components"]["schemas"][schema["$ref"].split("/")[-1]]

    assert union["discriminator"]["propertyName"] == "status"
    assert set(union["discriminator"]["mapping"]) == {"authenticated", "mfa_required"}
    assert len(union["oneOf"]) == 2
    assert validator.errors({"status": "authenticated"}, schema)  # tokens are required


def test_growing_lists_are_documented_as_cursor_pages(validator):
    by_id = {o["operationId"]: o for _, _, o in _operations(validator.schema)}
    components = validator.schema["components"]["schemas"]

    for operation_id, page in PAGED.items():
        operation = by_id[operation_id]
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{page}"}, operation_id
        assert set(components[page]["required"]) == {"next", "previous", "results"}
        assert "cursor" in {p["name"] for p in operation["parameters"]}, operation_id


def test_related_objects_are_id_and_name_references(validator):
    components = validator.schema["components"]["schemas"]

    def referenced(component: str, field: str) -> str:
        schema = components[component]["properties"][field]
        schema = schema["allOf"][0] if "allOf" in schema else schema  # readOnly wraps it
        return str(schema["$ref"]).split("/")[-1]

    assert referenced("AppointmentOutput", "appointment_type") == "Reference"
    assert referenced("AppointmentOutput", "patient") == "Reference"
    assert referenced("AppointmentOutput", "practitioner") == "PractitionerSummary"
    assert referenced("PractitionerSummary", "department") == "Reference"
    assert referenced("AppointmentTypeOutput", "department") == "Reference"
    assert referenced("WaitlistOutput", "appointment_type") == "Reference"
    assert referenced("WaitlistOutput", "practitioner") == "PractitionerSummary"
    assert referenced("StaffProfileOutput", "department") == "Reference"
    assert set(components["Reference"]["required"]) == {"id", "name"}
    assert set(components["PractitionerSummary"]["required"]) >= {"id", "name"}


# --- One code, one status (point 14) ----------------------------------------------------------


def _import_everything() -> None:
    for app in APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in module.name or module.name.endswith((".asgi", ".wsgi")):
                continue
            importlib.import_module(module.name)


def _subclasses(cls: type[DomainError]) -> list[type[DomainError]]:
    found: list[type[DomainError]] = []
    for subclass in cls.__subclasses__():
        found += [subclass, *_subclasses(subclass)]
    return found


def _literal_codes() -> list[tuple[str, str, int]]:
    """(where, code, status) of every problem_response/problem_body call with literal or
    module-constant code and status."""
    found: list[tuple[str, str, int]] = []
    for app in APPS:
        for source in (ROOT / app).rglob("*.py"):
            if "migrations" in source.parts:
                continue
            tree = ast.parse(source.read_text())
            constants = {
                target.id: node.value.value
                for node in tree.body
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                for target in node.targets
                if isinstance(target, ast.Name)
            }
            for node in ast.walk(tree):
                if not (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", getattr(node.func, "attr", ""))
                    in {"problem_response", "problem_body"}
                ):
                    continue
                keywords = {keyword.arg: keyword.value for keyword in node.keywords}
                code, status = keywords.get("code"), keywords.get("status")
                code_value = (
                    code.value
                    if isinstance(code, ast.Constant)
                    else constants.get(code.id)
                    if isinstance(code, ast.Name)
                    else None
                )
                if (
                    isinstance(code_value, str)
                    and isinstance(status, ast.Constant)
                    and isinstance(status.value, int)
                ):
                    found.append(
                        (f"{source.relative_to(ROOT)}:{node.lineno}", code_value, status.value)
                    )
    return found


def test_every_error_code_has_exactly_one_status():
    _import_everything()
    statuses: dict[str, set[int]] = {}
    errors: list[type[DomainError]] = [DomainError, *_subclasses(DomainError)]
    for error in errors:
        statuses.setdefault(error.code, set()).add(int(error.status))
    literal = _literal_codes()
    for _where, code, status in literal:
        statuses.setdefault(code, set()).add(int(status))

    assert {code: found for code, found in statuses.items() if len(found) > 1} == {}
    assert {
        code: (found, ERROR_STATUSES.get(code))
        for code, found in statuses.items()
        if {ERROR_STATUSES.get(code)} != found
    } == {}
    assert len(literal) >= 8  # the scan sees the middlewares' and handlers' answers
    assert ERROR_STATUSES["PATIENT_OVERLAP"] == 409
    assert ERROR_STATUSES["MFA_NOT_ENABLED"] == 409


def test_a_second_status_for_a_known_code_is_refused_at_import():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        type(
            "PatientOverlapAsBadRequest", (DomainError,), {"code": "PATIENT_OVERLAP", "status": 400}
        )


def test_the_schema_documents_every_code_the_api_answers_with(validator):
    _import_everything()
    documented = {
        code
        for _, _, operation in _operations(validator.schema)
        for response in operation["responses"].values()
        for code in response.get("x-problem-codes", [])
    }

    assert set(ERROR_STATUSES) - documented - set(NOT_ON_DOCUMENTED_OPERATIONS) == set()
    assert documented - set(ERROR_STATUSES) == set()
