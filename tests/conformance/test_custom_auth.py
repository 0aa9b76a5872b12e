"""CUSTOM_AUTH: sign-in driven by the DefineAuthChallenge, CreateAuthChallenge and
VerifyAuthChallengeResponse triggers.

The handlers are the classic three from AWS's custom-authentication examples
(handlers/define_auth_challenge.py, create_auth_challenge.py, verify_auth_challenge.py): define
asks one CUSTOM_CHALLENGE per round and allows three attempts, create asks "What is 2 + 3?"
(public) and keeps the answer "5" private, verify compares. Most tests run them through the
Invoke API stand-in (lambda_stub.py) so every event can be inspected; one runs them with
cognate's own python3 runner (``[functions.NAME]``).
"""

from __future__ import annotations

from typing import Any

import pytest

from helpers import (
    App,
    attr_map,
    confirmed_user,
    error_code,
    error_message,
    make_app,
    refresh_auth,
    unique_name,
)
from helpers import INCORRECT
from trigger_helpers import (
    HANDLERS,
    arn,
    assert_all_strings,
    python_handler,
    trigger_config,
    verified_claims,
)

DEFINE, CREATE, VERIFY = "defineChallenge", "createChallenge", "verifyChallenge"
TRIGGERS = {"DefineAuthChallenge": DEFINE, "CreateAuthChallenge": CREATE,
            "VerifyAuthChallengeResponse": VERIFY}
HANDLER_FILES = {DEFINE: "define_auth_challenge", CREATE: "create_auth_challenge",
                 VERIFY: "verify_auth_challenge"}
CUSTOM_FLOWS = ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
RIGHT, WRONG = "5", "4"
PUBLIC = {"captchaUrl": "url/123.jpg", "question": "What is 2 + 3?"}  # + "attempt"
NOT_CONFIGURED = "Custom auth lambda trigger is not configured for the user pool."
ENVELOPE_KEYS = {"version", "triggerSource", "region", "userPoolId", "userName", "callerContext",
                 "request", "response"}
SDK = "aws-sdk-unknown-unknown"


# =========================================================================== fixtures/helpers


@pytest.fixture
def server(start_cognate, lambda_stub):
    """cognate whose default Invoke API endpoint is the stub."""
    return start_cognate(config=trigger_config(endpoint=lambda_stub.url))


@pytest.fixture
def stub(lambda_stub):
    """The stub serving the three classic handler files."""
    for name, file in HANDLER_FILES.items():
        lambda_stub.register_file(name, HANDLERS / f"{file}.py")
    return lambda_stub


def custom_app(server: Any, client: dict | None = None, pool: dict | None = None,
               triggers: dict[str, str] | None = TRIGGERS) -> App:
    """A pool with the three challenge triggers and a client allowing CUSTOM_AUTH."""
    pool_options = dict(pool or {})
    if triggers:
        pool_options["LambdaConfig"] = {trigger: arn(name) for trigger, name in triggers.items()}
    client_options = {"ExplicitAuthFlows": list(CUSTOM_FLOWS)}
    client_options.update(client or {})
    return make_app(server.idp(), pool=pool_options, client=client_options)


