"""Self-check of the software WebAuthn authenticator against an independent verifier
(python-fido2's Fido2Server). Needs no cognate server; runs in well under a second."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.server import Fido2Server
from fido2.webauthn import AttestationObject, AuthenticatorData, CollectedClientData

from webauthn_authenticator import AuthenticatorError, SoftAuthenticator, b64url_decode, b64url_encode

RP = {"id": "localhost", "name": "cognate"}
ORIGIN = "https://localhost"
USER_ID = b"\x01user-handle\xff\x00"


def _json(value):
    """fido2's option objects -> the plain JSON a server would send over the wire."""
    if isinstance(value, Mapping):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    return json.loads(json.dumps(value))


def _register(server, auth, exclude=None):
    options, state = server.register_begin(
        {"id": USER_ID, "name": "alice", "displayName": "Alice"},
        credentials=exclude,
        user_verification="required",
    )
    public_key = _json(options)["publicKey"]
    assert isinstance(public_key["challenge"], str) and isinstance(public_key["user"]["id"], str)
    response = auth.register(json.loads(json.dumps(public_key)), ORIGIN)
    return server.register_complete(state, response), response


def _authenticate(server, auth, cred, **kw):
    options, state = server.authenticate_begin([cred], user_verification="required")
    public_key = _json(options)["publicKey"]
    response = auth.authenticate(public_key, ORIGIN, **kw)
    return state, response


def test_register_and_authenticate_verify_with_fido2_server():
    server = Fido2Server(RP)
    auth = SoftAuthenticator()
    auth_data, reg = _register(server, auth)

    cred = auth_data.credential_data
    assert cred is not None and cred.credential_id == b64url_decode(reg["rawId"])
    assert reg["id"] == reg["rawId"] and "=" not in reg["id"]
    assert reg["authenticatorAttachment"] == "platform"
    assert reg["response"]["transports"] == ["internal"]
    assert reg["response"]["publicKeyAlgorithm"] == -7
    assert auth_data.counter == 0 and auth_data.is_user_present() and auth_data.is_user_verified()
    assert auth_data.is_attested() and not auth_data.is_backup_eligible()
    assert cred.public_key == {1: 2, 3: -7, -1: 1, -2: cred.public_key[-2], -3: cred.public_key[-3]}
    att = AttestationObject(b64url_decode(reg["response"]["attestationObject"]))
    assert att.fmt == "none" and att.att_stmt == {}
    assert bytes(att.auth_data) == b64url_decode(reg["response"]["authenticatorData"])
    # publicKey (SPKI DER) is the same key as the COSE key in the attested credential data
    spki = serialization.load_der_public_key(b64url_decode(reg["response"]["publicKey"]))
    nums = spki.public_numbers()
    assert nums.x.to_bytes(32, "big") == cred.public_key[-2] and nums.y.to_bytes(32, "big") == cred.public_key[-3]
    cdj = CollectedClientData(b64url_decode(reg["response"]["clientDataJSON"]))
    assert cdj.type == "webauthn.create" and cdj.origin == ORIGIN and cdj.cross_origin is False

    counters = []
    for _ in range(2):
        state, resp = _authenticate(server, auth, cred)
        assert server.authenticate_complete(state, [cred], resp).credential_id == cred.credential_id
        assert b64url_decode(resp["response"]["userHandle"]) == USER_ID
        ad = AuthenticatorData(b64url_decode(resp["response"]["authenticatorData"]))
        assert ad.rp_id_hash == hashlib.sha256(b"localhost").digest() and ad.credential_data is None
        counters.append(ad.counter)
    assert counters == [1, 2]
    assert auth.credentials[cred.credential_id][3] == 2


