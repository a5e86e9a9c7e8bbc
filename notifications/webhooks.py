"""What the providers tell us after a message left: SendGrid's event webhook and Twilio's
status callbacks. Each request must carry the provider's signature (403 otherwise); the
delivery's status moves forward only (sent -> delivered, bounced, undelivered, failed)."""

from __future__ import annotations

import json
import logging
import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.mail import sendgrid_signature_valid
from core.sms import twilio_signature_valid
from notifications.services.provider_status import delivery_status_report

logger = logging.getLogger(__name__)

# SendGrid event -> our status (others, such as "processed", "deferred" or "open", change
# nothing).
_SENDGRID_STATUS = {
    "delivered": "delivered",
    "bounce": "bounced",
    "dropped": "failed",
}
# Twilio MessageStatus -> our status.
_TWILIO_STATUS = {"delivered": "delivered", "undelivered": "undelivered", "failed": "failed"}


@csrf_exempt
@login_not_required
@require_POST
def sendgrid_events(request: HttpRequest) -> HttpResponse:
    payload = request.body
    if not sendgrid_signature_valid(
        payload=payload,
        signature=request.headers.get("X-Twilio-Email-Event-Webhook-Signature", ""),
        timestamp=request.headers.get("X-Twilio-Email-Event-Webhook-Timestamp", ""),
    ):
        logger.warning("SendGrid event webhook refused: bad or missing signature")
        return HttpResponseForbidden("Bad signature.")
    try:
        events = json.loads(payload)
    except ValueError:
        return HttpResponse("Not JSON.", status=400)
    if not isinstance(events, list):
        return HttpResponse("Expected a list of events.", status=400)
    for event in events:
        if not isinstance(event, dict):
            continue
        status = _SENDGRID_STATUS.get(str(event.get("event", "")))
        if status is None:
            continue
        delivery_id = _uuid_or_none(event.get("delivery"))
        message_id = str(event.get("sg_message_id", "")).split(".", 1)[0]
        delivery_status_report(
            delivery_public_id=delivery_id,
            provider_message_id=message_id,
            channel="email",
            status=status,
            detail=str(event.get("reason") or event.get("type") or "")[:200],
        )
    return HttpResponse(status=200)


@csrf_exempt
@login_not_required
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    # Twilio signs the URL it called: ours, as configured, not as a proxy rewrote it.
    url = f"{settings.HOSPITAL_PUBLIC_URL}{request.get_full_path()}"
    params = {key: request.POST.get(key, "") for key in request.POST}
    if not twilio_signature_valid(
        url=url, params=params, signature=request.headers.get("X-Twilio-Signature", "")
    ):
        logger.warning("Twilio status callback refused: bad or missing signature")
        return HttpResponseForbidden("Bad signature.")
    status = _TWILIO_STATUS.get(params.get("MessageStatus", ""))
    sid = params.get("MessageSid", "")
    if status is not None and sid:
        delivery_status_report(
            delivery_public_id=None,
            provider_message_id=sid,
            channel="sms",
            status=status,
            detail=f"error {params['ErrorCode']}" if params.get("ErrorCode") else "",
        )
    return HttpResponse(status=204)


def _uuid_or_none(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
