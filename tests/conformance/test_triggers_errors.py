"""Trigger failures map to Cognito's modeled errors (HTTP 400, never a 500), and a failing
PreSignUp never leaves a half-created user behind:

* the function throws        -> UserLambdaValidationException "<Trigger> failed with error <msg>."
* no answer within timeout   -> UnexpectedLambdaException "... Socket timeout while invoking ..."
* output not the event shape -> InvalidLambdaResponseException
* endpoint unreachable, function unknown -> UnexpectedLambdaException
"""

from __future__ import annotations

import time

import pytest

from harness import free_port
from helpers import attr_map, make_app, unique_email, unique_name
from lambda_stub import RawResponse
from trigger_helpers import HANDLERS, arn, assert_no_user, lambda_error, trigger_config

TIMEOUT_MESSAGE = ("PreSignUp invocation failed due to error Socket timeout while invoking "
                   "Lambda function.")
INVOCATION_FAILED = "PreSignUp invocation failed due to error"


@pytest.fixture
def stub_server(start_cognate, lambda_stub):
    """cognate whose default Invoke API endpoint is the stub."""
    return start_cognate(config=trigger_config(endpoint=lambda_stub.url))


def pre_sign_up_app(server, function: str = "preSignUp"):
    return make_app(server.idp(), pool={"LambdaConfig": {"PreSignUp": arn(function)}})


def sign_up(app, username: str, email: str):
    return lambda: app.sign_up(username, email=email)


# =========================================================================== PreSignUp


def test_pre_sign_up_that_throws_is_user_lambda_validation_and_creates_no_user(
        stub_server, lambda_stub, smtp_server):
    lambda_stub.register("preSignUp", lambda_stub.raises("Domain not allowed."))
    app = pre_sign_up_app(stub_server)
    username, email = unique_name("thrown"), unique_email("thrown")

    message, _ = lambda_error(sign_up(app, username, email), "UserLambdaValidationException")
    # Cognito appends a period even when the function's message already ends with one.
    assert message == "PreSignUp failed with error Domain not allowed.."
    assert_no_user(app, username)
    smtp_server.assert_no_mail(email)

    # Once the function is fixed, the very same username signs up.
    lambda_stub.register_file("preSignUp", HANDLERS / "auto_confirm.py")
    assert app.sign_up(username, email=email)["UserConfirmed"] is True
    user = app.admin_get_user(username)
    assert user["UserStatus"] == "CONFIRMED"
    assert attr_map(user["UserAttributes"])["email_verified"] == "true"
    assert len(lambda_stub.calls("preSignUp")) == 2


def test_thrown_message_without_a_period_gets_one(stub_server, lambda_stub):
    lambda_stub.register("preSignUp", lambda_stub.raises("Registration is closed",
                                                         "RegistrationClosed"))
    app = pre_sign_up_app(stub_server)
    username = unique_name("closed")
    message, _ = lambda_error(sign_up(app, username, unique_email("closed")),
                              "UserLambdaValidationException")
    assert message == "PreSignUp failed with error Registration is closed."
    assert_no_user(app, username)


def test_handled_function_error_is_user_lambda_validation_too(stub_server, lambda_stub):
    """Lambda flags a function error with HTTP 200 and ``X-Amz-Function-Error`` - ``Handled``
    as well as ``Unhandled``; either way the caller sees the function's ``errorMessage``."""
    def handled_error(event):
        return RawResponse(
            body=b'{"errorMessage": "Handled failure", "errorType": "Custom"}',
            headers={"X-Amz-Function-Error": "Handled"})
    lambda_stub.register("preSignUp", handled_error)
    app = pre_sign_up_app(stub_server)
    username = unique_name("handled")
    message, _ = lambda_error(sign_up(app, username, unique_email("handled")),
                              "UserLambdaValidationException")
    assert message == "PreSignUp failed with error Handled failure."
    assert_no_user(app, username)


