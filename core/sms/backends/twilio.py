"""Twilio's Messages REST API over HTTPS (production). The base URL is configurable so
tests can point it at a local stand-in server."""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings

from core.sms import SmsDeliveryError, SmsMessage

logger = logging.getLogger(__name__)


class SmsBackend:
    timeout_seconds = 10

    def send(self, message: SmsMessage) -> None:
        account = settings.TWILIO_ACCOUNT_SID
        if not (account and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM_NUMBER):
            raise SmsDeliveryError(
                "Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER)."
            )
        url = f"{settings.TWILIO_API_URL.rstrip('/')}/2010-04-01/Accounts/{urllib.parse.quote(account)}/Messages.json"
        parts = urllib.parse.urlsplit(url)
        local_stand_in = (
            parts.scheme == "http"
            and parts.hostname in {"127.0.0.1", "localhost"}
            and not parts.username
        )
        if parts.scheme != "https" and not local_stand_in:
            raise SmsDeliveryError(
                "TWILIO_API_URL must use https (plain http only for a stand-in on 127.0.0.1)."
            )
        form = urllib.parse.urlencode(
            {"To": message.to, "From": settings.TWILIO_FROM_NUMBER, "Body": message.body}
        ).encode()
        credentials = base64.b64encode(f"{account}:{settings.TWILIO_AUTH_TOKEN}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            url,
            data=form,
            method="POST",
            headers={"Authorization": f"Basic {credentials}", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:  # noqa: S310
                payload = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            logger.warning("Twilio refused an SMS: HTTP %s", error.code)
            raise SmsDeliveryError(f"Twilio answered HTTP {error.code}.") from None
        except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as error:
            logger.warning("Twilio could not be reached: %s", type(error).__name__)
            raise SmsDeliveryError("Twilio could not be reached.") from None
        if not payload.get("sid"):
            raise SmsDeliveryError("Twilio did not confirm the message.")
        # Never log the body: it holds one-time codes.
        logger.info("SMS accepted by Twilio", extra={"sms_sid": payload["sid"]})
