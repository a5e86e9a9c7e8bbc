"""OpenAPI examples of the notifications API (documentation only)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

NOTIFICATION = {
    "id": "7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
    "kind": "appointment.booked",
    "category": "appointments",
    "title": "Appointment booked",
    "body": "Consultation with Dr Gregory House, Monday 2 March 2026, 09:00 (Europe/London).",
    "link": "/appointments/9d2f6c1a-3b4e-4f5a-8b6c-7d8e9f0a1b2c/",
    "created_at": "2026-02-23T08:00:00Z",
    "read_at": None,
}

NOTIFICATIONS = [
    OpenApiExample(
        "A page of notifications",
        value={"next": None, "previous": None, "results": [NOTIFICATION]},
        response_only=True,
    )
]

PREFERENCES = [
    OpenApiExample(
        "A patient's choices",
        value={
            "choices": [
                {
                    "name": "reminders.sms",
                    "category": "reminders",
                    "channel": "sms",
                    "enabled": True,
                    "locked": False,
                    "available": True,
                },
                {
                    "name": "security.email",
                    "category": "security",
                    "channel": "email",
                    "enabled": True,
                    "locked": True,
                    "available": True,
                },
            ],
            "quiet_hours": {"start": "22:00", "end": "07:00"},
            "time_zone": "Europe/London",
        },
        response_only=True,
    )
]

PREFERENCES_CHANGE = [
    OpenApiExample(
        "No SMS reminders, quiet at night",
        value={
            "choices": {"reminders.sms": False},
            "quiet_hours": {"start": "22:00", "end": "07:00"},
        },
        request_only=True,
    )
]
