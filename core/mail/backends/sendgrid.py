"""A Django email backend on SendGrid's v3 Mail Send API, through the official ``sendgrid``
package (EMAIL_BACKEND=sendgrid).

Each EmailMessage becomes one API call: text and HTML alternatives, From, Reply-To,
To/Cc/Bcc, custom headers and attachments. An attribute ``custom_args`` (dict[str, str]) on
the message is passed as SendGrid custom_args, which its event webhook sends back; after a
send, ``message.provider_message_id`` is SendGrid's X-Message-Id. SENDGRID_API_URL replaces
https://api.sendgrid.com so tests can point the backend at a local stand-in (plain http only
on 127.0.0.1/localhost).
"""

from __future__ import annotations

import base64
import http.client
import logging
import mimetypes
import urllib.parse
from collections.abc import Iterable, Sequence
from email.mime.base import MIMEBase
from email.utils import getaddresses, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from python_http_client.exceptions import HTTPError as SendGridHTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    Attachment,
    Bcc,
    Cc,
    Content,
    ContentId,
    CustomArg,
    Disposition,
    FileContent,
    FileName,
    FileType,
    From,
    Header,
    Mail,
    Personalization,
    ReplyTo,
    SendGridException,
    Subject,
    To,
)

from core.mail import EmailDeliveryError

logger = logging.getLogger(__name__)

# python_http_client logs every request's headers (the API key) and body (password-reset
# links) at DEBUG: never let LOG_LEVEL=debug put them in the logs.
logging.getLogger("python_http_client").setLevel(logging.INFO)

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})

# Headers SendGrid sets itself and refuses in "headers"; Reply-To is read from them.
_RESERVED_HEADERS = frozenset(
    {
        "bcc",
        "cc",
        "content-transfer-encoding",
        "content-type",
        "dkim-signature",
        "from",
        "mime-version",
        "received",
        "reply-to",
        "subject",
        "to",
        "x-sg-eid",
        "x-sg-id",
    }
)


