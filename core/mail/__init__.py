"""Outgoing email through providers, beside Django's own mail backends.

``EMAIL_BACKEND=sendgrid`` sends through SendGrid's v3 Mail Send API
(core.mail.backends.sendgrid.EmailBackend); the other choices are Django's backends.
"""

from __future__ import annotations

import base64
import binascii

from django.conf import settings


class EmailDeliveryError(Exception):
    """The provider refused the message or could not be reached; it was not sent.

    ``transient`` says whether trying again later may succeed (connection errors, timeouts,
    HTTP 5xx and 429) or not (a refusal such as an unverified sender, missing configuration).
    The message never holds the email's content.
    """

    def __init__(self, message: str, transient: bool, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.status_code = status_code


def sendgrid_signature_valid(*, payload: bytes, signature: str, timestamp: str) -> bool:
    """Whether ``signature`` is SendGrid's Signed Event Webhook signature of ``payload``.

    SendGrid signs timestamp + raw request body with ECDSA P-256/SHA-256 and sends the
    base64 DER signature in X-Twilio-Email-Event-Webhook-Signature, the timestamp in
    X-Twilio-Email-Event-Webhook-Timestamp. The key is SENDGRID_WEBHOOK_PUBLIC_KEY (base64
    DER, as SendGrid shows it). False when no key is configured or anything does not parse.
    The caller decides how old a timestamp it accepts (replays).
    """
    # cryptography directly rather than sendgrid's EventWebhook helper: the helper takes the
    # payload as text (re-encoding it) and lets malformed keys and signatures raise.
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    public_key_base64: str = settings.SENDGRID_WEBHOOK_PUBLIC_KEY
    if not public_key_base64 or not signature or not timestamp:
        return False
    try:
        public_key = load_der_public_key(
            base64.b64decode("".join(public_key_base64.split()), validate=True)
        )
        signature_der = base64.b64decode(signature.strip(), validate=True)
    except (ValueError, binascii.Error, UnsupportedAlgorithm):
        return False
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(
        public_key.curve, ec.SECP256R1
    ):
        return False
    try:
        public_key.verify(signature_der, timestamp.encode() + payload, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
