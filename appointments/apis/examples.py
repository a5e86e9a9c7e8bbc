"""OpenAPI examples of the appointments API (documentation only)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

SLOTS = [
    OpenApiExample(
        "Slot",
        value=[
            {
                "start": "2026-03-02T09:00:00Z",
                "end": "2026-03-02T09:30:00Z",
                "local_start": "2026-03-02T09:00:00+00:00",
                "practitioner": {
                    "id": "0b7c…",
                    "name": "Dr Gregory House",
                    "department": "General Practice",
                    "time_zone": "Europe/London",
                },
            }
        ],
        response_only=True,
    )
]

BOOKING = [
    OpenApiExample(
        "Request",
        value={
            "appointment_type": "3f1c…",
            "practitioner": "0b7c…",
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
        },
        response_only=True,
        status_codes=["409"],
    ),
]
