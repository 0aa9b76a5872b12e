"""Passkeys with boto3 and a software WebAuthn authenticator (webauthn_authenticator.py, checked
against python-fido2's own relying party): StartWebAuthnRegistration /
CompleteWebAuthnRegistration with their WebAuthn exceptions, ListWebAuthnCredentials,
DeleteWebAuthnCredential, and the WEB_AUTHN first factor of USER_AUTH with its assertion checks
(challenge, origin, relying party, user verification, signature counter).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpers import App, confirmed_user, error_message, make_app
from webauthn_authenticator import AuthenticatorError, SoftAuthenticator

RP = "auth.example.com"
ORIGIN = f"https://{RP}"
PASSKEY_POLICY = {"Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}}}
CHOICE = {"ExplicitAuthFlows": ["ALLOW_USER_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}


def passkey_app(idp: Any, *, rp: str | None = RP, policy: dict | None = None) -> App:
    app = make_app(idp, pool=PASSKEY_POLICY if policy is None else policy, client=CHOICE)
    if rp is not None:
        idp.set_user_pool_mfa_config(UserPoolId=app.pool_id, MfaConfiguration="OFF",
                                     WebAuthnConfiguration={"RelyingPartyId": rp, "UserVerification": "preferred"})
    return app


def register(app: App, access: str, authenticator: SoftAuthenticator, origin: str = ORIGIN, **kw: Any) -> dict:
    options = app.idp.start_web_authn_registration(AccessToken=access)["CredentialCreationOptions"]
    credential = authenticator.register(options, origin, **kw)
    app.idp.complete_web_authn_registration(AccessToken=access, Credential=credential)
    return options


def sign_in(app: App, username: str, authenticator: SoftAuthenticator, origin: str = ORIGIN, **kw: Any) -> dict:
    started = app.idp.initiate_auth(ClientId=app.client_id, AuthFlow="USER_AUTH",
                                    AuthParameters={"USERNAME": username, "PREFERRED_CHALLENGE": "WEB_AUTHN"})
    assert started["ChallengeName"] == "WEB_AUTHN", started
    options = json.loads(started["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    assertion = authenticator.authenticate(options, origin, **kw)
    return app.idp.respond_to_auth_challenge(
        ClientId=app.client_id, ChallengeName="WEB_AUTHN", Session=started["Session"],
        ChallengeResponses={"USERNAME": username, "CREDENTIAL": json.dumps(assertion)})


def test_a_passkey_is_registered_listed_and_signs_the_user_in(idp, cognate):
    app = passkey_app(idp)
    user = confirmed_user(app, cognate)
    access = app.tokens(user.username)["AccessToken"]
    authenticator = SoftAuthenticator()
    options = register(app, access, authenticator)
    assert options["rp"]["id"] == RP
    assert options["user"]["name"] == user.username
    assert {"alg": -7, "type": "public-key"} in options["pubKeyCredParams"]
    listed = idp.list_web_authn_credentials(AccessToken=access)["Credentials"]
    assert len(listed) == 1
    entry = listed[0]
    assert entry["RelyingPartyId"] == RP and entry["AuthenticatorAttachment"] == "platform"
    assert entry["AuthenticatorTransports"] == ["internal"] and entry["FriendlyCredentialName"]
    assert idp.get_user_auth_factors(AccessToken=access)["ConfiguredUserAuthFactors"] == ["PASSWORD", "WEB_AUTHN"]
    started = idp.initiate_auth(ClientId=app.client_id, AuthFlow="USER_AUTH",
                                AuthParameters={"USERNAME": user.username})
    assert started["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD", "WEB_AUTHN"]
    done = sign_in(app, user.username, authenticator)
    assert {"AccessToken", "IdToken", "RefreshToken"} <= set(done["AuthenticationResult"])
    # The counter moves on; an assertion that goes back is refused (a cloned authenticator).
    assert "AuthenticationResult" in sign_in(app, user.username, authenticator)
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        sign_in(app, user.username, authenticator, sign_count=1)


def test_the_assertion_must_come_from_the_pools_relying_party(idp, cognate):
    app = passkey_app(idp)
    user = confirmed_user(app, cognate)
    access = app.tokens(user.username)["AccessToken"]
    authenticator = SoftAuthenticator()
    register(app, access, authenticator)
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        sign_in(app, user.username, authenticator, origin="https://evil.example.net")
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        sign_in(app, user.username, authenticator, user_verified=False)
    # A subdomain of the relying party is a page of it.
    assert "AuthenticationResult" in sign_in(app, user.username, authenticator, origin=f"https://login.{RP}")


def test_registration_errors_are_cognitos_webauthn_exceptions(idp, cognate):
    app = passkey_app(idp)
    user = confirmed_user(app, cognate)
    access = app.tokens(user.username)["AccessToken"]
    with pytest.raises(idp.exceptions.WebAuthnChallengeNotFoundException):
        idp.complete_web_authn_registration(AccessToken=access, Credential={"id": "x"})
    options = idp.start_web_authn_registration(AccessToken=access)["CredentialCreationOptions"]
    wrong_origin = SoftAuthenticator().register(options, "https://evil.example.net")
    with pytest.raises(idp.exceptions.WebAuthnOriginNotAllowedException):
        idp.complete_web_authn_registration(AccessToken=access, Credential=wrong_origin)
    options = idp.start_web_authn_registration(AccessToken=access)["CredentialCreationOptions"]
    wrong_rp = SoftAuthenticator().register(options, ORIGIN, rp_id="other.example.org")
    with pytest.raises(idp.exceptions.WebAuthnRelyingPartyMismatchException):
        idp.complete_web_authn_registration(AccessToken=access, Credential=wrong_rp)
    # A spent or replaced registration cannot be completed.
    options = idp.start_web_authn_registration(AccessToken=access)["CredentialCreationOptions"]
    good = SoftAuthenticator().register(options, ORIGIN)
    idp.complete_web_authn_registration(AccessToken=access, Credential=good)
    with pytest.raises(idp.exceptions.WebAuthnChallengeNotFoundException):
        idp.complete_web_authn_registration(AccessToken=access, Credential=good)
    assert len(idp.list_web_authn_credentials(AccessToken=access)["Credentials"]) == 1


def test_a_registered_authenticator_is_excluded_from_a_second_registration(idp, cognate):
    app = passkey_app(idp)
    user = confirmed_user(app, cognate)
    access = app.tokens(user.username)["AccessToken"]
    authenticator = SoftAuthenticator()
    register(app, access, authenticator)
    options = idp.start_web_authn_registration(AccessToken=access)["CredentialCreationOptions"]
    assert len(options["excludeCredentials"]) == 1
    with pytest.raises(AuthenticatorError):
        authenticator.register(options, ORIGIN)


def test_passkeys_need_the_pool_to_allow_them(idp, cognate):
    app = passkey_app(idp, policy={})
    user = confirmed_user(app, cognate)
    access = app.tokens(user.username)["AccessToken"]
    with pytest.raises(idp.exceptions.WebAuthnNotEnabledException):
        idp.start_web_authn_registration(AccessToken=access)
    bare = passkey_app(idp, rp=None)
    user = confirmed_user(bare, cognate)
    access = bare.tokens(user.username)["AccessToken"]
    with pytest.raises(idp.exceptions.WebAuthnConfigurationMissingException) as err:
        idp.start_web_authn_registration(AccessToken=access)
    assert "RelyingPartyId" in error_message(err.value)


def test_required_mfa_and_single_factor_passkeys_do_not_mix(idp):
    app = passkey_app(idp)
    with pytest.raises(idp.exceptions.InvalidParameterException) as err:
        idp.set_user_pool_mfa_config(UserPoolId=app.pool_id, MfaConfiguration="ON",
                                     SoftwareTokenMfaConfiguration={"Enabled": True},
                                     WebAuthnConfiguration={"RelyingPartyId": RP})
    assert "SINGLE_FACTOR" in error_message(err.value)


def test_a_deleted_passkey_no_longer_signs_in(idp, cognate):
    app = passkey_app(idp)
    user = confirmed_user(app, cognate)
    access = app.tokens(user.username)["AccessToken"]
    authenticator = SoftAuthenticator(attachment="cross-platform")
    register(app, access, authenticator)
    credential = idp.list_web_authn_credentials(AccessToken=access)["Credentials"][0]
    assert credential["AuthenticatorAttachment"] == "cross-platform"
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.delete_web_authn_credential(AccessToken=access, CredentialId="not-a-credential")
    idp.delete_web_authn_credential(AccessToken=access, CredentialId=credential["CredentialId"])
    assert idp.list_web_authn_credentials(AccessToken=access)["Credentials"] == []
    started = idp.initiate_auth(ClientId=app.client_id, AuthFlow="USER_AUTH",
                                AuthParameters={"USERNAME": user.username, "PREFERRED_CHALLENGE": "WEB_AUTHN"})
    assert started["ChallengeName"] == "SELECT_CHALLENGE"
    assert "WEB_AUTHN" not in started["AvailableChallenges"]
