"""SRP sign-in (USER_SRP_AUTH + PASSWORD_VERIFIER) and the NEW_PASSWORD_REQUIRED challenge.

The client side of SRP is pycognito's: ``AWSSRP`` helpers (``get_auth_params`` /
``process_challenge``) around plain boto3 calls, and the high-level ``Cognito`` class, which
also verifies the tokens against ``<endpoint>/<poolId>/.well-known/jwks.json``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timezone
from typing import Any

import botocore.exceptions
from botocore.config import Config
import pytest
from pycognito import Cognito
from pycognito import aws_srp
from pycognito.aws_srp import AWSSRP
from pycognito.exceptions import ForceChangePasswordException

from harness import ACCESS_KEY, SECRET_KEY, CognateError
from helpers import (
    OTHER_PASSWORD,
    PASSWORD,
    App,
    confirmed_user,
    error_code,
    error_message,
    make_app,
    sign_up_user,
    unique_email,
    unique_name,
)
from test_auth import assert_full_result
from test_tokens import fetch_jwks, verify

SRP_FLOWS = ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH",
             "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
TEMP_PASSWORD = "Temp-pass-1A"
N = int(aws_srp.N_HEX, 16)
HEX_DIGITS = set("0123456789abcdefABCDEF")


def srp_app(idp: Any, pool: dict | None = None, **client: Any) -> App:
    return make_app(idp, pool=pool, client={"ExplicitAuthFlows": SRP_FLOWS, **client})


def srp_client(app: App, username: str, password: str) -> AWSSRP:
    return AWSSRP(username=username, password=password, pool_id=app.pool_id,
                  client_id=app.client_id, client=app.idp, client_secret=app.client_secret)


def start_srp(app: App, username: str, password: str = PASSWORD) -> tuple[AWSSRP, dict, dict]:
    """InitiateAuth USER_SRP_AUTH; returns (AWSSRP, AuthParameters, response)."""
    srp = srp_client(app, username, password)
    params = srp.get_auth_params()
    response = app.idp.initiate_auth(ClientId=app.client_id, AuthFlow="USER_SRP_AUTH",
                                     AuthParameters=params)
    return srp, params, response


def answer(app: App, challenge: dict, responses: dict) -> dict:
    """RespondToAuthChallenge PASSWORD_VERIFIER with the challenge's Session."""
    return app.idp.respond_to_auth_challenge(
        ClientId=app.client_id, ChallengeName="PASSWORD_VERIFIER", Session=challenge["Session"],
        ChallengeResponses=responses)


def srp_sign_in(app: App, username: str, password: str = PASSWORD) -> dict:
    """The whole USER_SRP_AUTH exchange; returns the RespondToAuthChallenge response."""
    srp, params, challenge = start_srp(app, username, password)
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER", challenge
    return answer(app, challenge, srp.process_challenge(challenge["ChallengeParameters"], params))


def assert_tokens_verify(server: Any, app: App, result: dict, username: str) -> None:
    """Both tokens verify with PyJWT against the pool's JWKS and name ``username``."""
    assert_full_result(result)
    jwks = fetch_jwks(server.url, app.pool_id)
    issuer = f"{server.url}/{app.pool_id}"
    id_claims = verify(result["IdToken"], jwks, issuer=issuer, audience=app.client_id)
    access_claims = verify(result["AccessToken"], jwks, issuer=issuer)
    assert id_claims["cognito:username"] == username
    assert id_claims["token_use"] == "id"
    assert access_claims["username"] == username
    assert access_claims["token_use"] == "access"