def api_url_allowed(url: str) -> bool:
    """https, or plain http to a stand-in on this machine (never with credentials in it).
    The same rule as TWILIO_API_URL's (core.sms.backends.twilio)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username or parts.password or not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS)


class EmailBackend(BaseEmailBackend):
    timeout_seconds: float = 10

    def __init__(
        self,
        fail_silently: bool = False,
        *,
        api_key: str | None = None,
        api_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.api_key: str = settings.SENDGRID_API_KEY if api_key is None else api_key
        self.api_url: str = settings.SENDGRID_API_URL if api_url is None else api_url

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        """Send each message with its own API call; the number SendGrid accepted.

        Raises EmailDeliveryError at the first failure unless fail_silently.
        """
        if not email_messages:
            return 0
        try:
            client = self._client()
        except EmailDeliveryError:
            if self.fail_silently:
                return 0
            raise
        sent = 0
        for message in email_messages:
            try:
                if self._send(client, message):
                    sent += 1
            except EmailDeliveryError:
                if not self.fail_silently:
                    raise
        return sent

    def _client(self) -> Any:
        if not self.api_key:
            raise EmailDeliveryError("SendGrid is not configured (SENDGRID_API_KEY).", False)
        if not api_url_allowed(self.api_url):
            raise EmailDeliveryError(
                "SENDGRID_API_URL must use https (plain http only for a stand-in on 127.0.0.1).",
                False,
            )
        client = SendGridAPIClient(api_key=self.api_key, host=self.api_url.rstrip("/"))
        client.client.timeout = self.timeout_seconds
        return client

    def _send(self, client: Any, message: EmailMessage) -> bool:
        if not message.recipients():
            return False
        try:
            request_body = mail_send_request(message)
        except (SendGridException, ValueError, TypeError) as error:
            # The package's own checks, e.g. an API key pasted into the content.
            raise EmailDeliveryError(
                f"SendGrid's package refused the email ({type(error).__name__}).", transient=False
            ) from None
        try:
            response = client.send(request_body)
        except SendGridHTTPError as error:
            status = int(error.status_code)
            logger.warning("SendGrid refused an email: HTTP %s", status)
            raise EmailDeliveryError(
                f"SendGrid answered HTTP {status}.",
                transient=status >= 500 or status == 429,
                status_code=status,
            ) from None
        except (OSError, http.client.HTTPException) as error:
            # URLError, timeouts, refused or reset connections, garbled answers.
            logger.warning("SendGrid could not be reached: %s", type(error).__name__)
            raise EmailDeliveryError("SendGrid could not be reached.", transient=True) from None
        provider_message_id = str(response.headers.get("X-Message-Id") or "")
        message.provider_message_id = provider_message_id  # type: ignore[attr-defined]
        if provider_message_id:
            logger.info(
                "Email accepted by SendGrid", extra={"sendgrid_message_id": provider_message_id}
            )
        else:
            logger.warning("SendGrid accepted an email without an X-Message-Id")
        return True


def mail_send_request(message: EmailMessage) -> dict[str, Any]:
    """The v3 Mail Send request body for a Django EmailMessage."""
    mail = Mail()
    from_name, from_address = _address(message.from_email or settings.DEFAULT_FROM_EMAIL)
    mail.from_email = From(from_address, from_name or None)
    mail.subject = Subject(str(message.subject))

    # One personalization: one email to everyone, like SMTP. SendGrid refuses an address
    # that appears twice in it, so the first mention (To, then Cc, then Bcc) wins.
    personalization = Personalization()
    seen: set[str] = set()
    for addresses, recipient, add in (
        (message.to, To, personalization.add_to),
        (message.cc, Cc, personalization.add_cc),
        (message.bcc, Bcc, personalization.add_bcc),
    ):
        for name, address in map(_address, addresses):
            if address.lower() not in seen:
                seen.add(address.lower())
                add(recipient(address, name or None))
    mail.add_personalization(personalization)

    for mimetype, content in _contents(message):
        mail.add_content(Content(mimetype, content))

    reply_to = [_address(address) for address in message.reply_to]
    for name, value in message.extra_headers.items():
        if str(name).lower() == "reply-to":
            reply_to = [(n, a) for n, a in getaddresses([str(value)]) if a]
        elif str(name).lower() not in _RESERVED_HEADERS:
            mail.add_header(Header(str(name), str(value)))
    if len(reply_to) == 1:
        mail.reply_to = ReplyTo(reply_to[0][1], reply_to[0][0] or None)
    elif reply_to:
        mail.reply_to_list = [ReplyTo(address, name or None) for name, address in reply_to]

    custom_args = getattr(message, "custom_args", None) or {}
    for key, value in custom_args.items():
        mail.add_custom_arg(CustomArg(str(key), str(value)))

    # add_attachment puts each one first: add them last to first to keep their order.
    for attachment in reversed(_attachments(message.attachments)):
        mail.add_attachment(attachment)

    request_body: dict[str, Any] = mail.get()
    return request_body


def _address(value: str) -> tuple[str, str]:
    name, address = parseaddr(str(value))
    if "@" not in address:
        raise EmailDeliveryError("An email address could not be read.", transient=False)
    return name, address


def _contents(message: EmailMessage) -> list[tuple[str, str]]:
    """(mimetype, text) of the body and of every alternative (EmailMultiAlternatives)."""
    contents = []
    if message.body:
        contents.append((f"text/{message.content_subtype}", str(message.body)))
    for alternative in getattr(message, "alternatives", None) or []:
        content, mimetype = alternative[0], alternative[1]
        text = content.decode() if isinstance(content, bytes) else str(content)
        if text:
            contents.append((str(mimetype), text))
    if not contents:
        raise EmailDeliveryError("The email has no content.", transient=False)
    return contents


def _attachments(attachments: Iterable[Any]) -> list[Attachment]:
    converted = []
    for attachment in attachments:
        content_id = None
        if isinstance(attachment, MIMEBase):
            filename = attachment.get_filename() or "attachment"
            payload = attachment.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
            mimetype = attachment.get_content_type()
            if attachment["Content-ID"]:
                content_id = str(attachment["Content-ID"]).strip("<>")
        else:
            filename, raw, mimetype = attachment[0], attachment[1], attachment[2]
            content = raw.encode() if isinstance(raw, str) else bytes(raw)
            mimetype = (
                mimetype or mimetypes.guess_type(filename or "")[0] or "application/octet-stream"
            )
            filename = filename or "attachment"
        converted.append(
            Attachment(
                FileContent(base64.b64encode(content).decode()),
                FileName(filename),
                FileType(mimetype),
                Disposition("inline" if content_id else "attachment"),
                ContentId(content_id) if content_id else None,
            )
        )
    return converted
