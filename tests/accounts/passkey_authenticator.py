"""A software passkey for tests: an ES256 key pair that answers WebAuthn authentication
options with a real assertion (what a phone's platform passkey API hands an app), so the
server's verification (py_webauthn through django-otp-webauthn) runs unchanged."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django_otp_webauthn.models import WebAuthnCredential


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class SoftPasskey:
    rp_id: str = "localhost"
    origin: str = "http://localhost:8000"
    credential_id: bytes = field(default_factory=lambda: os.urandom(16))
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    sign_count: int = 0

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def register(self, user, *, name: str = "Phone") -> WebAuthnCredential:
        """The credential as the web registration ceremony would have stored it."""
        return WebAuthnCredential.objects.create(
            user=user,
            name=name,
            confirmed=True,
            credential_id=self.credential_id,
            public_key=self.cose_public_key(),
            sign_count=0,
            aaguid="00000000-0000-0000-0000-000000000000",
        )

    def assertion(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """The PublicKeyCredential (JSON form) answering PublicKeyCredentialRequestOptions."""
        self.sign_count += 1
        client_data = json.dumps(
            {
                "type": "webauthn.get",
                "challenge": options["challenge"],
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode()
        authenticator_data = (
            hashlib.sha256(options.get("rpId", self.rp_id).encode()).digest()
            + bytes([0x01 | 0x04])  # user present, user verified
            + self.sign_count.to_bytes(4, "big")
        )
        signature = self.key.sign(
            authenticator_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(authenticator_data),
                "signature": b64url(signature),
                "userHandle": None,
            },
            "clientExtensionResults": {},
        }