def pycognito(server: Any, app: App, username: str) -> Cognito:
    """pycognito's Cognito pointed at ``server`` (it fetches the JWKS from the same URL)."""
    return Cognito(app.pool_id, app.client_id, username=username,
                   client_secret=app.client_secret,
                   boto3_client_kwargs={"endpoint_url": server.url,
                                        "aws_access_key_id": ACCESS_KEY,
                                        "aws_secret_access_key": SECRET_KEY},
                   botocore_config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def admin_created_user(app: App, email: str | None = None) -> str:
    """AdminCreateUser with TEMP_PASSWORD, no message; returns the username."""
    username = unique_name("temp")
    app.idp.admin_create_user(
        UserPoolId=app.pool_id, Username=username, TemporaryPassword=TEMP_PASSWORD,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email or unique_email("temp")},
                        {"Name": "email_verified", "Value": "true"}])
    return username


# --------------------------------------------------------------------------- USER_SRP_AUTH


def test_user_srp_auth_returns_password_verifier_challenge(cognate, idp):
    app = srp_app(idp)
    user = confirmed_user(app, cognate)
    _srp, _params, response = start_srp(app, user.username)
    assert response["ChallengeName"] == "PASSWORD_VERIFIER"
    assert isinstance(response["Session"], str) and response["Session"]
    assert "AuthenticationResult" not in response
    params = response["ChallengeParameters"]
    assert params["USERNAME"] == user.username
    assert params["USER_ID_FOR_SRP"] == user.username
    for key in ("SALT", "SRP_B"):
        assert params[key] and set(params[key]) <= HEX_DIGITS, (key, params[key])
    assert int(params["SRP_B"], 16) % N != 0
    assert base64.b64decode(params["SECRET_BLOCK"], validate=True)


def test_each_srp_start_gets_fresh_b_and_secret_block(cognate, idp):
    app = srp_app(idp)
    user = confirmed_user(app, cognate)
    first = start_srp(app, user.username)[2]["ChallengeParameters"]
    second = start_srp(app, user.username)[2]["ChallengeParameters"]
    assert first["SALT"] == second["SALT"]  # the salt belongs to the stored verifier
    assert first["SRP_B"] != second["SRP_B"]
    assert first["SECRET_BLOCK"] != second["SECRET_BLOCK"]


def test_password_verifier_answer_returns_tokens(cognate, idp):
    app = srp_app(idp)
    user = confirmed_user(app, cognate)
    response = srp_sign_in(app, user.username)
    assert "ChallengeName" not in response
    assert_tokens_verify(cognate, app, response["AuthenticationResult"], user.username)


def test_password_verifier_answer_without_session_is_accepted(cognate, idp):
    """pycognito's authenticate_user sends no Session; the SECRET_BLOCK carries the state."""
    app = srp_app(idp)
    user = confirmed_user(app, cognate)
    srp, params, challenge = start_srp(app, user.username)
    response = idp.respond_to_auth_challenge(
        ClientId=app.client_id, ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=srp.process_challenge(challenge["ChallengeParameters"], params))
    assert_full_result(response["AuthenticationResult"])


def test_srp_tokens_work_with_get_user_and_refresh(cognate, idp):
    app = srp_app(idp)
    user = confirmed_user(app, cognate)
    result = srp_sign_in(app, user.username)["AuthenticationResult"]
    assert idp.get_user(AccessToken=result["AccessToken"])["Username"] == user.username
    refreshed = idp.initiate_auth(
        ClientId=app.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]})["AuthenticationResult"]
    assert refreshed["AccessToken"]


def test_srp_wrong_password_is_not_authorized(cognate, idp):
    app = srp_app(idp)
    user = confirmed_user(app, cognate)
    with pytest.raises(idp.exceptions.NotAuthorizedException) as err:
        srp_sign_in(app, user.username, OTHER_PASSWORD)
    assert error_message(err.value) == "Incorrect username or password."


def test_srp_unconfirmed_user_is_user_not_confirmed(idp):
    app = srp_app(idp)
    user = sign_up_user(app)
    with pytest.raises(idp.exceptions.UserNotConfirmedException):
        srp_sign_in(app, user.username)


