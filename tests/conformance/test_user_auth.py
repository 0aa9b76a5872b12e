"""Choice-based sign-in (``USER_AUTH``) with boto3 and pycognito: the pool's
``Policies.SignInPolicy.AllowedFirstAuthFactors``, ``SELECT_CHALLENGE`` with the top-level
``AvailableChallenges``, ``PREFERRED_CHALLENGE``, passwordless email and SMS codes (eight digits),
a password or SRP as the first factor with MFA after it, ConfirmSignUp's ``Session`` that signs
the new user in, and GetUserAuthFactors.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from pycognito.aws_srp import AWSSRP

from helpers import PASSWORD, App, confirmed_user, error_message, make_app, sign_up_user, unique_name

CHOICE = {"ExplicitAuthFlows": ["ALLOW_USER_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}
EMAIL_FIRST = {"Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}}}
SNS = {"SnsCallerArn": "arn:aws:iam::123456789012:role/cognito-sms"}
EIGHT_DIGITS = re.compile(r"\b(\d{8})\b")


def passwordless_app(idp: Any, pool: dict | None = None) -> App:
    return make_app(idp, pool={**EMAIL_FIRST, **(pool or {})}, client=CHOICE)


def user_auth(app: App, username: str, **params: str) -> dict:
    return app.idp.initiate_auth(ClientId=app.client_id, AuthFlow="USER_AUTH",
                                 AuthParameters={"USERNAME": username, **params})


def respond(app: App, name: str, session: str, **responses: str) -> dict:
    return app.idp.respond_to_auth_challenge(
        ClientId=app.client_id, ChallengeName=name, Session=session, ChallengeResponses=responses
    )


def sign_in_code(cognate: Any, to: str, after_id: int | None = None) -> str:
    entry = cognate.latest_message(to, after_id=after_id)
    match = EIGHT_DIGITS.search(entry["body"])
    assert match, entry["body"]
    return match.group(1)


def last_outbox_id(cognate: Any, to: str) -> int:
    return cognate.latest_message(to)["id"]


def test_the_sign_in_policy_is_stored_and_described(idp):
    app = passwordless_app(idp)
    described = idp.describe_user_pool(UserPoolId=app.pool_id)["UserPool"]
    assert described["Policies"]["SignInPolicy"] == {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}
    plain = make_app(idp)
    described = idp.describe_user_pool(UserPoolId=plain.pool_id)["UserPool"]
    assert described["Policies"]["SignInPolicy"] == {"AllowedFirstAuthFactors": ["PASSWORD"]}


@pytest.mark.parametrize("factors, message", [
    (["EMAIL_OTP"], "PASSWORD must be one of the AllowedFirstAuthFactors."),
    (["PASSWORD", "SOFTWARE_TOKEN"], "SOFTWARE_TOKEN is not currently supported as a first auth factor."),
])
def test_a_sign_in_policy_cognito_refuses_is_refused(idp, factors, message):
    with pytest.raises(idp.exceptions.InvalidParameterException) as err:
        idp.create_user_pool(PoolName=unique_name("pool"),
                             Policies={"SignInPolicy": {"AllowedFirstAuthFactors": factors}})
    assert error_message(err.value) == message


def test_passwordless_codes_and_required_mfa_do_not_mix(idp):
    app = passwordless_app(idp)
    with pytest.raises(idp.exceptions.InvalidParameterException) as err:
        idp.set_user_pool_mfa_config(UserPoolId=app.pool_id, MfaConfiguration="ON",
                                     SoftwareTokenMfaConfiguration={"Enabled": True})
    assert error_message(err.value) == (
        "Only PASSWORD and WEB_AUTHN (if configured) can be enabled as an auth factor if MFA is enabled")
    assert idp.get_user_pool_mfa_config(UserPoolId=app.pool_id)["MfaConfiguration"] == "OFF"


def test_user_auth_needs_the_client_to_allow_it(idp, cognate):
    app = make_app(idp, pool=EMAIL_FIRST)
    user = confirmed_user(app, cognate)
    with pytest.raises(idp.exceptions.InvalidParameterException) as err:
        user_auth(app, user.username)
    assert error_message(err.value) == "USER_AUTH flow not enabled for this client"


def test_select_challenge_offers_what_the_pool_and_user_allow(idp, cognate):
    app = passwordless_app(idp)
    user = confirmed_user(app, cognate)
    started = user_auth(app, user.username)
    assert started["ChallengeName"] == "SELECT_CHALLENGE"
    assert started["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD", "EMAIL_OTP"]
    assert started["ChallengeParameters"] == {}
    # An unverified address is not a way in.
    unverified = sign_up_user(app)
    app.admin_confirm(unverified.username)
    assert user_auth(app, unverified.username)["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD"]


def test_an_emailed_code_signs_the_user_in(idp, cognate, smtp_server):
    app = passwordless_app(idp)
    user = confirmed_user(app, cognate)
    before = last_outbox_id(cognate, user.email)
    started = user_auth(app, user.username)
    chosen = respond(app, "SELECT_CHALLENGE", started["Session"], USERNAME=user.username, ANSWER="EMAIL_OTP")
    assert chosen["ChallengeName"] == "EMAIL_OTP"
    assert chosen["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    code = sign_in_code(cognate, user.email, after_id=before)
    with pytest.raises(idp.exceptions.CodeMismatchException):
        respond(app, "EMAIL_OTP", chosen["Session"], USERNAME=user.username,
                EMAIL_OTP_CODE=str((int(code) + 1) % 100_000_000).zfill(8))
    done = respond(app, "EMAIL_OTP", chosen["Session"], USERNAME=user.username, EMAIL_OTP_CODE=code)
    assert {"AccessToken", "IdToken", "RefreshToken"} <= set(done["AuthenticationResult"])


def test_a_preferred_challenge_goes_straight_to_that_factor(idp, cognate):
    app = passwordless_app(idp)
    user = confirmed_user(app, cognate)
    before = last_outbox_id(cognate, user.email)
    started = user_auth(app, user.username, PREFERRED_CHALLENGE="EMAIL_OTP")
    assert started["ChallengeName"] == "EMAIL_OTP"
    assert started["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD", "EMAIL_OTP"]
    code = sign_in_code(cognate, user.email, after_id=before)
    assert "AuthenticationResult" in respond(app, "EMAIL_OTP", started["Session"], USERNAME=user.username,
                                             EMAIL_OTP_CODE=code)
    done = user_auth(app, user.username, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    assert "AccessToken" in done["AuthenticationResult"]
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        user_auth(app, user.username, PREFERRED_CHALLENGE="PASSWORD", PASSWORD="Wr0ng-password!")


def test_a_password_or_srp_answers_select_challenge(idp, cognate):
    app = passwordless_app(idp)
    user = confirmed_user(app, cognate)
    started = user_auth(app, user.username)
    done = respond(app, "SELECT_CHALLENGE", started["Session"], USERNAME=user.username, ANSWER="PASSWORD",
                   PASSWORD=PASSWORD)
    assert "AccessToken" in done["AuthenticationResult"]
    srp = AWSSRP(username=user.username, password=PASSWORD, pool_id=app.pool_id, client_id=app.client_id,
                 client=idp)
    started = user_auth(app, user.username)
    verifier = respond(app, "SELECT_CHALLENGE", started["Session"], USERNAME=user.username,
                       ANSWER="PASSWORD_SRP", SRP_A=srp.get_auth_params()["SRP_A"])
    assert verifier["ChallengeName"] == "PASSWORD_VERIFIER"
    claim = srp.process_challenge(verifier["ChallengeParameters"], srp.get_auth_params())
    done = respond(app, "PASSWORD_VERIFIER", verifier["Session"], **claim)
    assert "AccessToken" in done["AuthenticationResult"]


def test_a_factor_that_was_not_offered_is_refused(idp, cognate):
    app = make_app(idp, client=CHOICE)
    user = confirmed_user(app, cognate)
    started = user_auth(app, user.username)
    assert started["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD"]
    with pytest.raises(idp.exceptions.InvalidParameterException):
        respond(app, "SELECT_CHALLENGE", started["Session"], USERNAME=user.username, ANSWER="EMAIL_OTP")


def test_mfa_follows_a_password_and_takes_passwordless_off_the_menu(idp, cognate):
    import pyotp

    app = passwordless_app(idp)
    idp.set_user_pool_mfa_config(UserPoolId=app.pool_id, MfaConfiguration="OPTIONAL",
                                 SoftwareTokenMfaConfiguration={"Enabled": True})
    user = confirmed_user(app, cognate)
    access = app.tokens(user.username)["AccessToken"]
    secret = idp.associate_software_token(AccessToken=access)["SecretCode"]
    idp.verify_software_token(AccessToken=access, UserCode=pyotp.TOTP(secret).now())
    idp.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True})
    started = user_auth(app, user.username)
    assert started["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD"]
    second = respond(app, "SELECT_CHALLENGE", started["Session"], USERNAME=user.username, ANSWER="PASSWORD",
                     PASSWORD=PASSWORD)
    assert second["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_sms_codes_sign_in_users_with_a_verified_phone(idp, cognate):
    app = make_app(idp, pool={"Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "SMS_OTP"]}},
                              "SmsConfiguration": SNS}, client=CHOICE)
    user = confirmed_user(app, cognate)
    phone = "+15555550188"
    idp.admin_update_user_attributes(UserPoolId=app.pool_id, Username=user.username, UserAttributes=[
        {"Name": "phone_number", "Value": phone}, {"Name": "phone_number_verified", "Value": "true"}])
    started = user_auth(app, user.username, PREFERRED_CHALLENGE="SMS_OTP")
    assert started["ChallengeName"] == "SMS_OTP"
    assert started["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "+*******0188"
    code = sign_in_code(cognate, phone)
    done = respond(app, "SMS_OTP", started["Session"], USERNAME=user.username, SMS_OTP_CODE=code)
    assert "AccessToken" in done["AuthenticationResult"]


def test_confirm_sign_up_returns_a_session_that_signs_the_user_in_once(idp, cognate):
    app = passwordless_app(idp)
    user = sign_up_user(app)
    confirmed = app.confirm(user.username, cognate.latest_code(user.email))
    session = confirmed["Session"]
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.initiate_auth(ClientId=app.client_id, AuthFlow="USER_AUTH", Session=session,
                          AuthParameters={"USERNAME": "someone-else"})
    other = sign_up_user(app)
    app.confirm(other.username, cognate.latest_code(other.email))
    done = idp.initiate_auth(ClientId=app.client_id, AuthFlow="USER_AUTH", Session=confirmed["Session"],
                             AuthParameters={"USERNAME": user.username})
    assert "AccessToken" in done["AuthenticationResult"]
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.initiate_auth(ClientId=app.client_id, AuthFlow="USER_AUTH", Session=confirmed["Session"],
                          AuthParameters={"USERNAME": user.username})


def test_no_session_for_clients_that_cannot_use_it(idp, cognate):
    app = make_app(idp)
    user = sign_up_user(app)
    confirmed = app.confirm(user.username, cognate.latest_code(user.email))
    assert "Session" not in confirmed


def test_get_user_auth_factors_lists_what_the_user_has_set_up(idp, cognate):
    app = passwordless_app(idp)
    user = confirmed_user(app, cognate)
    access = app.tokens(user.username)["AccessToken"]
    got = idp.get_user_auth_factors(AccessToken=access)
    assert got["Username"] == user.username
    assert got["ConfiguredUserAuthFactors"] == ["PASSWORD", "EMAIL_OTP"]
    admin = idp.admin_get_user_auth_factors(UserPoolId=app.pool_id, Username=user.username)
    assert admin["ConfiguredUserAuthFactors"] == ["PASSWORD", "EMAIL_OTP"]
    assert "UserMFASettingList" not in admin
