"""A small software WebAuthn authenticator (plus the browser-side "client") for the conformance tests.

It turns the PublicKeyCredentialCreationOptions / PublicKeyCredentialRequestOptions JSON that a server
hands out (Cognito's StartWebAuthnRegistration `CredentialCreationOptions`, or the
`CREDENTIAL_REQUEST_OPTIONS` challenge parameter of the WEB_AUTHN auth flow) into the
RegistrationResponseJSON / AuthenticationResponseJSON that a browser's `credential.toJSON()` would
send back (WebAuthn Level 3).

Credentials are ES256 (COSE alg -7, P-256) keys; attestation is always "none" with an empty attStmt and an
all-zero AAGUID. Every binary value in the JSON it emits is base64url without padding; it accepts base64url
with or without padding in the options.

Knobs for negative tests:
  * SoftAuthenticator(user_verified=False)   -> UV flag (0x04) cleared (per call: user_verified=...)
  * SoftAuthenticator(backup_eligible=True)  -> BE|BS flags (0x08|0x10), like a synced passkey
  * authenticate(..., sign_count=N)          -> that counter value in this assertion (stored counter never goes down)
  * origin is the caller's: pass a wrong one to get a clientDataJSON with a foreign origin
  * rp_id=... on register/authenticate       -> bind / hash a different RP ID than the options say
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from typing import Any
from urllib.parse import urlparse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.webauthn import (
    Aaguid,
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
)

FLAG_UP = 0x01
FLAG_UV = 0x04
FLAG_BE = 0x08
FLAG_BS = 0x10
FLAG_AT = 0x40

ES256_ALG = -7


def b64url_encode(data: bytes) -> str:
    """base64url, no padding (the WebAuthn JSON encoding)."""
    return base64.urlsafe_b64encode(bytes(data)).rstrip(b"=").decode("ascii")


def b64url_decode(data: str | bytes) -> bytes:
    """base64url with or without padding; also tolerates the standard alphabet."""
    if isinstance(data, bytes):
        data = data.decode("ascii")
    data = data.strip().rstrip("=").replace("+", "-").replace("/", "_")
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


class AuthenticatorError(Exception):
    """What a real authenticator/browser would surface as a DOMException (InvalidStateError, NotAllowedError...)."""


def _as_options(options: Any) -> dict:
    """Accept the options dict, its JSON text, or a {"publicKey": {...}} wrapper."""
    if isinstance(options, (str, bytes)):
        options = json.loads(options)
    if not isinstance(options, dict):
        options = dict(options)
    if "publicKey" in options and isinstance(options["publicKey"], dict) and "challenge" not in options:
        options = options["publicKey"]
    return options


def _origin_host(origin: str) -> str:
    host = urlparse(origin).hostname
    if not host:
        raise AuthenticatorError(f"cannot derive an RP ID from origin {origin!r}")
    return host


def client_data_json(type_: str, challenge: str, origin: str, cross_origin: bool = False) -> bytes:
    """The compact clientDataJSON a browser would produce; `challenge` is kept exactly as the server sent it."""
    return json.dumps(
        {"type": type_, "challenge": challenge, "origin": origin, "crossOrigin": cross_origin},
        separators=(",", ":"),
    ).encode()


class SoftAuthenticator:
    """An in-memory ES256 authenticator. `credentials` maps credential id (bytes) to
    (private key, rp_id, user_handle bytes, counter)."""

    def __init__(
        self,
        *,
        user_verified: bool = True,
        attachment: str = "platform",
        sign_count_start: int = 0,
        backup_eligible: bool = False,
    ):
        if attachment not in ("platform", "cross-platform"):
            raise ValueError("attachment must be 'platform' or 'cross-platform'")
        self.user_verified = user_verified
        self.attachment = attachment
        self.sign_count_start = sign_count_start
        self.backup_eligible = backup_eligible
        self.credentials: dict[bytes, tuple[ec.EllipticCurvePrivateKey, str, bytes, int]] = {}

    # --- helpers ---------------------------------------------------------------------------------

    @property
    def transports(self) -> list[str]:
        return ["internal"] if self.attachment == "platform" else ["usb"]

    def _flags(self, user_verified: bool | None) -> int:
        uv = self.user_verified if user_verified is None else user_verified
        flags = FLAG_UP
        if uv:
            flags |= FLAG_UV
        if self.backup_eligible:
            flags |= FLAG_BE | FLAG_BS
        return flags

    def public_key_spki(self, credential_id: bytes) -> bytes:
        key = self.credentials[credential_id][0]
        return key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    # --- navigator.credentials.create() ------------------------------------------------------------

    def register(
        self,
        options: dict,
        origin: str,
        *,
        rp_id: str | None = None,
        user_verified: bool | None = None,
    ) -> dict:
        opts = _as_options(options)
        rp = opts.get("rp") or {}
        rp_id = rp_id or rp.get("id") or _origin_host(origin)
        user = opts.get("user") or {}
        if "id" not in user:
            raise AuthenticatorError("options.user.id is missing")
        user_handle = b64url_decode(user["id"])
        challenge = opts["challenge"]

        params = opts.get("pubKeyCredParams")
        if params and not any(p.get("alg") == ES256_ALG and p.get("type", "public-key") == "public-key" for p in params):
            raise AuthenticatorError("NotSupportedError: no ES256 (-7) in pubKeyCredParams")

        for desc in opts.get("excludeCredentials") or []:
            cid = b64url_decode(desc["id"])
            if cid in self.credentials and self.credentials[cid][1] == rp_id:
                raise AuthenticatorError("InvalidStateError: authenticator already holds an excluded credential")

        key = ec.generate_private_key(ec.SECP256R1())
        cred_id = os.urandom(32)
        counter = self.sign_count_start
        self.credentials[cred_id] = (key, rp_id, user_handle, counter)

        cdj = client_data_json("webauthn.create", challenge, origin)
        acd = AttestedCredentialData.create(Aaguid.NONE, cred_id, ES256.from_cryptography_key(key.public_key()))
        auth_data = AuthenticatorData.create(
            hashlib.sha256(rp_id.encode()).digest(),
            AuthenticatorData.FLAG(self._flags(user_verified) | FLAG_AT),
            counter,
            acd,
        )
        att_obj = AttestationObject.create("none", auth_data, {})

        cid = b64url_encode(cred_id)
        return {
            "id": cid,
            "rawId": cid,
            "type": "public-key",
            "authenticatorAttachment": self.attachment,
            "response": {
                "clientDataJSON": b64url_encode(cdj),
                "attestationObject": b64url_encode(att_obj),
                "transports": self.transports,
                "publicKeyAlgorithm": ES256_ALG,
                "publicKey": b64url_encode(self.public_key_spki(cred_id)),
                "authenticatorData": b64url_encode(auth_data),
            },
            "clientExtensionResults": {},
        }

    # --- navigator.credentials.get() ---------------------------------------------------------------

    def authenticate(
        self,
        options: dict,
        origin: str,
        *,
        sign_count: int | None = None,
        user_verified: bool | None = None,
        rp_id: str | None = None,
        credential_id: bytes | None = None,
    ) -> dict:
        opts = _as_options(options)
        rp_id = rp_id or opts.get("rpId") or _origin_host(origin)
        challenge = opts["challenge"]

        if credential_id is None:
            allowed = [b64url_decode(d["id"]) for d in opts.get("allowCredentials") or []]
            if allowed:
                candidates = [c for c in allowed if c in self.credentials and self.credentials[c][1] == rp_id]
            else:
                candidates = [c for c, v in self.credentials.items() if v[1] == rp_id]
            if not candidates:
                raise AuthenticatorError(f"NotAllowedError: no credential for rpId {rp_id!r}")
            credential_id = candidates[0]
        elif credential_id not in self.credentials:
            raise AuthenticatorError("NotAllowedError: unknown credential id")

        key, cred_rp_id, user_handle, stored = self.credentials[credential_id]
        counter = stored + 1 if sign_count is None else sign_count
        self.credentials[credential_id] = (key, cred_rp_id, user_handle, max(stored, counter))

        cdj = client_data_json("webauthn.get", challenge, origin)
        auth_data = struct.pack(">32sBI", hashlib.sha256(rp_id.encode()).digest(), self._flags(user_verified), counter)
        signature = key.sign(auth_data + hashlib.sha256(cdj).digest(), ec.ECDSA(hashes.SHA256()))

        cid = b64url_encode(credential_id)
        return {
            "id": cid,
            "rawId": cid,
            "type": "public-key",
            "authenticatorAttachment": self.attachment,
            "response": {
                "clientDataJSON": b64url_encode(cdj),
                "authenticatorData": b64url_encode(auth_data),
                "signature": b64url_encode(signature),
                "userHandle": b64url_encode(user_handle),
            },
            "clientExtensionResults": {},
        }
