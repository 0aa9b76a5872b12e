"""Refresh-token rotation (app client ``RefreshTokenRotation``) and GetTokensFromRefreshToken.

With rotation ENABLED a refresh returns a new RefreshToken; the one it replaces keeps working
only for ``RetryGracePeriodSeconds``. Without rotation a refresh returns no RefreshToken and the
same one keeps working. As on Cognito, a client with rotation refreshes through
GetTokensFromRefreshToken only (InitiateAuth REFRESH_TOKEN_AUTH is refused), and a rotated-out
token answers RefreshTokenReuseException. Without rotation both refreshers are tested (parameter
ids ``initiate_auth`` / ``get_tokens``).
"""

from __future__ import annotations

import time
from typing import Any, Callable

import pytest

from helpers import (
    App,
    assert_empty_response,
    confirmed_user,
    error_message,
    make_app,
)
from trigger_helpers import verified_claims

INVALID_REFRESH = "Invalid Refresh Token"


def rotation(grace: int) -> dict:
    return {"Feature": "ENABLED", "RetryGracePeriodSeconds": grace}


def rotating_app(idp: Any, grace: int, **client: Any) -> App:
    return make_app(idp, client={"RefreshTokenRotation": rotation(grace), **client})


# --------------------------------------------------------------------------- the two refreshers


def via_initiate_auth(app: App, refresh_token: str, username: str | None = None) -> dict:
    """InitiateAuth REFRESH_TOKEN_AUTH (SECRET_HASH from ``username`` for secret clients)."""
    params = {"REFRESH_TOKEN": refresh_token}
    if username is not None:
        params.update(app._auth_secret(username))
    return app.idp.initiate_auth(ClientId=app.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                 AuthParameters=params)["AuthenticationResult"]


def via_get_tokens(app: App, refresh_token: str, username: str | None = None) -> dict:
    """GetTokensFromRefreshToken (ClientSecret for secret clients)."""
    params = {"RefreshToken": refresh_token, "ClientId": app.client_id}
    if app.client_secret:
        params["ClientSecret"] = app.client_secret
    response = app.idp.get_tokens_from_refresh_token(**params)
    assert set(response) == {"AuthenticationResult", "ResponseMetadata"}, response
    return response["AuthenticationResult"]


Refresher = Callable[..., dict]

REFRESHERS = [
    pytest.param(via_initiate_auth, id="initiate_auth"),
    pytest.param(via_get_tokens, id="get_tokens"),
]


ROTATING = [pytest.param(via_get_tokens, id="get_tokens")]


def assert_refused(refresh: Refresher, app: App, refresh_token: str,
                   message: str | None = INVALID_REFRESH, username: str | None = None) -> None:
    with pytest.raises(app.idp.exceptions.NotAuthorizedException) as err:
        refresh(app, refresh_token, username)
    if message is not None:
        assert error_message(err.value) == message


def assert_reused(refresh: Refresher, app: App, refresh_token: str, username: str | None = None) -> None:
    """A token that rotation replaced, after its grace period."""
    with pytest.raises(app.idp.exceptions.RefreshTokenReuseException):
        refresh(app, refresh_token, username)


def assert_fresh_tokens(result: dict) -> None:
    assert result["AccessToken"] and result["IdToken"], result
    assert result["TokenType"] == "Bearer"
    assert result["ExpiresIn"] == 3600


# =========================================================================== client settings


@pytest.mark.parametrize("grace", [0, 10, 60])
def test_describe_client_echoes_refresh_token_rotation(idp, grace):
    app = rotating_app(idp, grace)
    described = idp.describe_user_pool_client(UserPoolId=app.pool_id,
                                              ClientId=app.client_id)["UserPoolClient"]
    assert described["RefreshTokenRotation"] == rotation(grace)


# =========================================================================== rotation enabled


@pytest.mark.parametrize("refresh", ROTATING)
def test_rotation_returns_a_new_refresh_token_that_works(cognate, idp, refresh):
    app = rotating_app(idp, 0)
    user = confirmed_user(app, cognate)
    signed_in = app.tokens(user.username)
    first = signed_in["RefreshToken"]

    rotated = refresh(app, first)
    assert_fresh_tokens(rotated)
    second = rotated.get("RefreshToken")
    assert second, f"rotation must return a new RefreshToken: {sorted(rotated)}"
    assert second != first
    assert idp.get_user(AccessToken=rotated["AccessToken"])["Username"] == user.username
    id_claims = verified_claims(cognate, app, rotated["IdToken"], audience=app.client_id)
    assert id_claims["sub"] == user.sub
    assert id_claims["cognito:username"] == user.username
    assert verified_claims(cognate, app, rotated["AccessToken"])["client_id"] == app.client_id

    again = refresh(app, second)
    assert_fresh_tokens(again)
    third = again.get("RefreshToken")
    assert third and third not in (first, second)
    assert idp.get_user(AccessToken=again["AccessToken"])["Username"] == user.username


