"""What each trigger sees and changes, through the Invoke API stand-in (lambda_stub.py):
PostConfirmation, CustomMessage, PreAuthentication, PostAuthentication, PreTokenGeneration
(V1 and V2) and UserMigration."""

from __future__ import annotations

import time

import pytest

from helpers import PASSWORD, OTHER_PASSWORD, attr_map, error_code, make_app, unique_email, \
    unique_name
from trigger_helpers import (
    HANDLERS,
    arn,
    assert_all_strings,
    assert_no_user,
    assert_pre_token_v2_claims,
    lambda_error,
    pre_token_v2_pool,
    trigger_config,
    verified_claims,
)

ENVELOPE_KEYS = {"version", "triggerSource", "region", "userPoolId", "userName", "callerContext",
                 "request", "response"}
SDK = "aws-sdk-unknown-unknown"


@pytest.fixture
def server(start_cognate, lambda_stub):
    """cognate whose default Invoke API endpoint is the stub."""
    return start_cognate(config=trigger_config(endpoint=lambda_stub.url))


def app_with(server, pool: dict | None = None, **triggers: str):
    """A pool whose LambdaConfig maps each trigger keyword to ``arn(<function name>)``."""
    options = dict(pool or {})
    if triggers:
        options["LambdaConfig"] = {trigger: arn(name) for trigger, name in triggers.items()}
    return make_app(server.idp(), pool=options)


def confirmed(app, smtp_server, prefix: str = "user") -> tuple[str, str, str]:
    """Sign up + confirm with the mailed code; returns (username, email, sub)."""
    username, email = unique_name(prefix), unique_email(prefix)
    sub = app.sign_up(username, email=email)["UserSub"]
    app.confirm(username, smtp_server.wait_for_mail(email).code)
    return username, email, sub


def sign_in(app, username: str, password: str = PASSWORD, metadata: dict | None = None) -> dict:
    params = {"ClientId": app.client_id, "AuthFlow": "USER_PASSWORD_AUTH",
              "AuthParameters": {"USERNAME": username, "PASSWORD": password}}
    if metadata is not None:
        params["ClientMetadata"] = metadata
    return app.idp.initiate_auth(**params)


def refresh(app, refresh_token: str) -> dict:
    return app.idp.initiate_auth(ClientId=app.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                 AuthParameters={"REFRESH_TOKEN": refresh_token})


def assert_envelope(event: dict, app, source: str, username: str,
                    client_id: str | None = None, version: str = "1") -> None:
    assert set(event) == ENVELOPE_KEYS, sorted(event)
    assert event["version"] == version
    assert event["triggerSource"] == source
    assert event["region"] == "us-east-1"
    assert event["userPoolId"] == app.pool_id
    assert event["userName"] == username
    assert event["callerContext"] == {"awsSdkVersion": SDK,
                                      "clientId": client_id or app.client_id}
    assert_all_strings(event["request"]["userAttributes"])


# =========================================================================== PostConfirmation


def test_post_confirmation_receives_client_metadata_and_the_confirmed_user(
        server, lambda_stub, smtp_server):
    lambda_stub.register("welcome", lambda event: event)
    app = app_with(server, PostConfirmation="welcome")
    username, email = unique_name("welcome"), unique_email("welcome")
    sub = app.sign_up(username, email=email)["UserSub"]
    assert lambda_stub.calls("welcome") == [], "PostConfirmation runs at confirmation only"

    app.confirm(username, smtp_server.wait_for_mail(email).code,
                ClientMetadata={"plan": "pro", "referrer": "newsletter"})
    (event,) = lambda_stub.events("welcome")
    assert_envelope(event, app, "PostConfirmation_ConfirmSignUp", username)
    attributes = event["request"]["userAttributes"]
    assert attributes["sub"] == sub
    assert attributes["email"] == email
    assert attributes["email_verified"] == "true"
    assert attributes["cognito:user_status"] == "CONFIRMED"
    assert event["request"]["clientMetadata"] == {"plan": "pro", "referrer": "newsletter"}
    assert event["response"] == {}
    assert app.admin_get_user(username)["UserStatus"] == "CONFIRMED"