def test_pre_sign_up_that_times_out_is_unexpected_lambda_and_creates_no_user(
        start_cognate, lambda_stub, smtp_server):
    # Answers (with auto-confirm) only after 2.5 s; the configured timeout is 1 s.
    def late_auto_confirm(event):
        event["response"]["autoConfirmUser"] = True
        return event
    lambda_stub.register("preSignUp", lambda_stub.sleeps(2.5, then=late_auto_confirm))
    server = start_cognate(config=trigger_config(endpoint=lambda_stub.url, timeout="1s"))
    app = pre_sign_up_app(server)
    username, email = unique_name("late"), unique_email("late")

    started = time.monotonic()
    message, _ = lambda_error(sign_up(app, username, email), "UnexpectedLambdaException")
    elapsed = time.monotonic() - started
    assert message == TIMEOUT_MESSAGE
    assert 0.9 <= elapsed < 8, f"a 1s trigger timeout took {elapsed:.1f}s"
    assert_no_user(app, username)

    # Even after the late answer arrives, nothing is created.
    calls = lambda_stub.wait_for_calls("preSignUp", 1, timeout=8, finished=True)
    assert calls
    time.sleep(0.2)
    assert_no_user(app, username)
    smtp_server.assert_no_mail(email, wait=0.1)


@pytest.mark.parametrize("body", [
    pytest.param(b"this is not json", id="not-json"),
    pytest.param(b"null", id="null"),
    pytest.param(b"[1, 2, 3]", id="array"),
    pytest.param(b'"ok"', id="string"),
    pytest.param(b'{"response": "not an object"}', id="response-not-an-object"),
])
def test_pre_sign_up_output_that_is_not_the_event_is_invalid_lambda_response(
        stub_server, lambda_stub, smtp_server, body):
    lambda_stub.register("preSignUp", lambda_stub.garbage(body))
    app = pre_sign_up_app(stub_server)
    username, email = unique_name("garbage"), unique_email("garbage")
    lambda_error(sign_up(app, username, email), "InvalidLambdaResponseException")
    assert_no_user(app, username)
    smtp_server.assert_no_mail(email, wait=0.1)


def test_unreachable_endpoint_is_unexpected_lambda_and_creates_no_user(start_cognate,
                                                                       smtp_server):
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    server = start_cognate(config=trigger_config(endpoint=closed))
    app = pre_sign_up_app(server)
    username, email = unique_name("unreachable"), unique_email("unreachable")
    started = time.monotonic()
    message, _ = lambda_error(sign_up(app, username, email), "UnexpectedLambdaException")
    assert message.startswith(INVOCATION_FAILED), message
    assert time.monotonic() - started < 8
    assert_no_user(app, username)
    smtp_server.assert_no_mail(email, wait=0.1)


def test_function_configured_nowhere_is_unexpected_lambda_and_creates_no_user(start_cognate,
                                                                              smtp_server):
    # No lambda_endpoint, no [functions.preSignUp]: nobody can run the pool's PreSignUp.
    server = start_cognate()
    app = pre_sign_up_app(server)
    username, email = unique_name("nowhere"), unique_email("nowhere")
    message, _ = lambda_error(sign_up(app, username, email), "UnexpectedLambdaException")
    assert message.startswith(INVOCATION_FAILED), message
    assert_no_user(app, username)
    smtp_server.assert_no_mail(email, wait=0.1)


def test_function_unknown_to_the_endpoint_is_unexpected_lambda(stub_server, lambda_stub):
    # The stub answers Lambda's 404 ResourceNotFoundException for names nobody registered.
    app = pre_sign_up_app(stub_server, function="deletedFunction")
    username = unique_name("deleted")
    message, _ = lambda_error(sign_up(app, username, unique_email("deleted")),
                              "UnexpectedLambdaException")
    assert message.startswith(INVOCATION_FAILED), message
    assert len(lambda_stub.calls("deletedFunction")) >= 1
    assert_no_user(app, username)


def test_invoke_api_server_error_is_unexpected_lambda(stub_server, lambda_stub):
    lambda_stub.register("preSignUp", lambda_stub.garbage(
        b'{"Type": "Service", "message": "Internal failure"}', status=500,
        headers={"X-Amzn-ErrorType": "ServiceException"}))
    app = pre_sign_up_app(stub_server)
    username = unique_name("svcerr")
    message, _ = lambda_error(sign_up(app, username, unique_email("svcerr")),
                              "UnexpectedLambdaException")
    assert message.startswith(INVOCATION_FAILED), message
    assert_no_user(app, username)


