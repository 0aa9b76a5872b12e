"""Shared helpers for the Lambda-trigger tests (test_triggers_*.py).

* ``arn(name)`` - the function ARN a pool's LambdaConfig holds;
* ``trigger_config(...)`` - the TOML that tells cognate where functions run;
* ``HANDLERS`` - the handler files in ``handlers/`` (the seed's ``auto_confirm.py`` is AWS's
  documented example, unchanged);
* ``lambda_error(...)`` / ``assert_no_user(...)`` - assertions for the error paths;
* ``verified_claims(...)`` - a token verified with PyJWT against the pool's JWKS.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import botocore.exceptions
import jwt
import pytest
import requests

from helpers import REGION, App, error_code

HERE = Path(__file__).resolve().parent
HANDLERS = HERE / "handlers"
ACCOUNT = "123456789012"


def arn(name: str) -> str:
    """``arn:aws:lambda:us-east-1:123456789012:function:<name>``."""
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def trigger_config(*, endpoint: str | None = None, timeout: str | None = None,
                   functions: dict[str, dict[str, str]] | None = None) -> str:
    """TOML for cognate's trigger settings.

    ``endpoint`` -> ``lambda_endpoint``; ``timeout`` -> ``[triggers] timeout``;
    ``functions={"name": {"runtime": "python3", "handler": "..."}}`` -> ``[functions.name]``.
    """
    lines: list[str] = []
    if endpoint is not None:
        lines.append(f"lambda_endpoint = {json.dumps(endpoint)}")
    if timeout is not None:
        lines += ["", "[triggers]", f"timeout = {json.dumps(timeout)}"]
    for name, options in (functions or {}).items():
        lines += ["", f"[functions.{json.dumps(name)}]"]
        lines += [f"{key} = {json.dumps(value)}" for key, value in options.items()]
    return "\n".join(lines) + "\n"


def python_handler(file: str, function: str = "lambda_handler") -> dict[str, str]:
    """``[functions.x]`` options running ``handlers/<file>.py`` with the python3 runtime."""
    return {"runtime": "python3", "handler": f"{HANDLERS / file}.{function}"}


def node_handler(file: str, function: str = "handler") -> dict[str, str]:
    """``[functions.x]`` options running ``handlers/<file>.js`` with the nodejs runtime."""
    return {"runtime": "nodejs", "handler": f"{HANDLERS / file}.{function}"}


# --------------------------------------------------------------------------- errors


def lambda_error(call: Callable[[], Any], code: str) -> tuple[str, dict]:
    """Run ``call``, expect a modeled HTTP 400 ``code``; returns (message, raw error)."""
    with pytest.raises(botocore.exceptions.ClientError) as err:
        call()
    response = err.value.response
    assert error_code(err.value) == code, response.get("Error")
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    assert status == 400, f"{code} must be HTTP 400, got {status}"
    return response["Error"].get("Message", ""), response["Error"]


def assert_no_user(app: App, username: str) -> None:
    """No trace of ``username`` in the pool: AdminGetUser fails and ListUsers is silent."""
    with pytest.raises(botocore.exceptions.ClientError) as err:
        app.admin_get_user(username)
    assert error_code(err.value) == "UserNotFoundException"
    listed = app.idp.list_users(UserPoolId=app.pool_id)["Users"]
    assert username not in [u["Username"] for u in listed], listed


# --------------------------------------------------------------------------- tokens


def fetch_jwks(base_url: str, pool_id: str) -> dict:
    response = requests.get(f"{base_url}/{pool_id}/.well-known/jwks.json", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def verified_claims(server: Any, app: App, token: str, audience: str | None = None) -> dict:
    """Claims of ``token`` after verifying its RS256 signature against the pool's JWKS."""
    jwks = fetch_jwks(server.url, app.pool_id)
    header = jwt.get_unverified_header(token)
    keys = {k["kid"]: k for k in jwks["keys"]}
    assert header.get("alg") == "RS256" and header.get("kid") in keys, header
    key = jwt.PyJWK(keys[header["kid"]]).key
    options: dict[str, Any] = {"require": ["exp", "iat", "iss", "sub"]}
    if audience is None:
        options["verify_aud"] = False
    return jwt.decode(token, key, algorithms=["RS256"], issuer=f"{server.url}/{app.pool_id}",
                      audience=audience, options=options, leeway=5)


def assert_all_strings(mapping: dict, what: str = "userAttributes") -> None:
    bad = {k: v for k, v in mapping.items() if not isinstance(v, str)}
    assert not bad, f"every {what} value must be a string: {bad}"


# --------------------------------------------------------------------------- pre-token V2

V2_ARN_CONFIG = "V2_0"


def pre_token_v2_pool(function: str) -> dict:
    """``make_pool`` options for a pool whose PreTokenGeneration is V2 ``function``."""
    return {
        "UserPoolTier": "ESSENTIALS",  # Cognito needs Essentials or Plus for V2 events
        "LambdaConfig": {"PreTokenGenerationConfig": {"LambdaVersion": V2_ARN_CONFIG,
                                                      "LambdaArn": arn(function)}},
    }


def assert_pre_token_v2_claims(server: Any, app: App, tokens: dict, sub: str,
                               username: str) -> None:
    """The tokens reflect handlers/pre_token_v2.py: JSON-valued claims in both tokens, the
    extra scope in the access token, ``email`` suppressed, ``sub``/``token_use`` untouched."""
    id_claims = verified_claims(server, app, tokens["IdToken"], audience=app.client_id)
    assert id_claims["tenant"] == "acme"
    assert id_claims["tier"] == 3 and isinstance(id_claims["tier"], int)
    assert id_claims["roles"] == ["admin", "billing"]
    assert "email" not in id_claims
    assert id_claims["sub"] == sub, "sub cannot be overridden"
    assert id_claims["token_use"] == "id"
    assert id_claims["cognito:username"] == username

    access = verified_claims(server, app, tokens["AccessToken"])
    assert access["tenant"] == "acme"
    assert access["tier"] == 3
    assert access["features"] == {"beta": True, "quota": 10}
    assert access["token_use"] == "access", "token_use cannot be overridden"
    assert access["sub"] == sub
    assert access["client_id"] == app.client_id
    scopes = access["scope"].split(" ")
    assert "aws.cognito.signin.user.admin" in scopes
    assert "reports/read" in scopes
    assert "roles" not in access, "id-token claims stay out of the access token"
