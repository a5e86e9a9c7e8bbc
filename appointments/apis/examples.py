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
    OpenApiExample(
        "Lost the race",
        value={
            "type": "urn:hospital:error:slot_taken",
            "code": "SLOT_TAKEN",
            "title": "Conflict",
            "status": 409,
            "detail": "Sorry, that time was just booked by someone else. Please choose another time.",
            "request_id": "4f1c0d7e9a2b4c6d8e0f1a2b3c4d5e6f",
        },
        response_only=True,
        status_codes=["409"],
    ),
]