def test_tampered_signature_and_challenge_fail_verification():
    server = Fido2Server(RP)
    auth = SoftAuthenticator()
    auth_data, _ = _register(server, auth)
    cred = auth_data.credential_data

    state, resp = _authenticate(server, auth, cred)
    sig = bytearray(b64url_decode(resp["response"]["signature"]))
    sig[-1] ^= 0x01
    resp["response"]["signature"] = b64url_encode(bytes(sig))
    with pytest.raises(ValueError, match="Invalid signature"):
        server.authenticate_complete(state, [cred], resp)

    # a signature over different authenticatorData (counter changed after signing) fails too
    state, resp = _authenticate(server, auth, cred)
    ad = bytearray(b64url_decode(resp["response"]["authenticatorData"]))
    ad[-1] ^= 0x01
    resp["response"]["authenticatorData"] = b64url_encode(bytes(ad))
    with pytest.raises(ValueError, match="Invalid signature"):
        server.authenticate_complete(state, [cred], resp)

    # a response to another ceremony's challenge fails
    state, _ = _authenticate(server, auth, cred)
    _, other = _authenticate(server, auth, cred)
    with pytest.raises(ValueError, match="challenge"):
        server.authenticate_complete(state, [cred], other)


def test_knobs_flags_counter_exclude_and_empty_allow_list():
    server = Fido2Server(RP)
    auth = SoftAuthenticator(user_verified=False, attachment="cross-platform",
                             sign_count_start=41, backup_eligible=True)
    options, state = server.register_begin({"id": USER_ID, "name": "bob", "displayName": "Bob"},
                                           user_verification="required")
    reg = auth.register(_json(options)["publicKey"], ORIGIN)
    with pytest.raises(ValueError, match="User verification required"):
        server.register_complete(state, reg)
    ad = AttestationObject(b64url_decode(reg["response"]["attestationObject"])).auth_data
    assert ad.flags == 0x01 | 0x08 | 0x10 | 0x40 and ad.counter == 41
    assert reg["authenticatorAttachment"] == "cross-platform" and reg["response"]["transports"] == ["usb"]
    cred_id = b64url_decode(reg["rawId"])

    # excludeCredentials naming its own credential -> refuses
    options, _ = server.register_begin({"id": USER_ID, "name": "bob", "displayName": "Bob"},
                                       credentials=[{"type": "public-key", "id": cred_id}])
    with pytest.raises(AuthenticatorError):
        auth.register(_json(options)["publicKey"], ORIGIN)

    # empty allowCredentials (discoverable): picks its credential for rpId; UV per call; forced counter
    pk = ad.credential_data.public_key
    options, state = server.authenticate_begin(user_verification="preferred")
    resp = auth.authenticate(_json(options)["publicKey"], ORIGIN, user_verified=True)
    assert server.authenticate_complete(state, [ad.credential_data], resp)
    assert AuthenticatorData(b64url_decode(resp["response"]["authenticatorData"])).flags == 0x01 | 0x04 | 0x08 | 0x10
    options, _ = server.authenticate_begin()
    resp = auth.authenticate(_json(options)["publicKey"], ORIGIN, sign_count=5)
    assert AuthenticatorData(b64url_decode(resp["response"]["authenticatorData"])).counter == 5
    assert auth.credentials[cred_id][3] == 42  # forced lower value does not rewind the stored counter
    # signature is plain ES256/DER over authenticatorData || SHA-256(clientDataJSON)
    pub = ec.EllipticCurvePublicNumbers(int.from_bytes(pk[-2], "big"), int.from_bytes(pk[-3], "big"),
                                        ec.SECP256R1()).public_key()
    r = resp["response"]
    pub.verify(b64url_decode(r["signature"]),
               b64url_decode(r["authenticatorData"]) + hashlib.sha256(b64url_decode(r["clientDataJSON"])).digest(),
               ec.ECDSA(hashes.SHA256()))

    # a credential for another rpId is never used
    with pytest.raises(AuthenticatorError):
        auth.authenticate({"challenge": "AAAAAAAAAAAAAAAAAAAAAA", "rpId": "example.com", "allowCredentials": []},
                          "https://example.com")