def test_failing_trigger_does_not_affect_other_pools(stub_server, lambda_stub, smtp_server):
    lambda_stub.register("preSignUp", lambda_stub.raises("nope"))
    broken = pre_sign_up_app(stub_server)
    plain = make_app(stub_server.idp())
    lambda_error(sign_up(broken, unique_name("b"), unique_email("b")),
                 "UserLambdaValidationException")
    username, email = unique_name("plain"), unique_email("plain")
    assert plain.sign_up(username, email=email)["UserConfirmed"] is False
    plain.confirm(username, smtp_server.wait_for_mail(email).code)
    assert plain.admin_get_user(username)["UserStatus"] == "CONFIRMED"


# =========================================================================== PostConfirmation


def post_confirmation_app(server):
    return make_app(server.idp(),
                    pool={"LambdaConfig": {"PostConfirmation": arn("postConfirmation")}})


def test_post_confirmation_failure_is_returned_but_the_user_is_confirmed(
        stub_server, lambda_stub, smtp_server):
    lambda_stub.register("postConfirmation", lambda_stub.raises("CRM is down"))
    app = post_confirmation_app(stub_server)
    username, email = unique_name("crm"), unique_email("crm")
    app.sign_up(username, email=email)
    code = smtp_server.wait_for_mail(email).code

    message, _ = lambda_error(lambda: app.confirm(username, code),
                              "UserLambdaValidationException")
    assert message == "PostConfirmation failed with error CRM is down."
    user = app.admin_get_user(username)
    assert user["UserStatus"] == "CONFIRMED"
    assert attr_map(user["UserAttributes"])["email_verified"] == "true"
    assert app.tokens(username)["AccessToken"]
    assert len(lambda_stub.calls("postConfirmation")) == 1


def test_post_confirmation_timeout_is_returned_but_the_user_is_confirmed(
        start_cognate, lambda_stub, smtp_server):
    lambda_stub.register("postConfirmation", lambda_stub.sleeps(2.5))
    server = start_cognate(config=trigger_config(endpoint=lambda_stub.url, timeout="1s"))
    app = post_confirmation_app(server)
    username, email = unique_name("slowcrm"), unique_email("slowcrm")
    app.sign_up(username, email=email)
    code = smtp_server.wait_for_mail(email).code
    message, _ = lambda_error(lambda: app.confirm(username, code), "UnexpectedLambdaException")
    assert message == ("PostConfirmation invocation failed due to error Socket timeout while "
                       "invoking Lambda function.")
    assert app.admin_get_user(username)["UserStatus"] == "CONFIRMED"


def test_admin_confirm_sign_up_sends_client_id_not_applicable(stub_server, lambda_stub):
    lambda_stub.register("postConfirmation", lambda event: event)
    app = post_confirmation_app(stub_server)
    username, email = unique_name("admin"), unique_email("admin")
    sub = app.sign_up(username, email=email)["UserSub"]

    app.idp.admin_confirm_sign_up(UserPoolId=app.pool_id, Username=username,
                                  ClientMetadata={"by": "support-desk"})
    event = lambda_stub.last_event("postConfirmation")
    assert event["version"] == "1"
    assert event["triggerSource"] == "PostConfirmation_ConfirmSignUp"
    assert event["userPoolId"] == app.pool_id
    assert event["userName"] == username
    assert event["callerContext"] == {"awsSdkVersion": "aws-sdk-unknown-unknown",
                                      "clientId": "CLIENT_ID_NOT_APPLICABLE"}
    attributes = event["request"]["userAttributes"]
    assert attributes["sub"] == sub
    assert attributes["cognito:user_status"] == "CONFIRMED"
    assert attributes["email"] == email
    assert event["request"]["clientMetadata"] == {"by": "support-desk"}
    assert app.admin_get_user(username)["UserStatus"] == "CONFIRMED"


def test_admin_confirm_sign_up_failure_is_returned_but_the_user_is_confirmed(stub_server,
                                                                            lambda_stub):
    lambda_stub.register("postConfirmation", lambda_stub.raises("Welcome mail failed"))
    app = post_confirmation_app(stub_server)
    username = unique_name("adminfail")
    app.sign_up(username, email=unique_email("adminfail"))
    message, _ = lambda_error(lambda: app.admin_confirm(username),
                              "UserLambdaValidationException")
    assert message == "PostConfirmation failed with error Welcome mail failed."
    assert app.admin_get_user(username)["UserStatus"] == "CONFIRMED"