def test_srp_flow_not_enabled_on_client_is_invalid_parameter(cognate, idp):
    app = make_app(idp)  # USER_PASSWORD, ADMIN_USER_PASSWORD and REFRESH_TOKEN only
    user = confirmed_user(app, cognate)
    with pytest.raises(idp.exceptions.InvalidParameterException):
        start_srp(app, user.username)


def test_client_with_default_flows_allows_srp(cognate, idp):
    app = make_app(idp, client={"ExplicitAuthFlows": None})
    user = confirmed_user(app, cognate)
    assert_full_result(srp_sign_in(app, user.username)["AuthenticationResult"])


def test_missing_srp_a_is_invalid_parameter(cognate, idp):
    app = srp_app(idp)
    user = confirmed_user(app, cognate)
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.initiate_auth(ClientId=app.client_id, AuthFlow="USER_SRP_AUTH",
                          AuthParameters={"USERNAME": user.username})


def zero_key_answer(app: App, challenge: dict, srp_a: str) -> dict:
    """The claim anyone can forge when A ≡ 0 mod N: the server's S is then 0."""
    params = challenge["ChallengeParameters"]
    u = aws_srp.calculate_u(int(srp_a, 16), int(params["SRP_B"], 16))
    key = aws_srp.compute_hkdf(bytes.fromhex(aws_srp.pad_hex(0)),
                               bytes.fromhex(aws_srp.pad_hex(u)))
    timestamp = AWSSRP.get_cognito_formatted_timestamp(datetime.now(timezone.utc))
    message = (app.pool_id.split("_")[1] + params["USER_ID_FOR_SRP"]).encode() \
        + base64.b64decode(params["SECRET_BLOCK"]) + timestamp.encode()
    signature = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
    return {"USERNAME": params["USERNAME"], "TIMESTAMP": timestamp,
            "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
            "PASSWORD_CLAIM_SIGNATURE": signature}


@pytest.mark.parametrize("srp_a", ["0", aws_srp.N_HEX.lower(), f"{2 * N:x}"],
                         ids=["zero", "N", "2N"])
def test_srp_a_that_is_zero_mod_n_never_yields_tokens(cognate, idp, srp_a):
    app = srp_app(idp)
    user = confirmed_user(app, cognate)
    refused = {"InvalidParameterException", "NotAuthorizedException"}
    try:
        challenge = idp.initiate_auth(ClientId=app.client_id, AuthFlow="USER_SRP_AUTH",
                                      AuthParameters={"USERNAME": user.username, "SRP_A": srp_a})
    except botocore.exceptions.ClientError as exc:
        assert error_code(exc) in refused, exc
        return
    with pytest.raises(botocore.exceptions.ClientError) as err:  # refused at the answer, then
        answer(app, challenge, zero_key_answer(app, challenge, srp_a))
    assert error_code(err.value) in refused


