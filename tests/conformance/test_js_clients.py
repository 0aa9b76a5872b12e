"""SRP sign-in from JavaScript: amazon-cognito-identity-js under Node, aws-jwt-verify on the tokens.

node/srp_signin.js signs in with ``CognitoUser.authenticateUser`` (USER_SRP_AUTH, the library's
default flow), answers NEW_PASSWORD_REQUIRED when given a new password, and verifies both
tokens with ``CognitoJwtVerifier`` primed with the pool's JWKS (it never calls AWS). That
verifier insists on ``iss = https://cognito-idp.<region>.amazonaws.com/<poolId>``, so these
servers run with that ``--public-url``.

The node packages are pinned in node/package.json and installed by scripts/test.sh; the tests
skip only when node or node/node_modules is missing, and fail instead under
``COGNATE_REQUIRE_NODE=1`` (CI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from helpers import PASSWORD, App, confirmed_user, make_app, unique_email, unique_name

NODE_DIR = Path(__file__).resolve().parent / "node"
SCRIPT = NODE_DIR / "srp_signin.js"
AWS_PUBLIC_URL = "https://cognito-idp.us-east-1.amazonaws.com"
SRP_CLIENT = {"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}
TEMP_PASSWORD = "Temp-pass-1A"
NODE_TIMEOUT = 60.0


def _missing(reason: str) -> None:
    # CI sets COGNATE_REQUIRE_NODE=1: there a missing client is a failure, never a skip.
    if os.environ.get("COGNATE_REQUIRE_NODE") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def node() -> str:
    executable = shutil.which("node")
    if executable is None:
        _missing("node is not installed (scripts/test.sh installs the JS clients when it is)")
    for package in ("amazon-cognito-identity-js", "aws-jwt-verify"):
        if not (NODE_DIR / "node_modules" / package).is_dir():
            _missing(f"{package} is not installed: run `npm ci` in {NODE_DIR}")
    return executable


@pytest.fixture
def server(start_cognate):
    """A cognate whose tokens carry the issuer CognitoJwtVerifier expects."""
    return start_cognate(public_url=AWS_PUBLIC_URL)


@pytest.fixture
def app(server) -> App:
    return make_app(server.idp(), client=SRP_CLIENT)


def js_sign_in(node: str, server: Any, app: App, username: str, password: str,
               new_password: str | None = None) -> dict:
    """Run node/srp_signin.js; returns its one JSON line, parsed."""
    request = {"endpoint": server.url, "poolId": app.pool_id, "clientId": app.client_id,
               "username": username, "password": password}
    if new_password is not None:
        request["newPassword"] = new_password
    proc = subprocess.run([node, str(SCRIPT)], input=json.dumps(request), capture_output=True,
                          text=True, timeout=NODE_TIMEOUT, cwd=NODE_DIR)
    assert proc.returncode == 0, f"node exited {proc.returncode}\n{proc.stderr}"
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, f"expected one JSON line, got {proc.stdout!r}\n{proc.stderr}"
    return json.loads(lines[0])


def assert_verified(result: dict, app: App, username: str) -> None:
    """Signed in, and aws-jwt-verify accepted both tokens."""
    assert result["ok"], result
    verified = result["verify"]
    assert verified["id"]["ok"], verified["id"]
    assert verified["access"]["ok"], verified["access"]
    id_claims, access_claims = verified["id"]["claims"], verified["access"]["claims"]
    assert id_claims["iss"] == f"{AWS_PUBLIC_URL}/{app.pool_id}"
    assert id_claims["token_use"] == "id"
    assert id_claims["aud"] == app.client_id
    assert id_claims["cognito:username"] == username
    assert access_claims["token_use"] == "access"
    assert access_claims["client_id"] == app.client_id
    assert access_claims["username"] == username
    assert result["refreshToken"]


def test_js_srp_sign_in_tokens_pass_aws_jwt_verify(node, server, app):
    user = confirmed_user(app, server)
    result = js_sign_in(node, server, app, user.username, user.password)
    assert_verified(result, app, user.username)
    assert result["newPasswordRequired"] is False
    assert result["username"] == user.username  # USER_ID_FOR_SRP, adopted by the library


def test_js_tokens_work_with_get_user(node, server, app):
    user = confirmed_user(app, server)
    result = js_sign_in(node, server, app, user.username, user.password)
    assert result["ok"], result
    assert server.idp().get_user(AccessToken=result["accessToken"])["Username"] == user.username


def test_js_wrong_password_is_not_authorized(node, server, app):
    user = confirmed_user(app, server)
    result = js_sign_in(node, server, app, user.username, "Wr0ng-Battery!")
    assert result["ok"] is False, result
    assert result["code"] == "NotAuthorizedException"
    assert result["message"] == "Incorrect username or password."


def test_js_sign_in_with_email_in_email_username_pool(node, server):
    app = make_app(server.idp(), pool={"UsernameAttributes": ["email"]}, client=SRP_CLIENT)
    email = unique_email("js")
    sub = app.sign_up(email)["UserSub"]
    app.confirm(email, server.latest_code(email))
    result = js_sign_in(node, server, app, email, PASSWORD)
    assert_verified(result, app, sub)
    assert result["username"] == sub
    assert result["verify"]["id"]["claims"]["email"] == email


def test_js_new_password_required_then_plain_sign_in(node, server, app):
    idp = server.idp()
    username, email = unique_name("js"), unique_email("js")
    idp.admin_create_user(
        UserPoolId=app.pool_id, Username=username, TemporaryPassword=TEMP_PASSWORD,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email},
                        {"Name": "email_verified", "Value": "true"}])

    first = js_sign_in(node, server, app, username, TEMP_PASSWORD, new_password=PASSWORD)
    assert first["newPasswordRequired"] is True, first
    assert first["requiredAttributes"] == []
    assert first["userAttributes"]["email"] == email
    assert_verified(first, app, username)
    assert app.admin_get_user(username)["UserStatus"] == "CONFIRMED"

    second = js_sign_in(node, server, app, username, PASSWORD)
    assert second["newPasswordRequired"] is False
    assert_verified(second, app, username)


def test_js_temporary_password_without_new_password_stops_at_the_challenge(node, server, app):
    username = unique_name("js")
    server.idp().admin_create_user(UserPoolId=app.pool_id, Username=username,
                                   TemporaryPassword=TEMP_PASSWORD, MessageAction="SUPPRESS")
    result = js_sign_in(node, server, app, username, TEMP_PASSWORD)
    assert result["ok"] is False
    assert result["code"] == "NewPasswordRequired", result
    assert app.admin_get_user(username)["UserStatus"] == "FORCE_CHANGE_PASSWORD"
