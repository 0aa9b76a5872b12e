"""Triggers run from local handler files: ``[functions.<name>] runtime = "python3" | "nodejs",
handler = "<file without extension>.<exported function>"`` - cognate's own runner loads the
user's file and calls the handler with the event, no AWS and no Invoke API involved.

The seed's handlers/auto_confirm.py is AWS's documented example, unchanged.
"""

from __future__ import annotations

import shutil
import time

import pytest

from harness import CognateError
from helpers import PASSWORD, attr_map, attrs, make_app, unique_email, unique_name
from trigger_helpers import (
    HANDLERS,
    arn,
    assert_no_user,
    assert_pre_token_v2_claims,
    lambda_error,
    node_handler,
    pre_token_v2_pool,
    python_handler,
    trigger_config,
)

PHONE = "+12065550100"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not on PATH")

RUNTIMES = [
    pytest.param("python3", id="python3"),
    pytest.param("nodejs", id="nodejs", marks=needs_node),
]


def handler_options(runtime: str, file: str) -> dict[str, str]:
    return python_handler(file) if runtime == "python3" else node_handler(file)


def pre_sign_up_app(server, function: str = "preSignUp"):
    return make_app(server.idp(), pool={"LambdaConfig": {"PreSignUp": arn(function)}})


def assert_seed_outcome(app, username: str, email: str, with_phone: bool = True) -> None:
    user = app.admin_get_user(username)
    assert user["UserStatus"] == "CONFIRMED"
    attributes = attr_map(user["UserAttributes"])
    assert attributes["email"] == email
    assert attributes["email_verified"] == "true"
    if with_phone:
        assert attributes["phone_number_verified"] == "true"
    assert app.tokens(username)["IdToken"]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_seed_handler_auto_confirms_and_verifies(start_cognate, smtp_server, runtime):
    file = "auto_confirm"
    server = start_cognate(config=trigger_config(
        functions={"preSignUp": handler_options(runtime, file)}))
    app = pre_sign_up_app(server)
    username, email = unique_name(runtime), unique_email(runtime)
    response = app.sign_up(username, email=email, attributes=attrs(phone_number=PHONE))
    assert response["UserConfirmed"] is True
    assert "CodeDeliveryDetails" not in response
    assert_seed_outcome(app, username, email)
    smtp_server.assert_no_mail(email)


@pytest.mark.parametrize("runtime,extension,function", [
    pytest.param("python3", "py", "lambda_handler", id="python3"),
    pytest.param("nodejs", "js", "handler", id="nodejs", marks=needs_node),
])
@pytest.mark.parametrize("config_arg", [
    pytest.param("absolute", id="absolute-config"),
    # As a user types it, in the project directory: the handler's directory used to be
    # joined twice (lambdas/lambdas/auto_confirm.py).
    pytest.param("cognate.toml", id="relative-config"),
    pytest.param("site/cognate.toml", id="config-in-a-subdirectory"),
])
def test_relative_handler_path_is_resolved_against_the_config_file(
        start_cognate, tmp_path, smtp_server, runtime, extension, function, config_arg):
    site = tmp_path / "site"
    (site / "lambdas").mkdir(parents=True)
    file = f"auto_confirm.{extension}"
    shutil.copy(HANDLERS / file, site / "lambdas" / file)
    config = site / "cognate.toml"
    config.write_text(trigger_config(functions={
        "preSignUp": {"runtime": runtime, "handler": f"lambdas/auto_confirm.{function}"},
    }))
    if config_arg == "absolute":
        server = start_cognate(extra_args=["--config", str(config)])
    else:
        cwd = site if config_arg == "cognate.toml" else tmp_path
        server = start_cognate(extra_args=["--config", config_arg], cwd=cwd)
    app = pre_sign_up_app(server)
    username, email = unique_name("relative"), unique_email("relative")
    assert app.sign_up(username, email=email,
                       attributes=attrs(phone_number=PHONE))["UserConfirmed"] is True
    assert_seed_outcome(app, username, email)
    smtp_server.assert_no_mail(email)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_handler_printing_to_stdout_does_not_break_the_protocol(start_cognate, smtp_server,
                                                                runtime):
    server = start_cognate(config=trigger_config(
        functions={"preSignUp": handler_options(runtime, "chatty_auto_confirm")}))
    app = pre_sign_up_app(server)
    for _ in range(2):  # the second call goes through a worker that has already printed
        username, email = unique_name("chatty"), unique_email("chatty")
        assert app.sign_up(username, email=email)["UserConfirmed"] is True
        assert_seed_outcome(app, username, email, with_phone=False)
        smtp_server.assert_no_mail(email, wait=0.2)