def tampered(secret_block: str) -> str:
    raw = bytearray(base64.b64decode(secret_block))
    raw[len(raw) // 2] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def test_tampered_secret_block_is_not_authorized(cognate, idp):
    app = srp_app(idp)
    user = confirmed_user(app, cognate)
    srp, params, challenge = start_srp(app, user.username)
    responses = srp.process_challenge(challenge["ChallengeParameters"], params)
    responses["PASSWORD_CLAIM_SECRET_BLOCK"] = tampered(responses["PASSWORD_CLAIM_SECRET_BLOCK"])
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        answer(app, challenge, responses)


def test_tampered_secret_block_signed_with_the_right_key_is_not_authorized(cognate, idp):
    app = srp_app(idp)
    user = confirmed_user(app, cognate)
    srp, params, challenge = start_srp(app, user.username)
    forged = dict(challenge["ChallengeParameters"])
    forged["SECRET_BLOCK"] = tampered(forged["SECRET_BLOCK"])
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        answer(app, challenge, srp.process_challenge(forged, params))


def test_secret_block_is_single_use(cognate, idp):
    app = srp_app(idp)
    user = confirmed_user(app, cognate)
    srp, params, challenge = start_srp(app, user.username)
    responses = srp.process_challenge(challenge["ChallengeParameters"], params)
    assert_full_result(answer(app, challenge, responses)["AuthenticationResult"])
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        answer(app, challenge, responses)


def test_srp_with_client_secret(cognate, idp):
    app = srp_app(idp, GenerateSecret=True)
    user = confirmed_user(app, cognate)
    srp, params, challenge = start_srp(app, user.username)
    assert "SECRET_HASH" in params
    responses = srp.process_challenge(challenge["ChallengeParameters"], params)
    assert "SECRET_HASH" in responses
    assert_full_result(answer(app, challenge, responses)["AuthenticationResult"])


def test_srp_in_email_username_pool_uses_the_sub(cognate, idp):
    app = srp_app(idp, pool={"UsernameAttributes": ["email"]})
    email = unique_email("srp")
    sub = app.sign_up(email)["UserSub"]
    app.confirm(email, cognate.latest_code(email))
    srp, params, challenge = start_srp(app, email)
    assert challenge["ChallengeParameters"]["USER_ID_FOR_SRP"] == sub
    assert challenge["ChallengeParameters"]["USERNAME"] == sub
    result = answer(app, challenge, srp.process_challenge(challenge["ChallengeParameters"], params))
    assert_tokens_verify(cognate, app, result["AuthenticationResult"], sub)


def test_srp_with_email_alias_uses_the_real_username(cognate, idp):
    app = srp_app(idp, pool={"AliasAttributes": ["email"]})
    user = confirmed_user(app, cognate)  # confirming by code verifies the email
    srp, params, challenge = start_srp(app, user.email)
    assert challenge["ChallengeParameters"]["USER_ID_FOR_SRP"] == user.username
    assert challenge["ChallengeParameters"]["USERNAME"] == user.username
    result = answer(app, challenge, srp.process_challenge(challenge["ChallengeParameters"], params))
    assert_tokens_verify(cognate, app, result["AuthenticationResult"], user.username)


# --------------------------------------------------------------------------- AdminInitiateAuth


def admin_srp_sign_in(app: App, username: str, password: str = PASSWORD) -> dict:
    srp = srp_client(app, username, password)
    params = srp.get_auth_params()
    challenge = app.idp.admin_initiate_auth(UserPoolId=app.pool_id, ClientId=app.client_id,
                                            AuthFlow="USER_SRP_AUTH", AuthParameters=params)
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER", challenge
    assert challenge["ChallengeParameters"]["USER_ID_FOR_SRP"] == username
    return app.idp.admin_respond_to_auth_challenge(
        UserPoolId=app.pool_id, ClientId=app.client_id, ChallengeName="PASSWORD_VERIFIER",
        Session=challenge["Session"],
        ChallengeResponses=srp.process_challenge(challenge["ChallengeParameters"], params))


def test_admin_initiate_auth_with_srp_returns_tokens(cognate, idp):
    app = srp_app(idp)
    user = confirmed_user(app, cognate)
    result = admin_srp_sign_in(app, user.username)["AuthenticationResult"]
    assert_tokens_verify(cognate, app, result, user.username)


def test_admin_srp_wrong_password_is_not_authorized(cognate, idp):
    app = srp_app(idp)
    user = confirmed_user(app, cognate)
    with pytest.raises(idp.exceptions.NotAuthorizedException) as err:
        admin_srp_sign_in(app, user.username, OTHER_PASSWORD)
    assert error_message(err.value) == "Incorrect username or password."


# --------------------------------------------------------------------------- pycognito.Cognito


def test_pycognito_authenticate(cognate, idp):
    app = srp_app(idp)
    user = confirmed_user(app, cognate)
    cog = pycognito(cognate, app, user.username)
    cog.authenticate(password=PASSWORD)  # verifies both tokens against the pool's JWKS
    assert cog.token_type == "Bearer"
    assert cog.id_claims["cognito:username"] == user.username
    assert cog.access_claims["username"] == user.username
    assert cog.refresh_token
    assert_tokens_verify(cognate, app, {"IdToken": cog.id_token, "AccessToken": cog.access_token,
                                        "RefreshToken": cog.refresh_token, "ExpiresIn": 3600,
                                        "TokenType": cog.token_type}, user.username)


def test_pycognito_authenticate_with_client_secret(cognate, idp):
    app = srp_app(idp, GenerateSecret=True)
    user = confirmed_user(app, cognate)
    cog = pycognito(cognate, app, user.username)
    cog.authenticate(password=PASSWORD)
    assert cog.id_claims["cognito:username"] == user.username


def test_pycognito_authenticate_with_email_alias(cognate, idp):
    app = srp_app(idp, pool={"AliasAttributes": ["email"]})
    user = confirmed_user(app, cognate)
    cog = pycognito(cognate, app, user.email)
    cog.authenticate(password=PASSWORD)
    assert cog.id_claims["cognito:username"] == user.username
    assert cog.id_claims["email"] == user.email


def test_pycognito_authenticate_with_email_as_username(cognate, idp):
    app = srp_app(idp, pool={"UsernameAttributes": ["email"]})
    email = unique_email("pyc")
    sub = app.sign_up(email)["UserSub"]
    app.confirm(email, cognate.latest_code(email))
    cog = pycognito(cognate, app, email)
    cog.authenticate(password=PASSWORD)
    assert cog.id_claims["cognito:username"] == sub
    assert cog.id_claims["email"] == email


def test_pycognito_wrong_password_is_not_authorized(cognate, idp):
    app = srp_app(idp)
    user = confirmed_user(app, cognate)
    cog = pycognito(cognate, app, user.username)
    with pytest.raises(cog.client.exceptions.NotAuthorizedException):
        cog.authenticate(password=OTHER_PASSWORD)


# --------------------------------------------------------------------------- NEW_PASSWORD_REQUIRED


def temp_password_challenge(app: App, username: str) -> dict:
    response = app.password_auth(username, TEMP_PASSWORD)
    assert response.get("ChallengeName") == "NEW_PASSWORD_REQUIRED", response
    return response


def answer_new_password(app: App, username: str, session: str, new_password: str) -> dict:
    return app.idp.respond_to_auth_challenge(
        ClientId=app.client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=session,
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": new_password})


def test_admin_created_user_is_force_change_password(idp):
    app = srp_app(idp)
    username = admin_created_user(app)
    assert app.admin_get_user(username)["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_temporary_password_sign_in_is_new_password_required(idp):
    app = srp_app(idp)
    email = unique_email("temp")
    username = admin_created_user(app, email)
    response = temp_password_challenge(app, username)
    assert "AuthenticationResult" not in response
    assert isinstance(response["Session"], str) and response["Session"]
    params = response["ChallengeParameters"]
    assert params["USER_ID_FOR_SRP"] == username
    assert json.loads(params["requiredAttributes"]) == []
    assert json.loads(params["userAttributes"])["email"] == email


def test_new_password_answer_returns_tokens_and_confirms_user(cognate, idp):
    app = srp_app(idp)
    username = admin_created_user(app)
    challenge = temp_password_challenge(app, username)
    response = answer_new_password(app, username, challenge["Session"], PASSWORD)
    assert "ChallengeName" not in response
    assert_tokens_verify(cognate, app, response["AuthenticationResult"], username)
    assert app.admin_get_user(username)["UserStatus"] == "CONFIRMED"
    assert app.tokens(username, PASSWORD)["AccessToken"]
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        app.password_auth(username, TEMP_PASSWORD)


def test_new_password_answer_with_wrong_session_is_not_authorized(idp):
    app = srp_app(idp)
    username = admin_created_user(app)
    temp_password_challenge(app, username)
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        answer_new_password(app, username, "not-a-session-" + "x" * 40, PASSWORD)
    assert app.admin_get_user(username)["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_new_password_breaking_policy_is_invalid_password_and_can_be_retried(cognate, idp):
    app = srp_app(idp)
    username = admin_created_user(app)
    session = temp_password_challenge(app, username)["Session"]
    with pytest.raises(idp.exceptions.InvalidPasswordException):
        answer_new_password(app, username, session, "short")
    assert app.admin_get_user(username)["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    response = answer_new_password(app, username, session, PASSWORD)
    assert_full_result(response["AuthenticationResult"])
    assert app.admin_get_user(username)["UserStatus"] == "CONFIRMED"


def test_srp_sign_in_with_temporary_password_reaches_new_password_required(idp):
    app = srp_app(idp)
    username = admin_created_user(app)
    response = srp_sign_in(app, username, TEMP_PASSWORD)
    assert response["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert response["Session"]
    assert response["ChallengeParameters"]["USER_ID_FOR_SRP"] == username


def test_pycognito_force_change_password_then_new_password_challenge(cognate, idp):
    app = srp_app(idp)
    username = admin_created_user(app)
    cog = pycognito(cognate, app, username)
    with pytest.raises(ForceChangePasswordException):
        cog.authenticate(password=TEMP_PASSWORD)
    cog.new_password_challenge(password=TEMP_PASSWORD, new_password=PASSWORD)
    assert cog.id_claims["cognito:username"] == username
    assert app.admin_get_user(username)["UserStatus"] == "CONFIRMED"
    again = pycognito(cognate, app, username)
    again.authenticate(password=PASSWORD)
    assert again.access_claims["username"] == username


# =========================================================================== the sealing key


def test_secrets_key_is_created_private_in_the_data_dir(cognate):
    key = cognate.data_dir / "secrets.key"
    assert key.is_file()
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(base64.b64decode(key.read_text().strip() + "==")) == 32


def test_a_lost_key_is_refused_then_reset_stops_srp_until_the_next_password_sign_in(cognate):
    app = srp_app(cognate.idp())
    user = confirmed_user(app, cognate)
    assert "AuthenticationResult" in srp_sign_in(app, user.username)

    cognate.stop()
    (cognate.data_dir / "secrets.key").unlink()
    with pytest.raises(CognateError, match="not the one this database's SRP verifiers were sealed with"):
        cognate.start()
    cognate.serve_args = [*cognate.serve_args, "--reset-sealing-key"]
    cognate.start()
    app.idp = cognate.idp()
    with pytest.raises(app.idp.exceptions.NotAuthorizedException):
        srp_sign_in(app, user.username)
    assert "AuthenticationResult" in app.password_auth(user.username)
    assert "AuthenticationResult" in srp_sign_in(app, user.username)


def test_secrets_key_file_can_live_outside_the_data_dir(start_cognate, tmp_path):
    key = tmp_path / "shared" / "cognate.key"
    key.parent.mkdir()
    server = start_cognate(extra_args=["--secrets-key-file", str(key)])
    assert key.is_file() and not (server.data_dir / "secrets.key").exists()
    app = srp_app(server.idp())
    user = confirmed_user(app, server)
    assert "AuthenticationResult" in srp_sign_in(app, user.username)


def test_a_timestamp_not_in_the_clients_format_is_invalid_parameter(cognate, idp):
    app = srp_app(idp)
    user = confirmed_user(app, cognate)
    srp, params, challenge = start_srp(app, user.username)
    responses = srp.process_challenge(challenge["ChallengeParameters"], params)
    responses["TIMESTAMP"] = "2024-03-05T09:04:03Z"
    with pytest.raises(idp.exceptions.InvalidParameterException):
        answer(app, challenge, responses)