def test_post_confirmation_without_client_metadata(server, lambda_stub, smtp_server):
    lambda_stub.register("welcome", lambda event: event)
    app = app_with(server, PostConfirmation="welcome")
    username, _, _ = confirmed(app, smtp_server, "nometa")
    event = lambda_stub.last_event("welcome")
    assert event["request"].get("clientMetadata") in (None, {})
    assert event["userName"] == username


# =========================================================================== CustomMessage


def test_custom_message_text_arrives_at_the_smtp_listener_on_sign_up(server, lambda_stub,
                                                                     smtp_server):
    lambda_stub.register_file("brandedMail", HANDLERS / "custom_message.py")
    app = app_with(server, CustomMessage="brandedMail")
    username, email = unique_name("branded"), unique_email("branded")
    response = app.sign_up(username, email=email, ClientMetadata={"lang": "en"})
    assert response["UserConfirmed"] is False
    assert response["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"

    mail = smtp_server.wait_for_mail(email)
    assert mail.subject == "Welcome to the service"
    assert f"Thank you for signing up. {mail.code} is your verification code." in mail.body
    assert "{####}" not in mail.body

    (event,) = lambda_stub.events("brandedMail")
    assert_envelope(event, app, "CustomMessage_SignUp", username)
    assert event["request"]["userAttributes"]["email"] == email
    assert event["request"]["codeParameter"] == "{####}"
    assert event["request"]["usernameParameter"] is None
    assert event["request"]["clientMetadata"] == {"lang": "en"}
    assert event["response"] == {"smsMessage": None, "emailMessage": None, "emailSubject": None}

    app.confirm(username, mail.code)  # the substituted code is the real one
    assert app.admin_get_user(username)["UserStatus"] == "CONFIRMED"


def test_custom_message_text_arrives_at_the_smtp_listener_on_resend(server, lambda_stub,
                                                                    smtp_server):
    lambda_stub.register_file("brandedMail", HANDLERS / "custom_message.py")
    app = app_with(server, CustomMessage="brandedMail")
    username, email = unique_name("resent"), unique_email("resent")
    app.sign_up(username, email=email)
    first = smtp_server.wait_for_mail(email)

    app.resend(username, ClientMetadata={"reason": "lost-mail"})
    second = smtp_server.wait_for_mail(email, after=first)
    assert second.subject == "Your new code"
    assert f"Here is a fresh code: {second.code} (resent)." in second.body

    event = lambda_stub.last_event("brandedMail")
    assert_envelope(event, app, "CustomMessage_ResendCode", username)
    assert event["request"]["codeParameter"] == "{####}"
    assert event["request"]["usernameParameter"] is None
    assert event["request"]["clientMetadata"] == {"reason": "lost-mail"}
    assert [e["triggerSource"] for e in lambda_stub.events("brandedMail")] == [
        "CustomMessage_SignUp", "CustomMessage_ResendCode"]

    app.confirm(username, second.code)
    assert app.admin_get_user(username)["UserStatus"] == "CONFIRMED"


def test_custom_message_writes_the_emailed_sign_in_code(server, lambda_stub, smtp_server):
    """An email MFA code (and a passwordless one) is a CustomMessage_Authentication message."""
    def branded(event):
        event["response"]["emailSubject"] = "Your sign-in code"
        event["response"]["emailMessage"] = f"Hello {event['userName']}, use {event['request']['codeParameter']}"
        return event

    lambda_stub.register("signInMail", branded)
    app = app_with(server, CustomMessage="signInMail")
    app.idp.set_user_pool_mfa_config(UserPoolId=app.pool_id, MfaConfiguration="OPTIONAL",
                                     EmailMfaConfiguration={"Message": "Code {####}"})
    username, email, _ = confirmed(app, smtp_server, "mfamail")
    app.idp.admin_set_user_mfa_preference(UserPoolId=app.pool_id, Username=username,
                                          EmailMfaSettings={"Enabled": True})
    started = sign_in(app, username, metadata={"lang": "en"})
    assert started["ChallengeName"] == "EMAIL_OTP"
    mail = smtp_server.wait_for_mail(email)
    assert mail.subject == "Your sign-in code"
    assert mail.body.strip() == f"Hello {username}, use {mail.code}"
    event = lambda_stub.last_event("signInMail")
    assert_envelope(event, app, "CustomMessage_Authentication", username)
    assert event["request"]["codeParameter"] == "{####}"
    assert event["request"]["clientMetadata"] == {"lang": "en"}
    done = app.idp.respond_to_auth_challenge(
        ClientId=app.client_id, ChallengeName="EMAIL_OTP", Session=started["Session"],
        ChallengeResponses={"USERNAME": username, "EMAIL_OTP_CODE": mail.code})
    assert "AccessToken" in done["AuthenticationResult"]


def test_custom_message_without_the_code_placeholder_is_invalid_lambda_response(
        server, lambda_stub, smtp_server):
    def lost_placeholder(event):
        event["response"]["emailSubject"] = "Hello"
        event["response"]["emailMessage"] = "Welcome aboard! (no code here)"
        return event
    lambda_stub.register("brandedMail", lost_placeholder)
    app = app_with(server, CustomMessage="brandedMail")
    email = unique_email("nocode")
    lambda_error(lambda: app.sign_up(unique_name("nocode"), email=email),
                 "InvalidLambdaResponseException")
    time.sleep(0.5)  # give a (wrongly) queued message time to arrive
    assert not [m for m in smtp_server.messages(email) if "Welcome aboard" in m.body], \
        "a message without the code must not be sent"


def test_custom_message_that_changes_nothing_sends_the_default_message(server, lambda_stub,
                                                                       smtp_server):
    lambda_stub.register("brandedMail", lambda event: event)
    app = app_with(server, CustomMessage="brandedMail")
    username, email = unique_name("default"), unique_email("default")
    app.sign_up(username, email=email)
    mail = smtp_server.wait_for_mail(email)
    assert f"Your verification code is {mail.code}." in mail.body
    assert len(lambda_stub.calls("brandedMail")) == 1
    app.confirm(username, mail.code)


# =========================================================================== authentication


def test_pre_authentication_rejection_blocks_sign_in(server, lambda_stub, smtp_server):
    lambda_stub.register("gate", lambda event: event)
    app = app_with(server, PreAuthentication="gate")
    username, email, sub = confirmed(app, smtp_server, "gated")
    assert lambda_stub.calls("gate") == [], "PreAuthentication runs at sign-in only"

    lambda_stub.register("gate", lambda_stub.raises("Sign-in blocked"))
    message, _ = lambda_error(lambda: sign_in(app, username), "UserLambdaValidationException")
    assert message == "PreAuthentication failed with error Sign-in blocked."

    event = lambda_stub.last_event("gate")
    assert_envelope(event, app, "PreAuthentication_Authentication", username)
    assert event["request"]["userAttributes"]["sub"] == sub
    assert event["request"]["userAttributes"]["email"] == email
    assert "validationData" in event["request"]
    assert event["request"]["userNotFound"] is False
    assert event["response"] == {}

    lambda_stub.register("gate", lambda event: event)
    assert sign_in(app, username)["AuthenticationResult"]["AccessToken"]


def test_post_authentication_is_called_after_a_successful_sign_in(server, lambda_stub,
                                                                  smtp_server):
    lambda_stub.register("audit", lambda event: event)
    app = app_with(server, PostAuthentication="audit")
    username, email, sub = confirmed(app, smtp_server, "audited")

    with pytest.raises(Exception) as err:
        sign_in(app, username, password=OTHER_PASSWORD)
    assert error_code(err.value) == "NotAuthorizedException"
    assert lambda_stub.calls("audit") == [], "no PostAuthentication for a failed sign-in"

    result = sign_in(app, username, metadata={"device": "kiosk-7"})
    assert result["AuthenticationResult"]["IdToken"]
    (event,) = lambda_stub.events("audit")
    assert_envelope(event, app, "PostAuthentication_Authentication", username)
    assert event["request"]["userAttributes"]["sub"] == sub
    assert event["request"]["userAttributes"]["email"] == email
    assert event["request"]["newDeviceUsed"] is False
    assert event["request"]["clientMetadata"] == {"device": "kiosk-7"}
    assert event["response"] == {}


def test_post_authentication_failure_returns_no_tokens(server, lambda_stub, smtp_server):
    lambda_stub.register("audit", lambda_stub.raises("Audit log unavailable"))
    app = app_with(server, PostAuthentication="audit")
    username, _, _ = confirmed(app, smtp_server, "unaudited")
    message, _ = lambda_error(lambda: sign_in(app, username), "UserLambdaValidationException")
    assert message == "PostAuthentication failed with error Audit log unavailable."


# =========================================================================== PreTokenGeneration


def v1_override(event):
    event["response"]["claimsOverrideDetails"] = {
        "claimsToAddOrOverride": {
            "tenant": "acme",
            "family_name": "Override",
            "sub": "forged-sub",
            "cognito:username": "forged-username",
            "token_use": "access",
            "aud": "someone-else",
        },
        "claimsToSuppress": ["email"],
    }
    return event


def test_pre_token_generation_v1_adds_and_suppresses_id_token_claims(server, lambda_stub,
                                                                      smtp_server):
    lambda_stub.register("claims", v1_override)
    app = app_with(server, PreTokenGeneration="claims")
    username, email, sub = confirmed(app, smtp_server, "v1")
    tokens = app.tokens(username)

    id_claims = verified_claims(server, app, tokens["IdToken"], audience=app.client_id)
    assert id_claims["tenant"] == "acme"
    assert id_claims["family_name"] == "Override"
    assert "email" not in id_claims
    assert id_claims["sub"] == sub, "sub cannot be overridden"
    assert id_claims["cognito:username"] == username
    assert id_claims["token_use"] == "id"
    assert id_claims["aud"] == app.client_id

    access = verified_claims(server, app, tokens["AccessToken"])
    assert "tenant" not in access, "V1 changes the ID token only"
    assert access["sub"] == sub and access["token_use"] == "access"

    (event,) = lambda_stub.events("claims")
    assert_envelope(event, app, "TokenGeneration_Authentication", username)
    assert event["request"]["userAttributes"]["sub"] == sub
    assert event["request"]["userAttributes"]["email"] == email

    refreshed = refresh(app, tokens["RefreshToken"])["AuthenticationResult"]
    assert lambda_stub.last_event("claims")["triggerSource"] == "TokenGeneration_RefreshTokens"
    again = verified_claims(server, app, refreshed["IdToken"], audience=app.client_id)
    assert again["tenant"] == "acme" and "email" not in again and again["sub"] == sub


def test_pre_token_generation_v2_shapes_both_tokens_and_scopes(server, lambda_stub,
                                                                smtp_server):
    lambda_stub.register_file("tokenShaper", HANDLERS / "pre_token_v2.py")
    app = make_app(server.idp(), pool=pre_token_v2_pool("tokenShaper"))
    username, _, sub = confirmed(app, smtp_server, "v2")
    tokens = app.tokens(username)
    assert_pre_token_v2_claims(server, app, tokens, sub, username)

    (event,) = lambda_stub.events("tokenShaper")
    assert_envelope(event, app, "TokenGeneration_Authentication", username, version="2")
    assert event["request"]["userAttributes"]["sub"] == sub

    refreshed = refresh(app, tokens["RefreshToken"])["AuthenticationResult"]
    event = lambda_stub.last_event("tokenShaper")
    assert event["triggerSource"] == "TokenGeneration_RefreshTokens"
    assert event["version"] == "2"
    assert_pre_token_v2_claims(server, app, refreshed, sub, username)


def test_pre_token_generation_failure_returns_no_tokens(server, lambda_stub, smtp_server):
    lambda_stub.register("claims", lambda_stub.raises("Claims service down"))
    app = app_with(server, PreTokenGeneration="claims")
    username, _, _ = confirmed(app, smtp_server, "v1fail")
    message, _ = lambda_error(lambda: sign_in(app, username), "UserLambdaValidationException")
    assert message == "PreTokenGeneration failed with error Claims service down."


# =========================================================================== UserMigration

LEGACY_PASSWORD = "Legacy-Passw0rd!"  # see handlers/migrate_user.py


def test_user_migration_signs_in_an_unknown_user_and_creates_them(server, lambda_stub,
                                                                  smtp_server):
    lambda_stub.register_file("migrate", HANDLERS / "migrate_user.py")
    app = app_with(server, UserMigration="migrate")
    username = unique_name("legacy")
    legacy_email = f"{username}@legacy.example.com"

    result = sign_in(app, username, LEGACY_PASSWORD, metadata={"source": "old-app"})
    tokens = result["AuthenticationResult"]
    id_claims = verified_claims(server, app, tokens["IdToken"], audience=app.client_id)
    assert id_claims["cognito:username"] == username
    assert id_claims["email"] == legacy_email
    assert id_claims["email_verified"] is True

    (event,) = lambda_stub.events("migrate")
    assert set(event) == ENVELOPE_KEYS
    assert event["version"] == "1"
    assert event["triggerSource"] == "UserMigration_Authentication"
    assert event["userPoolId"] == app.pool_id
    assert event["userName"] == username
    assert event["callerContext"] == {"awsSdkVersion": SDK, "clientId": app.client_id}
    assert event["request"]["password"] == LEGACY_PASSWORD
    assert "validationData" in event["request"]
    assert event["request"]["clientMetadata"] == {"source": "old-app"}

    user = app.admin_get_user(username)
    assert user["UserStatus"] == "CONFIRMED"
    attributes = attr_map(user["UserAttributes"])
    assert attributes["email"] == legacy_email
    assert attributes["email_verified"] == "true"
    assert attributes["name"] == f"Legacy {username}"
    assert attributes["sub"] == id_claims["sub"]

    # Now a pool user: signing in again does not ask the function.
    assert sign_in(app, username, LEGACY_PASSWORD)["AuthenticationResult"]["AccessToken"]
    with pytest.raises(Exception) as err:
        sign_in(app, username, OTHER_PASSWORD)
    assert error_code(err.value) == "NotAuthorizedException"
    assert len(lambda_stub.calls("migrate")) == 1
    smtp_server.assert_no_mail(legacy_email, wait=0.2)  # messageAction SUPPRESS


def test_user_migration_rejection_is_user_lambda_validation_and_creates_no_user(
        server, lambda_stub):
    lambda_stub.register_file("migrate", HANDLERS / "migrate_user.py")
    app = app_with(server, UserMigration="migrate")
    username = unique_name("legacy")
    message, _ = lambda_error(lambda: sign_in(app, username, "Not-The-Passw0rd!"),
                              "UserLambdaValidationException")
    assert message == "UserMigration failed with error Bad password."
    assert_no_user(app, username)


def test_user_migration_is_not_asked_about_existing_users(server, lambda_stub, smtp_server):
    lambda_stub.register_file("migrate", HANDLERS / "migrate_user.py")
    app = app_with(server, UserMigration="migrate")
    username, _, _ = confirmed(app, smtp_server, "native")
    assert sign_in(app, username)["AuthenticationResult"]["AccessToken"]
    with pytest.raises(Exception) as err:
        sign_in(app, username, OTHER_PASSWORD)
    assert error_code(err.value) == "NotAuthorizedException"
    assert lambda_stub.calls("migrate") == []


def test_user_migration_on_forgot_password_creates_the_user_and_sends_a_reset_code(
        server, lambda_stub, smtp_server):
    lambda_stub.register_file("migrate", HANDLERS / "migrate_user.py")
    app = app_with(server, UserMigration="migrate")
    username = unique_name("legacy")
    legacy_email = f"{username}@legacy.example.com"

    delivery = app.idp.forgot_password(ClientId=app.client_id, Username=username)["CodeDeliveryDetails"]
    assert delivery["DeliveryMedium"] == "EMAIL" and delivery["AttributeName"] == "email"
    (event,) = lambda_stub.events("migrate")
    assert event["triggerSource"] == "UserMigration_ForgotPassword"
    assert event["userName"] == username
    assert "password" not in event["request"]
    assert app.admin_get_user(username)["UserStatus"] == "RESET_REQUIRED"
    with pytest.raises(app.idp.exceptions.PasswordResetRequiredException):
        sign_in(app, username, LEGACY_PASSWORD)

    code = server.latest_code(legacy_email)
    app.idp.confirm_forgot_password(ClientId=app.client_id, Username=username, ConfirmationCode=code,
                                    Password=OTHER_PASSWORD)
    assert sign_in(app, username, OTHER_PASSWORD)["AuthenticationResult"]["AccessToken"]
    assert app.admin_get_user(username)["UserStatus"] == "CONFIRMED"
