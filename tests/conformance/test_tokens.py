"""Tokens: RS256 JWTs verified against the pool's JWKS, their claims, GetUser, restarts."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest
import requests

from helpers import (
    UUID_RE,
    App,
    User,
    attr_map,
    confirmed_user,
    decode_jwt_unverified,
    make_app,
    unique_email,
    unique_name,
)

ADMIN_SCOPE = "aws.cognito.signin.user.admin"


def fetch_jwks(base_url: str, pool_id: str) -> dict:
    response = requests.get(f"{base_url}/{pool_id}/.well-known/jwks.json", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers.get("Content-Type", "").startswith("application/json")
    return response.json()


def verify(token: str, jwks: dict, issuer: str, audience: str | None = None) -> dict:
    """Verify an RS256 token against a JWKS with PyJWT; returns the claims."""
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256", header
    keys = {k["kid"]: k for k in jwks["keys"]}
    assert header["kid"] in keys, f"kid {header['kid']} not in JWKS {list(keys)}"
    key = jwt.PyJWK(keys[header["kid"]]).key
    options = {"require": ["exp", "iat", "iss", "sub"]}
    if audience is None:
        options["verify_aud"] = False
    return jwt.decode(token, key, algorithms=["RS256"], issuer=issuer, audience=audience,
                      options=options, leeway=5)


@pytest.fixture
def signed_in(cognate, idp) -> tuple[App, User, dict]:
    app = make_app(idp)
    user = confirmed_user(app, cognate, email=unique_email("tok"))
    return app, user, app.tokens(user.username)


def test_jwks_lists_rsa_signing_keys(cognate, idp):
    app = make_app(idp)
    jwks = fetch_jwks(cognate.url, app.pool_id)
    assert jwks["keys"], jwks
    for key in jwks["keys"]:
        assert key["kty"] == "RSA"
        assert key["alg"] == "RS256"
        assert key["use"] == "sig"
        assert key["e"] == "AQAB"
        assert key["kid"] and key["n"]
        assert "d" not in key and "p" not in key, "private key material in the JWKS"
    assert len({k["kid"] for k in jwks["keys"]}) == len(jwks["keys"])


def test_each_pool_has_its_own_keys(cognate, idp):
    a, b = make_app(idp), make_app(idp)
    kids_a = {k["kid"] for k in fetch_jwks(cognate.url, a.pool_id)["keys"]}
    kids_b = {k["kid"] for k in fetch_jwks(cognate.url, b.pool_id)["keys"]}
    assert not kids_a & kids_b


def test_jwks_of_unknown_pool_is_not_found(cognate):
    response = requests.get(f"{cognate.url}/us-east-1_NoSuchPol/.well-known/jwks.json", timeout=10)
    assert response.status_code == 404


def test_openid_configuration_names_issuer_and_jwks_uri(cognate, idp):
    app = make_app(idp)
    response = requests.get(
        f"{cognate.url}/{app.pool_id}/.well-known/openid-configuration", timeout=10)
    assert response.status_code == 200, response.text
    config = response.json()
    issuer = f"{cognate.url}/{app.pool_id}"
    assert config["issuer"] == issuer
    assert config["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert requests.get(config["jwks_uri"], timeout=10).json()["keys"]
    if "id_token_signing_alg_values_supported" in config:
        assert "RS256" in config["id_token_signing_alg_values_supported"]


def test_id_token_verifies_and_carries_cognito_claims(cognate, signed_in):
    app, user, tokens = signed_in
    jwks = fetch_jwks(cognate.url, app.pool_id)
    claims = verify(tokens["IdToken"], jwks, issuer=f"{cognate.url}/{app.pool_id}",
                    audience=app.client_id)
    assert claims["sub"] == user.sub
    assert claims["aud"] == app.client_id
    assert claims["token_use"] == "id"
    assert claims["cognito:username"] == user.username
    assert claims["email"] == user.email
    assert claims["email_verified"] is True
    assert claims["iss"] == f"{cognate.url}/{app.pool_id}"
    now = time.time()
    assert isinstance(claims["auth_time"], int) and abs(claims["auth_time"] - now) < 300
    assert isinstance(claims["iat"], int) and abs(claims["iat"] - now) < 300
    assert claims["exp"] - claims["iat"] == 3600
    for claim in ("jti", "origin_jti", "event_id"):
        assert UUID_RE.match(claims[claim]), (claim, claims[claim])
    assert "client_id" not in claims and "scope" not in claims


def test_access_token_verifies_and_carries_cognito_claims(cognate, signed_in):
    app, user, tokens = signed_in
    jwks = fetch_jwks(cognate.url, app.pool_id)
    claims = verify(tokens["AccessToken"], jwks, issuer=f"{cognate.url}/{app.pool_id}")
    assert claims["sub"] == user.sub
    assert claims["client_id"] == app.client_id
    assert claims["token_use"] == "access"
    assert claims["scope"] == ADMIN_SCOPE
    assert claims["username"] == user.username
    assert "aud" not in claims
    assert claims["exp"] - claims["iat"] == 3600
    for claim in ("jti", "origin_jti", "event_id"):
        assert UUID_RE.match(claims[claim]), (claim, claims[claim])
    id_claims = decode_jwt_unverified(tokens["IdToken"])
    assert claims["origin_jti"] == id_claims["origin_jti"]
    assert claims["event_id"] == id_claims["event_id"]
    assert claims["auth_time"] == id_claims["auth_time"]
    assert claims["jti"] != id_claims["jti"]


def test_id_token_carries_custom_attributes_as_strings(cognate, idp):
    app = make_app(idp, pool={"Schema": [
        {"Name": "tenant", "AttributeDataType": "String", "Mutable": True},
        {"Name": "level", "AttributeDataType": "Number", "Mutable": True},
    ]})
    username, email = unique_name(), unique_email()
    app.sign_up(username, email=email, attributes=[
        {"Name": "custom:tenant", "Value": "acme"}, {"Name": "custom:level", "Value": "7"}])
    app.confirm(username, cognate.latest_code(email))
    claims = decode_jwt_unverified(app.tokens(username)["IdToken"])
    assert claims["custom:tenant"] == "acme"
    assert claims["custom:level"] == "7"


def test_token_with_wrong_audience_does_not_verify(cognate, signed_in):
    app, _user, tokens = signed_in
    jwks = fetch_jwks(cognate.url, app.pool_id)
    with pytest.raises(jwt.InvalidAudienceError):
        verify(tokens["IdToken"], jwks, issuer=f"{cognate.url}/{app.pool_id}",
               audience="someotherclientid")


def test_issuer_follows_public_url(start_cognate):
    public = "https://auth.example.test"
    server = start_cognate(public_url=public)
    idp = server.idp()
    app = make_app(idp)
    user = confirmed_user(app, server)
    tokens = app.tokens(user.username)
    issuer = f"{public}/{app.pool_id}"
    jwks = fetch_jwks(server.url, app.pool_id)  # still served at the listening address
    verify(tokens["IdToken"], jwks, issuer=issuer, audience=app.client_id)
    verify(tokens["AccessToken"], jwks, issuer=issuer)
    config = requests.get(f"{server.url}/{app.pool_id}/.well-known/openid-configuration",
                          timeout=10).json()
    assert config["issuer"] == issuer
    assert config["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert idp.get_user(AccessToken=tokens["AccessToken"])["Username"] == user.username


def test_get_user_returns_the_users_attributes(signed_in, idp):
    app, user, tokens = signed_in
    got = idp.get_user(AccessToken=tokens["AccessToken"])
    assert got["Username"] == user.username
    attributes = attr_map(got["UserAttributes"])
    assert attributes["sub"] == user.sub
    assert attributes["email"] == user.email
    assert attributes["email_verified"] == "true"


def test_get_user_with_refreshed_access_token(signed_in, idp):
    app, user, tokens = signed_in
    refreshed = idp.initiate_auth(
        ClientId=app.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})["AuthenticationResult"]
    assert idp.get_user(AccessToken=refreshed["AccessToken"])["Username"] == user.username


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["username"] = "mallory"
    claims["sub"] = str(uuid.uuid4())
    return ".".join([header, _b64url(json.dumps(claims).encode()), signature])


def test_tampered_access_token_is_not_authorized(signed_in, idp):
    _app, _user, tokens = signed_in
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.get_user(AccessToken=_tamper(tokens["AccessToken"]))


def test_token_signed_with_another_key_is_not_authorized(signed_in, idp):
    from cryptography.hazmat.primitives.asymmetric import rsa

    _app, _user, tokens = signed_in
    header = jwt.get_unverified_header(tokens["AccessToken"])
    claims = decode_jwt_unverified(tokens["AccessToken"])
    foreign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, foreign_key, algorithm="RS256", headers={"kid": header["kid"]})
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.get_user(AccessToken=forged)


def test_unsigned_alg_none_token_is_not_authorized(signed_in, idp):
    _app, _user, tokens = signed_in
    claims = decode_jwt_unverified(tokens["AccessToken"])
    forged = ".".join([_b64url(b'{"alg":"none","typ":"JWT"}'),
                       _b64url(json.dumps(claims).encode()), ""])
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.get_user(AccessToken=forged)


def test_id_token_is_not_an_access_token(signed_in, idp):
    _app, _user, tokens = signed_in
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.get_user(AccessToken=tokens["IdToken"])


def test_garbage_access_token_is_not_authorized(idp):
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.get_user(AccessToken="abc")


def test_tokens_survive_a_restart(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    tokens = app.tokens(user.username)
    kids_before = {k["kid"] for k in fetch_jwks(cognate.url, app.pool_id)["keys"]}
    issuer = f"{cognate.url}/{app.pool_id}"

    cognate.restart()  # same port, so the default issuer is unchanged

    jwks = fetch_jwks(cognate.url, app.pool_id)
    assert {k["kid"] for k in jwks["keys"]} == kids_before, "signing keys were not persisted"
    verify(tokens["IdToken"], jwks, issuer=issuer, audience=app.client_id)
    verify(tokens["AccessToken"], jwks, issuer=issuer)
    idp_after = cognate.idp()
    assert idp_after.get_user(AccessToken=tokens["AccessToken"])["Username"] == user.username
    refreshed = idp_after.initiate_auth(
        ClientId=app.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})["AuthenticationResult"]
    verify(refreshed["AccessToken"], jwks, issuer=issuer)
