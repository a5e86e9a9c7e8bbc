"""Twilio's Messages API through the official ``twilio`` package (production).

The package sends to https://api.twilio.com; TWILIO_API_URL replaces that origin so tests
can point the backend at a local stand-in server (plain http only on 127.0.0.1/localhost).
"""

from __future__ import annotations

import logging
import urllib.parse

from django.conf import settings
from twilio.base import values
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from core.sms import SmsDeliveryError, SmsMessage

logger = logging.getLogger(__name__)

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})


def api_url_allowed(url: str) -> bool:
    """https, or plain http to a stand-in on this machine (never with credentials in it).
    The same rule as SENDGRID_API_URL's (core.mail.backends.sendgrid)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username or parts.password or not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS)


class ApiUrlHttpClient(TwilioHttpClient):
    """The package's HTTP client, sending every request to ``api_url`` instead of the
    origin the package built (https://api.twilio.com)."""

    def __init__(self, *, api_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.api_url = urllib.parse.urlsplit(api_url)

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        parts = urllib.parse.urlsplit(url)
        routed = parts._replace(
            scheme=self.api_url.scheme,
            netloc=self.api_url.netloc,
            path=self.api_url.path.rstrip("/") + parts.path,
        )
        return super().request(
            method,
            urllib.parse.urlunsplit(routed),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )

    def close(self) -> None:
        if self.session is not None:
            self.session.close()


class SmsBackend:
    timeout_seconds: float = 10

    def send(self, message: SmsMessage) -> str:
        account_sid: str = settings.TWILIO_ACCOUNT_SID
        auth_token: str = settings.TWILIO_AUTH_TOKEN
        from_number: str = settings.TWILIO_FROM_NUMBER
        api_url: str = settings.TWILIO_API_URL
        if not (account_sid and auth_token and from_number):
            raise SmsDeliveryError(
                "Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER).",
                transient=False,
            )
        if not api_url_allowed(api_url):
            raise SmsDeliveryError(
                "TWILIO_API_URL must use https (plain http only for a stand-in on 127.0.0.1).",
                transient=False,
            )
        http_client = ApiUrlHttpClient(api_url=api_url, timeout=self.timeout_seconds)
        client = Client(account_sid, auth_token, http_client=http_client)  # type: ignore[no-untyped-call]
        try:
            sent = client.messages.create(
                to=message.to,
                from_=from_number,
                body=message.body,
                status_callback=message.status_callback or values.unset,
            )
        except (TwilioRestException, TwilioServiceException) as error:
            status = int(error.status)
            # Twilio's error code (21211: invalid 'To' number...) says why; the message text
            # may quote the request, so it stays out of logs and of the exception.
            code = error.code if isinstance(error.code, int) and error.code != status else None
            logger.warning("Twilio refused an SMS: HTTP %s (error code %s)", status, code)
            raise SmsDeliveryError(
                f"Twilio answered HTTP {status}" + (f" (error code {code})." if code else "."),
                transient=status >= 500 or status == 429,
                status_code=status,
            ) from None
        except OSError as error:  # requests' errors (connection, timeout) are OSErrors
            logger.warning("Twilio could not be reached: %s", type(error).__name__)
            raise SmsDeliveryError("Twilio could not be reached.", transient=True) from None
        except (TwilioException, ValueError) as error:
            # A 2xx answer that is not Twilio's JSON: whether the message went out is unknown,
            # and sending again could deliver it twice.
            logger.warning("Twilio's answer could not be read: %s", type(error).__name__)
            raise SmsDeliveryError("Twilio did not confirm the message.", transient=False) from None
        finally:
            http_client.close()
        if not sent.sid:
            raise SmsDeliveryError("Twilio did not confirm the message.", transient=False)
        # Never log the body: it holds one-time codes.
        logger.info("SMS accepted by Twilio", extra={"sms_sid": sent.sid})
        return sent.sid
