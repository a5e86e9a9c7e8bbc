"""Provider callbacks (/webhooks/...): signed by the provider, never by a signed-in user."""

from django.urls import path

from notifications import webhooks

app_name = "webhooks"

urlpatterns = [
    path("sendgrid/events/", webhooks.sendgrid_events, name="sendgrid-events"),
    path("twilio/status/", webhooks.twilio_status, name="twilio-status"),
]
