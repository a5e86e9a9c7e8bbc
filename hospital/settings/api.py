"""Django REST Framework and the OpenAPI schema."""

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "accounts.authentication.BrowserSessionAuthentication",
    ],
    # Deny by default: an endpoint opens only by declaring its own permission.
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.permissions.StaffMfaVerified",
    ],
    # DRF's JSONRenderer with orjson doing the encoding (the same bytes, core/renderers.py).
    "DEFAULT_RENDERER_CLASSES": ["core.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Hospital platform API",
    "DESCRIPTION": (
        "Versioned REST API of the hospital platform (mobile apps and integrations). "
        "Errors follow RFC 9457 problem details: `type`, `code`, `title`, `status`, "
        "`detail`, field `errors` and the `request_id` to quote to support."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    # Read-only fields (every output field) are always present: required in the schema.
    "COMPONENT_NO_READ_ONLY_REQUIRED": False,
    # Choice sets named once, for generated clients (and no name clashes between apps).
    "ENUM_NAME_OVERRIDES": {
        "ScheduleExceptionKindEnum": "appointments.models.AvailabilityException.Kind",
        "SessionKindEnum": "accounts.models.AuthSession.Kind",
        "SecondFactorMethodEnum": ["totp", "sms", "recovery", "passkey"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.contract_hook",
    ],
    # Swagger UI assets are served from our static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# What core.schema.contract_hook adds to every operation, from the apps above core.
API_SCHEMA_CONTRACT = {
    # 401 on every secured operation: no or a bad token (DRF), a session that ended
    # (accounts.middleware.SessionLifetimeMiddleware).
    "SECURED_CODES": ["NOT_AUTHENTICATED", "AUTHENTICATION_FAILED", "SESSION_EXPIRED"],
    # 403 where staff must have passed a second factor (the default permission)...
    "STAFF_PERMISSION": "accounts.permissions.StaffMfaVerified",
    "STAFF_PERMISSION_CODES": ["PERMISSION_DENIED"],
    # ... and, signed in with the browser session, everywhere but enrolment
    # (accounts.middleware.StaffMfaEnrolmentMiddleware).
    "STAFF_PATH_CODES": ["MFA_ENROLMENT_REQUIRED"],
    "STAFF_PATH_EXEMPT_PREFIXES": ["/api/v1/account/mfa"],
}
