"""Triggers through the Lambda Invoke API: the seed's auto-confirm story, run by a stand-in
Invoke API server (lambda_stub.py) that imports the seed's handler file unchanged.

Cognate calls ``POST <endpoint>/2015-03-31/functions/<name>/invocations`` with the event as the
body, exactly as Cognito calls Lambda; the endpoint comes from ``lambda_endpoint`` in the config
file, the ``--lambda-endpoint`` flag, or a per-function ``endpoint`` (+ ``function_name``).
"""

from __future__ import annotations

import pytest

from harness import AwsCli
from helpers import PASSWORD, UUID_RE, attr_map, attrs, make_app, secret_hash, unique_email, \
    unique_name
from trigger_helpers import HANDLERS, arn, assert_all_strings, trigger_config

PHONE = "+12065550100"
ENVELOPE_KEYS = {"version", "triggerSource", "region", "userPoolId", "userName", "callerContext",
                 "request", "response"}


@pytest.fixture
def seed_server(start_cognate, lambda_stub):
    """cognate with ``lambda_endpoint`` = the stub, which runs handlers/auto_confirm.py as
    function ``preSignUp``."""
    lambda_stub.register_file("preSignUp", HANDLERS / "auto_confirm.py")
    return start_cognate(config=trigger_config(endpoint=lambda_stub.url))


def assert_seed_invocation(stub, name: str = "preSignUp") -> None:
    (call,) = stub.calls(name)
    assert call.path == f"/2015-03-31/functions/{name}/invocations", call.path
    assert call.header("X-Amz-Invocation-Type") == "RequestResponse", call.headers
    assert call.event is not None, f"the body is not JSON: {call.body[:200]!r}"


def test_seed_cli_session_auto_confirms_and_verifies_email_and_phone(
        seed_server, lambda_stub, smtp_server):
    aws = AwsCli(seed_server.url)

    pool = aws("cognito-idp", "create-user-pool", "--pool-name", unique_name("seed"),
               "--auto-verified-attributes", "email",
               "--lambda-config", f"PreSignUp={arn('preSignUp')}")["UserPool"]
    assert pool["LambdaConfig"] == {"PreSignUp": arn("preSignUp")}
    client = aws("cognito-idp", "create-user-pool-client", "--user-pool-id", pool["Id"],
                 "--client-name", "seed-app", "--generate-secret",
                 "--explicit-auth-flows", "ALLOW_USER_PASSWORD_AUTH",
                 "ALLOW_REFRESH_TOKEN_AUTH")["UserPoolClient"]
    username, email = unique_name("seed"), unique_email("seed")

    signed_up = aws("cognito-idp", "sign-up",
                    "--client-id", client["ClientId"],
                    "--secret-hash", secret_hash(username, client["ClientId"],
                                                 client["ClientSecret"]),
                    "--username", username,
                    "--password", PASSWORD,
                    "--user-attributes", f"Name=email,Value={email}",
                    f"Name=phone_number,Value={PHONE}")
    assert signed_up["UserConfirmed"] is True
    assert UUID_RE.match(signed_up["UserSub"])
    assert "CodeDeliveryDetails" not in signed_up, "a confirmed user gets no code"

    user = aws("cognito-idp", "admin-get-user", "--user-pool-id", pool["Id"],
               "--username", username)
    assert user["UserStatus"] == "CONFIRMED"
    attributes = attr_map(user["UserAttributes"])
    assert attributes["email"] == email
    assert attributes["email_verified"] == "true"
    assert attributes["phone_number"] == PHONE
    assert attributes["phone_number_verified"] == "true"
    assert attributes["sub"] == signed_up["UserSub"]

    # The user can sign in straight away.
    h = secret_hash(username, client["ClientId"], client["ClientSecret"])
    auth = aws("cognito-idp", "initiate-auth", "--client-id", client["ClientId"],
               "--auth-flow", "USER_PASSWORD_AUTH",
               "--auth-parameters", f"USERNAME={username},PASSWORD={PASSWORD},SECRET_HASH={h}")
    assert auth["AuthenticationResult"]["AccessToken"]

    assert_seed_invocation(lambda_stub)
    event = lambda_stub.last_event("preSignUp")
    assert event == {
        "version": "1",
        "triggerSource": "PreSignUp_SignUp",
        "region": "us-east-1",
        "userPoolId": pool["Id"],
        "userName": username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown",
                          "clientId": client["ClientId"]},
        "request": {
            "userAttributes": {"email": email, "phone_number": PHONE},
            "validationData": None,
            "clientMetadata": None,
        },
        "response": {"autoConfirmUser": False, "autoVerifyEmail": False,
                     "autoVerifyPhone": False},
    }
    smtp_server.assert_no_mail(email)


def test_pre_sign_up_event_carries_validation_data_and_client_metadata(
        seed_server, lambda_stub, smtp_server):
    idp = seed_server.idp()
    app = make_app(idp, pool={
        "LambdaConfig": {"PreSignUp": arn("preSignUp")},
        "Schema": [{"Name": "tenant", "AttributeDataType": "String", "Mutable": True}],
    })
    username, email = unique_name("shape"), unique_email("shape")
    response = app.sign_up(
        username, email=email,
        attributes=attrs(phone_number=PHONE, given_name="Zoë", custom__tenant="acme"),
        ValidationData=attrs(recaptcha="token-123", source="conformance"),
        ClientMetadata={"campaign": "spring", "ref": "abc"},
    )
    assert response["UserConfirmed"] is True

    event = lambda_stub.last_event("preSignUp")
    assert set(event) == ENVELOPE_KEYS
    assert event["version"] == "1"
    assert event["triggerSource"] == "PreSignUp_SignUp"
    assert event["region"] == "us-east-1"
    assert event["userPoolId"] == app.pool_id
    assert event["userName"] == username
    assert event["callerContext"] == {"awsSdkVersion": "aws-sdk-unknown-unknown",
                                      "clientId": app.client_id}
    assert event["request"] == {
        "userAttributes": {"email": email, "phone_number": PHONE, "given_name": "Zoë",
                           "custom:tenant": "acme"},
        "validationData": {"recaptcha": "token-123", "source": "conformance"},
        "clientMetadata": {"campaign": "spring", "ref": "abc"},
    }
    assert_all_strings(event["request"]["userAttributes"])
    assert event["response"] == {"autoConfirmUser": False, "autoVerifyEmail": False,
                                 "autoVerifyPhone": False}
    smtp_server.assert_no_mail(email)


