"""Second factors with boto3 and pyotp: the pool's MFA configuration, authenticator apps
(AssociateSoftwareToken / VerifySoftwareToken, RFC 6238 codes from pyotp), SMS and email
codes, the user's preferences, and the challenges every sign-in path ends in when the pool
asks for a second factor (SOFTWARE_TOKEN_MFA, SMS_MFA, EMAIL_OTP, SELECT_MFA_TYPE, MFA_SETUP).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pyotp
import pytest
from pycognito.aws_srp import AWSSRP

from helpers import PASSWORD, App, admin_create_user, confirmed_user, error_message, make_app, unique_name

SNS = {"SnsCallerArn": "arn:aws:iam::123456789012:role/cognito-sms", "ExternalId": "cognate-tests"}
TOTP_ONLY = {"SoftwareTokenMfaConfiguration": {"Enabled": True}}
SRP_AND_PASSWORD = {
    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH",
                          "ALLOW_REFRESH_TOKEN_AUTH"],
}


def mfa_app(idp: Any, mode: str = "OPTIONAL", **config: Any) -> App:
    app = make_app(idp, client=SRP_AND_PASSWORD)
    idp.set_user_pool_mfa_config(UserPoolId=app.pool_id, MfaConfiguration=mode, **(config or TOTP_ONLY))
    return app


def next_code(secret: str) -> str:
    """The code of the next 30-second step: inside Cognito's one-step skew, and never the step
    VerifySoftwareToken just spent."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def set_up_app(app: App, username: str, password: str = PASSWORD) -> str:
    """Signs in, pairs an authenticator app by access token and turns it on; returns the secret."""
    tokens = app.tokens(username, password)
    secret = app.idp.associate_software_token(AccessToken=tokens["AccessToken"])["SecretCode"]
    code = pyotp.TOTP(secret).now()
    verified = app.idp.verify_software_token(AccessToken=tokens["AccessToken"], UserCode=code,
                                             FriendlyDeviceName="my phone")
    assert verified["Status"] == "SUCCESS"
    app.idp.set_user_mfa_preference(
        AccessToken=tokens["AccessToken"],
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    return secret


def respond(app: App, name: str, session: str, **responses: str) -> dict:
    return app.idp.respond_to_auth_challenge(
        ClientId=app.client_id, ChallengeName=name, Session=session, ChallengeResponses=responses
    )


# ----------------------------------------------------------------------------- pool configuration


def test_a_new_pool_has_mfa_off_and_nothing_else(idp):
    app = make_app(idp)
    config = idp.get_user_pool_mfa_config(UserPoolId=app.pool_id)
    config.pop("ResponseMetadata")
    assert config == {"MfaConfiguration": "OFF"}
    assert idp.describe_user_pool(UserPoolId=app.pool_id)["UserPool"]["MfaConfiguration"] == "OFF"


def test_set_user_pool_mfa_config_replaces_the_whole_configuration(idp):
    app = make_app(idp)
    answer = idp.set_user_pool_mfa_config(
        UserPoolId=app.pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
        EmailMfaConfiguration={"Message": "Sign-in code {####}", "Subject": "Your sign-in code"},
        SmsMfaConfiguration={"SmsAuthenticationMessage": "Code: {####}", "SmsConfiguration": SNS},
        WebAuthnConfiguration={"RelyingPartyId": "auth.example.com", "UserVerification": "required"},
    )
    answer.pop("ResponseMetadata")
    assert answer == {
        "MfaConfiguration": "OPTIONAL",
        "SoftwareTokenMfaConfiguration": {"Enabled": True},
        "EmailMfaConfiguration": {"Message": "Sign-in code {####}", "Subject": "Your sign-in code"},
        "SmsMfaConfiguration": {"SmsAuthenticationMessage": "Code: {####}", "SmsConfiguration": SNS},
        "WebAuthnConfiguration": {"RelyingPartyId": "auth.example.com", "UserVerification": "required"},
    }
    got = idp.get_user_pool_mfa_config(UserPoolId=app.pool_id)
    got.pop("ResponseMetadata")
    assert got == answer
    assert idp.describe_user_pool(UserPoolId=app.pool_id)["UserPool"]["MfaConfiguration"] == "OPTIONAL"
    # A call without the factors turns them off: the configuration is replaced, not patched.
    idp.set_user_pool_mfa_config(UserPoolId=app.pool_id)
    got = idp.get_user_pool_mfa_config(UserPoolId=app.pool_id)
    got.pop("ResponseMetadata")
    assert got == {"MfaConfiguration": "OFF"}


@pytest.mark.parametrize(
    "config, message",
    [
        (
            {"MfaConfiguration": "OFF", "SoftwareTokenMfaConfiguration": {"Enabled": True}},
            "Invalid MFA configuration given, can't turn off MFA and configure an MFA together.",
        ),
        (
            {"MfaConfiguration": "ON"},
            "Invalid MFA Configuration given. SMS MFA, Email MFA, or Software Token MFA must be enabled.",
        ),
        (
            {"MfaConfiguration": "OPTIONAL", "SoftwareTokenMfaConfiguration": {"Enabled": False}},
            "Invalid MFA Configuration given. SMS MFA, Email MFA, or Software Token MFA must be enabled.",
        ),
    ],
)
def test_an_mfa_configuration_cognito_refuses_is_refused_and_changes_nothing(idp, config, message):
    app = make_app(idp)
    idp.set_user_pool_mfa_config(UserPoolId=app.pool_id, MfaConfiguration="OPTIONAL", **TOTP_ONLY)
    with pytest.raises(idp.exceptions.InvalidParameterException) as err:
        idp.set_user_pool_mfa_config(UserPoolId=app.pool_id, **config)
    assert error_message(err.value) == message
    assert idp.get_user_pool_mfa_config(UserPoolId=app.pool_id)["MfaConfiguration"] == "OPTIONAL"


def test_create_user_pool_with_mfa_needs_a_factor(idp):
    with pytest.raises(idp.exceptions.InvalidParameterException) as err:
        idp.create_user_pool(PoolName=unique_name("pool"), MfaConfiguration="ON")
    assert "SMS configuration" in error_message(err.value)
    pool = idp.create_user_pool(PoolName=unique_name("pool"), MfaConfiguration="OPTIONAL",
                                SmsConfiguration=SNS)["UserPool"]
    assert pool["MfaConfiguration"] == "OPTIONAL"
    config = idp.get_user_pool_mfa_config(UserPoolId=pool["Id"])
    assert config["SmsMfaConfiguration"]["SmsConfiguration"] == SNS
    # UpdateUserPool without MfaConfiguration keeps it.
    idp.update_user_pool(UserPoolId=pool["Id"], SmsConfiguration=SNS)
    assert idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["MfaConfiguration"] == "OPTIONAL"


# ----------------------------------------------------------------------------- authenticator apps


def test_an_authenticator_app_needs_the_pool_to_allow_it(idp, cognate):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    tokens = app.tokens(user.username)
    with pytest.raises(idp.exceptions.SoftwareTokenMFANotFoundException) as err:
        idp.associate_software_token(AccessToken=tokens["AccessToken"])
    assert error_message(err.value) == "Software Token MFA has not been enabled by the userPool."


def test_an_app_is_verified_with_a_real_code_then_turned_on(idp, cognate):
    app = mfa_app(idp)
    user = confirmed_user(app, cognate)
    tokens = app.tokens(user.username)
    access = tokens["AccessToken"]
    secret = idp.associate_software_token(AccessToken=access)["SecretCode"]
    assert len(secret) == 32 and set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    with pytest.raises(idp.exceptions.InvalidParameterException) as err:
        idp.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True})
    assert error_message(err.value) == "User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA"
    wrong = str((int(pyotp.TOTP(secret).now()) + 1) % 1_000_000).zfill(6)
    with pytest.raises(idp.exceptions.EnableSoftwareTokenMFAException) as err:
        idp.verify_software_token(AccessToken=access, UserCode=wrong)
    assert error_message(err.value) == "Code mismatch and fail enable Software Token MFA"
    verified = idp.verify_software_token(AccessToken=access, UserCode=pyotp.TOTP(secret).now(),
                                         FriendlyDeviceName="my phone")
    assert verified["Status"] == "SUCCESS" and "Session" not in verified
    # Verified, not yet turned on: an OPTIONAL pool signs in without it.
    got = idp.get_user(AccessToken=access)
    assert "UserMFASettingList" not in got and "PreferredMfaSetting" not in got
    assert "AuthenticationResult" in app.password_auth(user.username)
    idp.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    got = idp.get_user(AccessToken=access)
    assert got["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert got["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"
    admin = app.admin_get_user(user.username)
    assert (admin["UserMFASettingList"], admin["PreferredMfaSetting"]) == (["SOFTWARE_TOKEN_MFA"], "SOFTWARE_TOKEN_MFA")


def test_sign_in_asks_for_the_app_code_and_accepts_each_code_once(idp, cognate):
    app = mfa_app(idp)
    user = confirmed_user(app, cognate)
    secret = set_up_app(app, user.username)
    first = app.password_auth(user.username)
    assert first["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert first["ChallengeParameters"]["USER_ID_FOR_SRP"] == user.username
    assert first["ChallengeParameters"]["FRIENDLY_DEVICE_NAME"] == "my phone"
    assert "AuthenticationResult" not in first
    code = next_code(secret)
    wrong = str((int(code) + 1) % 1_000_000).zfill(6)
    with pytest.raises(idp.exceptions.CodeMismatchException) as err:
        respond(app, "SOFTWARE_TOKEN_MFA", first["Session"], USERNAME=user.username, SOFTWARE_TOKEN_MFA_CODE=wrong)
    assert error_message(err.value) == "Invalid code received for user"
    # The same session takes another answer.
    done = respond(app, "SOFTWARE_TOKEN_MFA", first["Session"], USERNAME=user.username, SOFTWARE_TOKEN_MFA_CODE=code)
    assert set(done["AuthenticationResult"]) >= {"AccessToken", "IdToken", "RefreshToken"}
    with pytest.raises(idp.exceptions.NotAuthorizedException) as err:
        respond(app, "SOFTWARE_TOKEN_MFA", first["Session"], USERNAME=user.username, SOFTWARE_TOKEN_MFA_CODE=code)
    assert error_message(err.value).startswith("Invalid session for the user")
    again = app.password_auth(user.username)
    with pytest.raises(idp.exceptions.ExpiredCodeException) as err:
        respond(app, "SOFTWARE_TOKEN_MFA", again["Session"], USERNAME=user.username, SOFTWARE_TOKEN_MFA_CODE=code)
    assert error_message(err.value) == "Your software token has already been used once."


def test_a_session_takes_five_wrong_codes_then_it_is_gone(idp, cognate):
    app = mfa_app(idp)
    user = confirmed_user(app, cognate)
    secret = set_up_app(app, user.username)
    session = app.password_auth(user.username)["Session"]
    wrong = str((int(next_code(secret)) + 7) % 1_000_000).zfill(6)
    for _ in range(5):
        with pytest.raises(idp.exceptions.CodeMismatchException):
            respond(app, "SOFTWARE_TOKEN_MFA", session, USERNAME=user.username, SOFTWARE_TOKEN_MFA_CODE=wrong)
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        respond(app, "SOFTWARE_TOKEN_MFA", session, USERNAME=user.username,
                SOFTWARE_TOKEN_MFA_CODE=next_code(secret))


def test_an_srp_sign_in_ends_in_the_same_challenge(idp, cognate):
    app = mfa_app(idp)
    user = confirmed_user(app, cognate)
    secret = set_up_app(app, user.username)
    srp = AWSSRP(username=user.username, password=PASSWORD, pool_id=app.pool_id, client_id=app.client_id,
                 client=idp)
    started = idp.initiate_auth(ClientId=app.client_id, AuthFlow="USER_SRP_AUTH",
                                AuthParameters=srp.get_auth_params())
    challenge = srp.process_challenge(started["ChallengeParameters"], srp.get_auth_params())
    answered = idp.respond_to_auth_challenge(ClientId=app.client_id, ChallengeName="PASSWORD_VERIFIER",
                                             ChallengeResponses=challenge, Session=started.get("Session"))
    assert answered["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    done = respond(app, "SOFTWARE_TOKEN_MFA", answered["Session"], USERNAME=user.username,
                   SOFTWARE_TOKEN_MFA_CODE=next_code(secret))
    assert "AccessToken" in done["AuthenticationResult"]


def test_an_admin_sign_in_ends_in_the_same_challenge(idp, cognate):
    app = mfa_app(idp)
    user = confirmed_user(app, cognate)
    secret = set_up_app(app, user.username)
    admin = idp.admin_initiate_auth(UserPoolId=app.pool_id, ClientId=app.client_id,
                                    AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                    AuthParameters={"USERNAME": user.username, "PASSWORD": PASSWORD})
    assert admin["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    # The admin answer names its pool; a session of this pool's client answers there only.
    done = idp.admin_respond_to_auth_challenge(
        UserPoolId=app.pool_id, ClientId=app.client_id, ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=admin["Session"],
        ChallengeResponses={"USERNAME": user.username, "SOFTWARE_TOKEN_MFA_CODE": next_code(secret)},
    )
    assert "AccessToken" in done["AuthenticationResult"]


def test_admin_delete_software_token_removes_the_app(idp, cognate):
    app = mfa_app(idp)
    user = confirmed_user(app, cognate)
    set_up_app(app, user.username)
    idp.admin_delete_software_token(UserPoolId=app.pool_id, Username=user.username)
    got = app.admin_get_user(user.username)
    assert "UserMFASettingList" not in got
    assert "AuthenticationResult" in app.password_auth(user.username)


# ----------------------------------------------------------------------------- MFA required


def test_mfa_on_makes_a_user_without_a_factor_set_one_up(idp, cognate):
    app = mfa_app(idp, mode="ON")
    user = confirmed_user(app, cognate)
    started = app.password_auth(user.username)
    assert started["ChallengeName"] == "MFA_SETUP"
    assert json.loads(started["ChallengeParameters"]["MFAS_CAN_SETUP"]) == ["SOFTWARE_TOKEN_MFA"]
    # MFA_SETUP cannot be answered before an app is verified.
    associated = idp.associate_software_token(Session=started["Session"])
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.associate_software_token(Session=started["Session"])  # each session is spent once
    secret = associated["SecretCode"]
    verified = idp.verify_software_token(Session=associated["Session"], UserCode=pyotp.TOTP(secret).now(),
                                         FriendlyDeviceName="laptop")
    assert verified["Status"] == "SUCCESS"
    done = respond(app, "MFA_SETUP", verified["Session"], USERNAME=user.username)
    assert "AccessToken" in done["AuthenticationResult"]
    got = app.admin_get_user(user.username)
    assert (got["UserMFASettingList"], got["PreferredMfaSetting"]) == (["SOFTWARE_TOKEN_MFA"], "SOFTWARE_TOKEN_MFA")
    # From now on the app is asked for.
    assert app.password_auth(user.username)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_a_wrong_code_during_setup_keeps_the_session(idp, cognate):
    app = mfa_app(idp, mode="ON")
    user = confirmed_user(app, cognate)
    started = app.password_auth(user.username)
    associated = idp.associate_software_token(Session=started["Session"])
    wrong = str((int(pyotp.TOTP(associated["SecretCode"]).now()) + 3) % 1_000_000).zfill(6)
    with pytest.raises(idp.exceptions.EnableSoftwareTokenMFAException):
        idp.verify_software_token(Session=associated["Session"], UserCode=wrong)
    with pytest.raises(idp.exceptions.InvalidParameterException):
        respond(app, "MFA_SETUP", associated["Session"], USERNAME=user.username)
    verified = idp.verify_software_token(Session=associated["Session"],
                                         UserCode=pyotp.TOTP(associated["SecretCode"]).now())
    assert "AuthenticationResult" in respond(app, "MFA_SETUP", verified["Session"], USERNAME=user.username)


def test_mfa_setup_follows_a_new_password(idp, cognate):
    app = mfa_app(idp, mode="ON")
    created = admin_create_user(app, temporary="Temp-pass-1A")
    started = app.password_auth(created.username, "Temp-pass-1A")
    assert started["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    setup = respond(app, "NEW_PASSWORD_REQUIRED", started["Session"], USERNAME=created.username,
                    NEW_PASSWORD=PASSWORD)
    assert setup["ChallengeName"] == "MFA_SETUP"
    assert app.admin_get_user(created.username)["UserStatus"] == "CONFIRMED"


# ----------------------------------------------------------------------------- SMS and email codes


def test_sms_mfa_sends_a_code_to_the_phone(idp, cognate):
    app = make_app(idp, pool={"MfaConfiguration": "OPTIONAL", "SmsConfiguration": SNS,
                              "SmsAuthenticationMessage": "Your sign-in code is {####}."},
                   client=SRP_AND_PASSWORD)
    user = confirmed_user(app, cognate)
    phone = "+15555550123"
    idp.admin_update_user_attributes(UserPoolId=app.pool_id, Username=user.username,
                                     UserAttributes=[{"Name": "phone_number", "Value": phone}])
    idp.admin_set_user_mfa_preference(UserPoolId=app.pool_id, Username=user.username,
                                      SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
    got = app.admin_get_user(user.username)
    assert got["MFAOptions"] == [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    started = app.password_auth(user.username)
    assert started["ChallengeName"] == "SMS_MFA"
    params = started["ChallengeParameters"]
    assert params["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    assert params["CODE_DELIVERY_DESTINATION"] == "+*******0123"
    message = cognate.latest_message(phone)
    assert message["body"].startswith("Your sign-in code is ")
    code = cognate.latest_code(phone)
    with pytest.raises(idp.exceptions.CodeMismatchException) as err:
        respond(app, "SMS_MFA", started["Session"], USERNAME=user.username,
                SMS_MFA_CODE=str((int(code) + 1) % 1_000_000).zfill(6))
    assert error_message(err.value) == "Invalid code or auth state for the user."
    done = respond(app, "SMS_MFA", started["Session"], USERNAME=user.username, SMS_MFA_CODE=code)
    assert "AccessToken" in done["AuthenticationResult"]


def test_sms_needs_a_phone_number_to_be_turned_on(idp, cognate):
    app = make_app(idp, pool={"MfaConfiguration": "OPTIONAL", "SmsConfiguration": SNS})
    user = confirmed_user(app, cognate)
    with pytest.raises(idp.exceptions.InvalidParameterException) as err:
        idp.admin_set_user_mfa_preference(UserPoolId=app.pool_id, Username=user.username,
                                          SMSMfaSettings={"Enabled": True})
    assert error_message(err.value) == "User does not have delivery config set to turn on SMS_MFA"


def test_email_otp_mails_a_code_with_the_pools_template(idp, cognate, smtp_server):
    app = mfa_app(idp, EmailMfaConfiguration={"Message": "Your code: {####}", "Subject": "Sign-in code"})
    user = confirmed_user(app, cognate)
    idp.admin_set_user_mfa_preference(UserPoolId=app.pool_id, Username=user.username,
                                      EmailMfaSettings={"Enabled": True})
    started = app.password_auth(user.username)
    assert started["ChallengeName"] == "EMAIL_OTP"
    assert started["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    mail = smtp_server.wait_for_mail(user.email)
    assert mail.subject == "Sign-in code"
    code = cognate.latest_code(user.email)
    assert f"Your code: {code}" in mail.body
    done = respond(app, "EMAIL_OTP", started["Session"], USERNAME=user.username, EMAIL_OTP_CODE=code)
    assert "AccessToken" in done["AuthenticationResult"]


def test_several_factors_without_a_preference_let_the_user_choose(idp, cognate):
    app = mfa_app(idp, SoftwareTokenMfaConfiguration={"Enabled": True},
                  EmailMfaConfiguration={"Message": "Your code: {####}"})
    user = confirmed_user(app, cognate)
    secret = set_up_app(app, user.username)
    idp.admin_set_user_mfa_preference(UserPoolId=app.pool_id, Username=user.username,
                                      EmailMfaSettings={"Enabled": True},
                                      SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False})
    got = app.admin_get_user(user.username)
    assert got["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]
    assert "PreferredMfaSetting" not in got
    started = app.password_auth(user.username)
    assert started["ChallengeName"] == "SELECT_MFA_TYPE"
    assert json.loads(started["ChallengeParameters"]["MFAS_CAN_CHOOSE"]) == ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]
    with pytest.raises(idp.exceptions.InvalidParameterException):
        respond(app, "SELECT_MFA_TYPE", started["Session"], USERNAME=user.username, ANSWER="SMS_MFA")
    chosen = respond(app, "SELECT_MFA_TYPE", started["Session"], USERNAME=user.username,
                     ANSWER="SOFTWARE_TOKEN_MFA")
    assert chosen["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    done = respond(app, "SOFTWARE_TOKEN_MFA", chosen["Session"], USERNAME=user.username,
                   SOFTWARE_TOKEN_MFA_CODE=next_code(secret))
    assert "AccessToken" in done["AuthenticationResult"]
    # With a preference, the preferred factor is asked for straight away.
    idp.admin_set_user_mfa_preference(UserPoolId=app.pool_id, Username=user.username,
                                      EmailMfaSettings={"Enabled": True, "PreferredMfa": True})
    assert app.password_auth(user.username)["ChallengeName"] == "EMAIL_OTP"