def begin(app: App, username: str, **kwargs: Any) -> dict:
    """InitiateAuth CUSTOM_AUTH (SECRET_HASH added for a secret client)."""
    return app.idp.initiate_auth(
        ClientId=app.client_id, AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": username, **app._auth_secret(username)}, **kwargs)


def answer(app: App, username: str, session: str, text: str, **kwargs: Any) -> dict:
    """RespondToAuthChallenge CUSTOM_CHALLENGE with ANSWER ``text``."""
    return app.idp.respond_to_auth_challenge(
        ClientId=app.client_id, ChallengeName="CUSTOM_CHALLENGE", Session=session,
        ChallengeResponses={"USERNAME": username, "ANSWER": text,
                            **app._auth_secret(username)}, **kwargs)


def admin_begin(app: App, username: str) -> dict:
    return app.idp.admin_initiate_auth(
        UserPoolId=app.pool_id, ClientId=app.client_id, AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": username, **app._auth_secret(username)})


def admin_answer(app: App, username: str, session: str, text: str) -> dict:
    return app.idp.admin_respond_to_auth_challenge(
        UserPoolId=app.pool_id, ClientId=app.client_id, ChallengeName="CUSTOM_CHALLENGE",
        Session=session, ChallengeResponses={"USERNAME": username, "ANSWER": text,
                                             **app._auth_secret(username)})


def assert_challenge(response: dict, username: str, attempt: int = 1) -> str:
    """A CUSTOM_CHALLENGE carrying create's public parameters plus USERNAME; returns Session."""
    assert response.get("ChallengeName") == "CUSTOM_CHALLENGE", response
    assert "AuthenticationResult" not in response, response
    assert response["ChallengeParameters"] == {**PUBLIC, "attempt": str(attempt),
                                               "USERNAME": username}
    session = response.get("Session")
    assert isinstance(session, str) and len(session) >= 20, response
    return session


def assert_tokens(response: dict) -> dict:
    assert response.get("ChallengeName") is None, response
    result = response.get("AuthenticationResult")
    assert result, response
    assert result["TokenType"] == "Bearer"
    assert result["ExpiresIn"] == 3600
    for token in ("AccessToken", "IdToken", "RefreshToken"):
        assert isinstance(result.get(token), str) and result[token], result
    return result


def assert_incorrect(call: Any) -> None:
    with pytest.raises(Exception) as err:
        call()
    assert error_code(err.value) == "NotAuthorizedException", err.value
    assert error_message(err.value) == INCORRECT


def entry(result: bool, metadata: str | None) -> dict:
    """One element of the ``session`` array the define/create triggers see."""
    return {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": result,
            "challengeMetadata": metadata}


def assert_envelope(event: dict, app: App, source: str, username: str) -> None:
    assert set(event) == ENVELOPE_KEYS, sorted(event)
    assert event["version"] == "1"
    assert event["triggerSource"] == source
    assert event["region"] == "us-east-1"
    assert event["userPoolId"] == app.pool_id
    assert event["userName"] == username
    assert event["callerContext"] == {"awsSdkVersion": SDK, "clientId": app.client_id}


# =========================================================================== the happy path


def test_right_answer_issues_tokens_that_work(server, stub):
    app = custom_app(server)
    user = confirmed_user(app, server)
    session = assert_challenge(begin(app, user.username), user.username)
    assert len(stub.calls(VERIFY)) == 0, "nothing is verified before an answer arrives"

    tokens = assert_tokens(answer(app, user.username, session, RIGHT))
    me = app.idp.get_user(AccessToken=tokens["AccessToken"])
    assert me["Username"] == user.username
    assert attr_map(me["UserAttributes"])["sub"] == user.sub

    claims = verified_claims(server, app, tokens["IdToken"], audience=app.client_id)
    assert claims["cognito:username"] == user.username
    assert claims["sub"] == user.sub
    assert claims["token_use"] == "id"
    access = verified_claims(server, app, tokens["AccessToken"])
    assert access["client_id"] == app.client_id and access["sub"] == user.sub

    refreshed = refresh_auth(app, tokens["RefreshToken"])
    assert app.idp.get_user(AccessToken=refreshed["AccessToken"])["Username"] == user.username


def test_trigger_events_have_the_documented_shape(server, stub):
    app = custom_app(server)
    user = confirmed_user(app, server)
    session = assert_challenge(begin(app, user.username), user.username)
    assert_tokens(answer(app, user.username, session, RIGHT,
                         ClientMetadata={"channel": "web"}))

    first_define, second_define = stub.events(DEFINE)
    (create,) = stub.events(CREATE)
    (verify,) = stub.events(VERIFY)

    assert_envelope(first_define, app, "DefineAuthChallenge_Authentication", user.username)
    request = first_define["request"]
    assert request["session"] == []
    assert request["userNotFound"] is False
    attributes = request["userAttributes"]
    assert_all_strings(attributes)
    assert attributes["sub"] == user.sub
    assert attributes["email"] == user.email
    assert attributes["email_verified"] == "true"
    assert attributes["cognito:user_status"] == "CONFIRMED"

    assert_envelope(create, app, "CreateAuthChallenge_Authentication", user.username)
    request = create["request"]
    assert request["challengeName"] == "CUSTOM_CHALLENGE"
    assert request["session"] == []
    assert request["userNotFound"] is False
    assert request["userAttributes"]["sub"] == user.sub
    assert_all_strings(request["userAttributes"])

    assert_envelope(verify, app, "VerifyAuthChallengeResponse_Authentication", user.username)
    request = verify["request"]
    assert request["privateChallengeParameters"] == {"answer": RIGHT}
    assert request["challengeAnswer"] == RIGHT
    assert request["userNotFound"] is False
    assert request["userAttributes"]["sub"] == user.sub
    assert request["clientMetadata"] == {"channel": "web"}

    assert_envelope(second_define, app, "DefineAuthChallenge_Authentication", user.username)
    assert second_define["request"]["session"] == [entry(True, "CAPTCHA-1")]
    assert second_define["request"]["userNotFound"] is False


def test_wrong_then_right_answer_issues_tokens_in_the_second_round(server, stub):
    app = custom_app(server)
    user = confirmed_user(app, server)
    first_session = assert_challenge(begin(app, user.username), user.username)

    second = answer(app, user.username, first_session, WRONG)
    second_session = assert_challenge(second, user.username, attempt=2)
    assert second_session != first_session, "each challenge has a new Session"
    assert stub.last_event(DEFINE)["request"]["session"] == [entry(False, "CAPTCHA-1")]
    assert stub.last_event(CREATE)["request"]["session"] == [entry(False, "CAPTCHA-1")]

    verify_calls = len(stub.calls(VERIFY))
    with pytest.raises(Exception) as err:
        answer(app, user.username, first_session, RIGHT)
    assert error_code(err.value) == "NotAuthorizedException", "the old Session is spent"
    assert len(stub.calls(VERIFY)) == verify_calls, "a spent Session reaches no trigger"

    tokens = assert_tokens(answer(app, user.username, second_session, RIGHT))
    assert app.idp.get_user(AccessToken=tokens["AccessToken"])["Username"] == user.username
    assert stub.last_event(DEFINE)["request"]["session"] == [
        entry(False, "CAPTCHA-1"), entry(True, "CAPTCHA-2")]
    assert [e["request"]["challengeAnswer"] for e in stub.events(VERIFY)] == [WRONG, RIGHT]
    assert len(stub.calls(DEFINE)) == 3 and len(stub.calls(CREATE)) == 2


def test_three_wrong_answers_fail_the_sign_in(server, stub):
    app = custom_app(server)
    user = confirmed_user(app, server)
    session = assert_challenge(begin(app, user.username), user.username)
    for attempt in (2, 3):
        session = assert_challenge(answer(app, user.username, session, WRONG), user.username,
                                   attempt=attempt)
    assert_incorrect(lambda: answer(app, user.username, session, WRONG))

    assert stub.last_event(DEFINE)["request"]["session"] == [
        entry(False, "CAPTCHA-1"), entry(False, "CAPTCHA-2"), entry(False, "CAPTCHA-3")]
    assert len(stub.calls(DEFINE)) == 4
    assert len(stub.calls(CREATE)) == 3
    assert len(stub.calls(VERIFY)) == 3

    with pytest.raises(Exception) as err:  # the failed flow cannot be continued
        answer(app, user.username, session, RIGHT)
    assert error_code(err.value) == "NotAuthorizedException"
    # ... but a new sign-in starts from scratch.
    session = assert_challenge(begin(app, user.username), user.username)
    assert stub.last_event(DEFINE)["request"]["session"] == []
    assert_tokens(answer(app, user.username, session, RIGHT))


def test_admin_custom_auth_flow(server, stub):
    app = custom_app(server)
    user = confirmed_user(app, server)
    session = assert_challenge(admin_begin(app, user.username), user.username)
    session = assert_challenge(admin_answer(app, user.username, session, WRONG), user.username,
                               attempt=2)
    tokens = assert_tokens(admin_answer(app, user.username, session, RIGHT))
    assert app.idp.get_user(AccessToken=tokens["AccessToken"])["Username"] == user.username
    assert [e["triggerSource"] for e in stub.events(DEFINE)] == [
        "DefineAuthChallenge_Authentication"] * 3
    assert stub.last_event(VERIFY)["callerContext"]["clientId"] == app.client_id


def test_client_with_secret_needs_secret_hash(server, stub):
    app = custom_app(server, client={"GenerateSecret": True})
    user = confirmed_user(app, server)
    with pytest.raises(Exception) as err:
        app.idp.initiate_auth(ClientId=app.client_id, AuthFlow="CUSTOM_AUTH",
                              AuthParameters={"USERNAME": user.username})
    assert error_code(err.value) == "NotAuthorizedException"
    assert stub.calls(DEFINE) == [], "no trigger runs before the client is authenticated"

    session = assert_challenge(begin(app, user.username), user.username)
    assert_tokens(answer(app, user.username, session, RIGHT))


def test_session_entry_without_challenge_metadata_is_null(server, stub):
    def bare_create(event):
        event["response"]["publicChallengeParameters"] = {"question": "What is 2 + 3?"}
        event["response"]["privateChallengeParameters"] = {"answer": RIGHT}
        return event
    stub.register(CREATE, bare_create)
    app = custom_app(server)
    user = confirmed_user(app, server)
    response = begin(app, user.username)
    assert response["ChallengeParameters"] == {"question": "What is 2 + 3?",
                                               "USERNAME": user.username}
    assert_tokens(answer(app, user.username, response["Session"], RIGHT))
    assert stub.last_event(DEFINE)["request"]["session"] == [entry(True, None)]


def test_define_failing_at_once_is_not_authorized(server, stub):
    def refuse(event):
        event["response"]["issueTokens"] = False
        event["response"]["failAuthentication"] = True
        return event
    stub.register(DEFINE, refuse)
    app = custom_app(server)
    user = confirmed_user(app, server)
    assert_incorrect(lambda: begin(app, user.username))
    assert len(stub.calls(DEFINE)) == 1
    assert stub.calls(CREATE) == [] and stub.calls(VERIFY) == []


def test_local_python_handlers_run_the_flow(start_cognate):
    server = start_cognate(config=trigger_config(functions={
        name: python_handler(file) for name, file in HANDLER_FILES.items()}))
    app = custom_app(server)
    user = confirmed_user(app, server)
    session = assert_challenge(begin(app, user.username), user.username)
    session = assert_challenge(answer(app, user.username, session, WRONG), user.username,
                               attempt=2)
    tokens = assert_tokens(answer(app, user.username, session, RIGHT))
    assert app.idp.get_user(AccessToken=tokens["AccessToken"])["Username"] == user.username


# =========================================================================== unknown users


def test_unknown_user_with_prevent_user_existence_errors_runs_the_triggers(server, stub):
    app = custom_app(server, client={"PreventUserExistenceErrors": "ENABLED"})
    username = unique_name("ghost")
    session = assert_challenge(begin(app, username), username)
    (define,) = stub.events(DEFINE)
    assert define["triggerSource"] == "DefineAuthChallenge_Authentication"
    assert define["request"]["userNotFound"] is True
    assert define["request"]["session"] == []
    (create,) = stub.events(CREATE)
    assert create["request"]["userNotFound"] is True

    assert_incorrect(lambda: answer(app, username, session, RIGHT))
    verify = stub.last_event(VERIFY)
    assert verify["request"]["userNotFound"] is True
    assert verify["request"]["privateChallengeParameters"] == {"answer": RIGHT}
    last = stub.last_event(DEFINE)
    assert last["request"]["userNotFound"] is True
    assert last["request"]["session"] == [entry(False, "CAPTCHA-1")]
    with pytest.raises(Exception) as err:
        app.admin_get_user(username)
    assert error_code(err.value) == "UserNotFoundException"


def test_unknown_user_refused_by_define_is_not_authorized(server, stub):
    def refuse_unknown(event):
        if event["request"]["userNotFound"]:
            event["response"]["issueTokens"] = False
            event["response"]["failAuthentication"] = True
        else:
            event["response"]["challengeName"] = "CUSTOM_CHALLENGE"
        return event
    stub.register(DEFINE, refuse_unknown)
    app = custom_app(server, client={"PreventUserExistenceErrors": "ENABLED"})
    username = unique_name("ghost")
    assert_incorrect(lambda: begin(app, username))
    (define,) = stub.events(DEFINE)
    assert define["request"]["userNotFound"] is True
    assert define["userName"] == username
    assert stub.calls(CREATE) == []


def test_unknown_user_with_legacy_errors_is_user_not_found(server, stub):
    app = custom_app(server, client={"PreventUserExistenceErrors": "LEGACY"})
    with pytest.raises(Exception) as err:
        begin(app, unique_name("ghost"))
    assert error_code(err.value) == "UserNotFoundException"
    assert error_message(err.value) == "User does not exist."
    assert stub.calls(DEFINE) == []


# =========================================================================== configuration errors


def test_client_without_allow_custom_auth_is_invalid_parameter(server, stub):
    app = custom_app(server, client={"ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH",
                                                           "ALLOW_REFRESH_TOKEN_AUTH"]})
    user = confirmed_user(app, server)
    with pytest.raises(Exception) as err:
        begin(app, user.username)
    assert error_code(err.value) == "InvalidParameterException"
    with pytest.raises(Exception) as err:
        admin_begin(app, user.username)
    assert error_code(err.value) == "InvalidParameterException"
    assert stub.calls(DEFINE) == []


def test_pool_without_define_auth_challenge_is_invalid_parameter(server, stub):
    app = custom_app(server, triggers={"CreateAuthChallenge": CREATE,
                                       "VerifyAuthChallengeResponse": VERIFY})
    user = confirmed_user(app, server)
    with pytest.raises(Exception) as err:
        begin(app, user.username)
    assert error_code(err.value) == "InvalidParameterException"
    assert error_message(err.value) == NOT_CONFIGURED
    assert stub.calls() == []


def test_pool_without_any_trigger_is_invalid_parameter(server, stub):
    app = custom_app(server, triggers=None)
    user = confirmed_user(app, server)
    with pytest.raises(Exception) as err:
        admin_begin(app, user.username)
    assert error_code(err.value) == "InvalidParameterException"
    assert error_message(err.value) == NOT_CONFIGURED