def test_second_invocation_reuses_the_warm_worker(start_cognate, smtp_server):
    server = start_cognate(config=trigger_config(
        functions={"brandedMail": python_handler("counting_message")}))
    app = make_app(server.idp(), pool={"LambdaConfig": {"CustomMessage": arn("brandedMail")}})
    for expected in (1, 2):
        username, email = unique_name("warm"), unique_email("warm")
        assert app.sign_up(username, email=email)["UserConfirmed"] is False
        mail = smtp_server.wait_for_mail(email)
        assert mail.subject == f"Invocation {expected}", (
            "module-level state must survive between invocations (a warm worker)")
        assert f"Invocation {expected} of this worker. Your code is {mail.code}." in mail.body
        app.confirm(username, mail.code)
        assert app.admin_get_user(username)["UserStatus"] == "CONFIRMED"


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_handler_that_throws_is_user_lambda_validation_and_creates_no_user(
        start_cognate, smtp_server, runtime):
    server = start_cognate(config=trigger_config(
        functions={"preSignUp": handler_options(runtime, "reject_domain")}))
    app = pre_sign_up_app(server)
    username, email = unique_name("rejected"), unique_email("rejected", domain="example.org")
    message, _ = lambda_error(lambda: app.sign_up(username, email=email),
                              "UserLambdaValidationException")
    assert message == "PreSignUp failed with error Domain not allowed.."
    assert_no_user(app, username)
    smtp_server.assert_no_mail(email)

    # The same handler lets an allowed address in, through the same worker.
    allowed_email = unique_email("allowed")
    assert app.sign_up(username, email=allowed_email)["UserConfirmed"] is True
    assert app.admin_get_user(username)["UserStatus"] == "CONFIRMED"


def test_hanging_handler_is_cut_off_at_the_timeout_and_the_next_call_works(start_cognate):
    server = start_cognate(config=trigger_config(
        timeout="1s", functions={"preSignUp": python_handler("slow_auto_confirm")}))
    app = pre_sign_up_app(server)
    username = unique_name("slow")
    started = time.monotonic()
    message, _ = lambda_error(
        lambda: app.sign_up(username, email=unique_email("slow")), "UnexpectedLambdaException")
    elapsed = time.monotonic() - started
    assert message == ("PreSignUp invocation failed due to error Socket timeout while "
                       "invoking Lambda function.")
    assert 0.9 <= elapsed < 8, f"a 1s trigger timeout took {elapsed:.1f}s"
    assert_no_user(app, username)

    fast = unique_name("fast")
    started = time.monotonic()
    assert app.sign_up(fast, email=unique_email("fast"))["UserConfirmed"] is True
    assert time.monotonic() - started < 5, "the runner did not recover from the hung handler"
    assert app.admin_get_user(fast)["UserStatus"] == "CONFIRMED"
    assert_no_user(app, username)


def test_pre_token_v2_handler_shapes_both_tokens(start_cognate, smtp_server):
    server = start_cognate(config=trigger_config(
        functions={"tokenShaper": python_handler("pre_token_v2")}))
    app = make_app(server.idp(), pool=pre_token_v2_pool("tokenShaper"))
    username, email = unique_name("v2local"), unique_email("v2local")
    sub = app.sign_up(username, email=email)["UserSub"]
    app.confirm(username, smtp_server.wait_for_mail(email).code)
    tokens = app.tokens(username)
    assert_pre_token_v2_claims(server, app, tokens, sub, username)


def test_missing_handler_file_is_never_a_server_error_or_a_half_created_user(start_cognate,
                                                                            tmp_path):
    """Either cognate refuses to start (naming the file), or the trigger fails as a Lambda
    error (HTTP 400) and no user is created."""
    missing = tmp_path / "nowhere" / "no_such_handler"
    config = trigger_config(functions={
        "preSignUp": {"runtime": "python3", "handler": f"{missing}.lambda_handler"}})
    try:
        server = start_cognate(config=config)
    except CognateError as exc:
        assert "no_such_handler" in str(exc), exc
        return
    app = pre_sign_up_app(server)
    username = unique_name("missing")
    with pytest.raises(Exception) as err:
        app.sign_up(username, email=unique_email("missing"), password=PASSWORD)
    response = getattr(err.value, "response", {})
    assert response.get("Error", {}).get("Code") in (
        "UnexpectedLambdaException", "UserLambdaValidationException"), response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert_no_user(app, username)
