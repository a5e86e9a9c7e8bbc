"""OpenAPI examples of the appointments API (documentation only)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

# A page of one slot.
SLOTS = [
    OpenApiExample(
        "A page of slots",
        value={
            "next": "https://hospital.example/api/v1/slots?appointment_type=3f1c9d2e-7b6a-4c5d-"
            "8e9f-0a1b2c3d4e5f&date_from=2026-03-02&date_to=2026-03-02&cursor=WyIyMDI2LTAzLTAy"
            "VDA5OjAwOjAwKzAwOjAwIiwgIjBiN2M4YTFlIl0=",
            "previous": None,
            "results": [
                {
                    "start": "2026-03-02T09:00:00Z",
                    "end": "2026-03-02T09:30:00Z",
                    "local_start": "2026-03-02T09:00:00+00:00",
                    "practitioner": {
                        "id": "0b7c8a1e-2f4d-4c3b-9a6e-5d1f2e3a4b5c",
                        "name": "Dr Gregory House",
                        "department": {
                            "id": "6a1d2c3b-4e5f-4a7b-8c9d-0e1f2a3b4c5d",
                            "name": "General Practice",
                        },
                        "time_zone": "Europe/London",
                    },
                }
            ],
        },
        response_only=True,
    )
]

_REQUEST_ID = "4f1c0d7e9a2b4c6d8e0f1a2b3c4d5e6f"

APPOINTMENT = {
    "id": "9d2f6c1a-3b4e-4f5a-8b6c-7d8e9f0a1b2c",
    "patient": {"id": "5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c", "name": "Mary Seacole"},
    "practitioner": {
        "id": "0b7c8a1e-2f4d-4c3b-9a6e-5d1f2e3a4b5c",
        "name": "Dr Gregory House",
        "department": {"id": "6a1d2c3b-4e5f-4a7b-8c9d-0e1f2a3b4c5d", "name": "General Practice"},
        "time_zone": "Europe/London",
    },
    "appointment_type": {"id": "3f1c9d2e-7b6a-4c5d-8e9f-0a1b2c3d4e5f", "name": "Consultation"},
    "start": "2026-03-02T09:00:00Z",
    "end": "2026-03-02T09:30:00Z",
    "status": "booked",
    "status_display": "Booked",
    "reason": "Follow-up",
    "cancellation_reason": "",
    "visit_note": "",
    "channel": "api",
    "hold_expires_at": None,
    "created_at": "2026-02-23T08:00:00Z",
    "updated_at": "2026-02-23T08:00:00Z",
}

APPOINTMENTS = [
    OpenApiExample(
        "A clinician's day",
        summary="GET /appointments?practitioner=me&date_from=2026-03-02&date_to=2026-03-02",
        value={"next": None, "previous": None, "results": [APPOINTMENT]},
        response_only=True,
        status_codes=["200"],
    ),
    OpenApiExample(
        "Unknown parameter",
        value={
            "type": "urn:hospital:error:validation_error",
            "code": "VALIDATION_ERROR",
            "title": "Bad Request",
            "status": 400,
            "detail": "The request has invalid fields; see errors.",
            "request_id": _REQUEST_ID,
            "errors": {"practitioners": ["Unknown query parameter."]},
        },
        response_only=True,
        status_codes=["400"],
    ),
]

BOOKING = [
    OpenApiExample(
        "Request",
        value={
            "appointment_type": "3f1c9d2e-7b6a-4c5d-8e9f-0a1b2c3d4e5f",
            "practitioner": "0b7c8a1e-2f4d-4c3b-9a6e-5d1f2e3a4b5c",
            "start": "2026-03-02T09:00:00Z",
            "reason": "Follow-up",
        },
        request_only=True,
    ),
    OpenApiExample("Booked", value=APPOINTMENT, response_only=True, status_codes=["201"]),
    OpenApiExample(
        "Lost the race",
        value={
            "type": "urn:hospital:error:slot_taken",
            "code": "SLOT_TAKEN",
            "title": "Conflict",
            "status": 409,
            "detail": "Sorry, that time was just booked by someone else. Please choose another time.",
            "request_id": _REQUEST_ID,
        },
        response_only=True,
        status_codes=["409"],
    ),
]