@pytest.mark.parametrize("refresh", ROTATING)
def test_rotated_out_token_is_refused_at_once_without_grace_period(cognate, idp, refresh):
    app = rotating_app(idp, 0)
    user = confirmed_user(app, cognate)
    first = app.tokens(user.username)["RefreshToken"]
    second = refresh(app, first)["RefreshToken"]

    assert_reused(refresh, app, first)
    assert refresh(app, second)["AccessToken"], "the replacement is unaffected"


@pytest.mark.slow
@pytest.mark.parametrize("refresh", ROTATING)
def test_rotated_out_token_works_only_within_the_grace_period(cognate, idp, refresh):
    app = rotating_app(idp, 2)
    user = confirmed_user(app, cognate)
    first = app.tokens(user.username)["RefreshToken"]
    second = refresh(app, first)["RefreshToken"]
    rotated_at = time.monotonic()

    time.sleep(0.5)
    retried = refresh(app, first)
    assert time.monotonic() - rotated_at < 2.0, "the retry ran too late to test the grace period"
    assert_fresh_tokens(retried)
    assert idp.get_user(AccessToken=retried["AccessToken"])["Username"] == user.username

    time.sleep(max(0.0, rotated_at + 3.0 - time.monotonic()))
    assert_reused(refresh, app, first)
    # The retry may hand out the same replacement or a newer one; either outlives the grace.
    latest = retried.get("RefreshToken") or second
    assert latest != first
    assert refresh(app, latest)["AccessToken"], "the replacement outlives the grace period"


@pytest.mark.parametrize("refresh", ROTATING)
def test_rotation_leaves_other_sign_ins_alone(cognate, idp, refresh):
    app = rotating_app(idp, 0)
    user = confirmed_user(app, cognate)
    session_a = app.tokens(user.username)["RefreshToken"]
    session_b = app.tokens(user.username)["RefreshToken"]
    refresh(app, session_a)
    assert_reused(refresh, app, session_a)
    assert refresh(app, session_b)["RefreshToken"] != session_b


@pytest.mark.parametrize("refresh", ROTATING)
def test_revoking_the_latest_rotated_token_refuses_the_whole_family(cognate, idp, refresh):
    app = rotating_app(idp, 60)  # the rotated-out token would otherwise still be in grace
    user = confirmed_user(app, cognate)
    first = app.tokens(user.username)["RefreshToken"]
    latest = refresh(app, first)["RefreshToken"]

    assert_empty_response(idp.revoke_token(Token=latest, ClientId=app.client_id))
    assert_refused(refresh, app, latest, message=None)
    assert_refused(refresh, app, first, message=None)
    assert_refused(via_get_tokens, app, latest, message=None)
    assert app.tokens(user.username)["RefreshToken"], "signing in again still works"


@pytest.mark.parametrize("refresh", ROTATING)
def test_rotation_for_a_client_with_a_secret(cognate, idp, refresh):
    app = rotating_app(idp, 0, GenerateSecret=True)
    user = confirmed_user(app, cognate)
    first = app.tokens(user.username)["RefreshToken"]
    rotated = refresh(app, first, user.username)
    assert_fresh_tokens(rotated)
    second = rotated["RefreshToken"]
    assert second != first
    assert refresh(app, second, user.username)["AccessToken"]
    assert_reused(refresh, app, first, username=user.username)


def test_initiate_auth_refresh_is_refused_for_a_rotating_client(cognate, idp):
    app = rotating_app(idp, 0)
    user = confirmed_user(app, cognate)
    first = app.tokens(user.username)["RefreshToken"]
    with pytest.raises(idp.exceptions.InvalidParameterException):
        via_initiate_auth(app, first)
    assert via_get_tokens(app, first)["RefreshToken"], "the token was not spent by the refusal"


# =========================================================================== rotation disabled


@pytest.mark.parametrize("refresh", REFRESHERS)
def test_without_rotation_no_refresh_token_is_returned_and_the_old_one_keeps_working(
        cognate, idp, refresh):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    refresh_token = app.tokens(user.username)["RefreshToken"]
    for _ in range(3):
        result = refresh(app, refresh_token)
        assert_fresh_tokens(result)
        assert "RefreshToken" not in result, "no rotation: no new RefreshToken"
        assert idp.get_user(AccessToken=result["AccessToken"])["Username"] == user.username


def test_get_tokens_from_refresh_token_for_a_secret_client_without_rotation(cognate, idp):
    app = make_app(idp, client={"GenerateSecret": True})
    user = confirmed_user(app, cognate)
    refresh_token = app.tokens(user.username)["RefreshToken"]
    result = via_get_tokens(app, refresh_token)
    assert_fresh_tokens(result)
    assert "RefreshToken" not in result
    claims = verified_claims(cognate, app, result["IdToken"], audience=app.client_id)
    assert claims["sub"] == user.sub


def test_get_tokens_from_refresh_token_after_revocation_is_not_authorized(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    refresh_token = app.tokens(user.username)["RefreshToken"]
    idp.revoke_token(Token=refresh_token, ClientId=app.client_id)
    assert_refused(via_get_tokens, app, refresh_token, message=None)


def test_get_tokens_from_a_garbage_refresh_token_is_not_authorized(idp):
    app = rotating_app(idp, 0)
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        via_get_tokens(app, "not-a-refresh-token")