def test_seed_handler_verifies_only_the_attributes_that_were_sent(seed_server, lambda_stub,
                                                                  smtp_server):
    app = make_app(seed_server.idp(), pool={"LambdaConfig": {"PreSignUp": arn("preSignUp")}})
    username, email = unique_name("mail-only"), unique_email("mail-only")
    assert app.sign_up(username, email=email)["UserConfirmed"] is True
    user = app.admin_get_user(username)
    assert user["UserStatus"] == "CONFIRMED"
    attributes = attr_map(user["UserAttributes"])
    assert attributes["email_verified"] == "true"
    assert "phone_number" not in attributes
    assert attributes.get("phone_number_verified", "false") == "false"
    assert app.tokens(username)["IdToken"]
    smtp_server.assert_no_mail(email)


def test_lambda_endpoint_flag_works_like_the_config_key(start_cognate, lambda_stub, smtp_server):
    lambda_stub.register_file("preSignUp", HANDLERS / "auto_confirm.py")
    server = start_cognate(extra_args=["--lambda-endpoint", lambda_stub.url])
    app = make_app(server.idp(), pool={"LambdaConfig": {"PreSignUp": arn("preSignUp")}})
    username, email = unique_name("flag"), unique_email("flag")
    response = app.sign_up(username, email=email, attributes=attrs(phone_number=PHONE))
    assert response["UserConfirmed"] is True
    attributes = attr_map(app.admin_get_user(username)["UserAttributes"])
    assert attributes["email_verified"] == "true"
    assert attributes["phone_number_verified"] == "true"
    assert_seed_invocation(lambda_stub)
    assert lambda_stub.last_event("preSignUp")["triggerSource"] == "PreSignUp_SignUp"
    smtp_server.assert_no_mail(email)


def test_per_function_endpoint_with_rie_function_name(start_cognate, lambda_stub, smtp_server):
    """The Lambda Runtime Interface Emulator serves one function, always named "function"."""
    lambda_stub.register_file("function", HANDLERS / "auto_confirm.py")
    server = start_cognate(config=trigger_config(functions={
        "signupGate": {"endpoint": lambda_stub.url, "function_name": "function"},
    }))
    app = make_app(server.idp(), pool={"LambdaConfig": {"PreSignUp": arn("signupGate")}})
    username, email = unique_name("rie"), unique_email("rie")
    assert app.sign_up(username, email=email)["UserConfirmed"] is True
    assert app.admin_get_user(username)["UserStatus"] == "CONFIRMED"
    assert_seed_invocation(lambda_stub, "function")
    assert lambda_stub.calls("signupGate") == []
    smtp_server.assert_no_mail(email)


def test_per_function_endpoint_overrides_the_default_endpoint(start_cognate, lambda_stub):
    from lambda_stub import LambdaStub

    with LambdaStub() as other:
        other.register_file("preSignUp", HANDLERS / "auto_confirm.py")
        lambda_stub.register("preSignUp", lambda_stub.raises("wrong endpoint"))
        server = start_cognate(config=trigger_config(
            endpoint=lambda_stub.url, functions={"preSignUp": {"endpoint": other.url}}))
        app = make_app(server.idp(), pool={"LambdaConfig": {"PreSignUp": arn("preSignUp")}})
        username = unique_name("override")
        assert app.sign_up(username, email=unique_email("override"))["UserConfirmed"] is True
        assert len(other.calls("preSignUp")) == 1
        assert lambda_stub.calls() == []


def test_trigger_added_with_update_user_pool_runs_on_the_next_sign_up(seed_server, lambda_stub,
                                                                     smtp_server):
    idp = seed_server.idp()
    app = make_app(idp)
    before = unique_name("before")
    before_email = unique_email("before")
    assert app.sign_up(before, email=before_email)["UserConfirmed"] is False
    smtp_server.wait_for_mail(before_email)
    assert lambda_stub.calls() == []

    idp.update_user_pool(UserPoolId=app.pool_id, AutoVerifiedAttributes=["email"],
                         LambdaConfig={"PreSignUp": arn("preSignUp")})
    described = idp.describe_user_pool(UserPoolId=app.pool_id)["UserPool"]
    assert described["LambdaConfig"] == {"PreSignUp": arn("preSignUp")}

    after, after_email = unique_name("after"), unique_email("after")
    assert app.sign_up(after, email=after_email)["UserConfirmed"] is True
    assert app.admin_get_user(after)["UserStatus"] == "CONFIRMED"
    assert len(lambda_stub.calls("preSignUp")) == 1
    smtp_server.assert_no_mail(after_email)


def test_pool_without_triggers_never_calls_the_endpoint(seed_server, lambda_stub, smtp_server):
    app = make_app(seed_server.idp())
    username, email = unique_name("plain"), unique_email("plain")
    assert app.sign_up(username, email=email)["UserConfirmed"] is False
    app.confirm(username, smtp_server.wait_for_mail(email).code)
    assert app.tokens(username)["AccessToken"]
    assert lambda_stub.calls() == []
