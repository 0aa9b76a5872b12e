"""Signing out: GlobalSignOut, AdminUserGlobalSignOut and RevokeToken."""

from __future__ import annotations

import pytest

from harness import AwsCliError
from helpers import (
    PASSWORD,
    App,
    assert_empty_response,
    confirmed_user,
    error_message,
    make_app,
    refresh_auth,
    unique_name,
)

ACCESS_REVOKED = "Access Token has been revoked"
REFRESH_REVOKED = "Refresh Token has been revoked"


def assert_access_revoked(app: App, access_token: str) -> None:
    with pytest.raises(app.idp.exceptions.NotAuthorizedException) as err:
        app.idp.get_user(AccessToken=access_token)
    assert error_message(err.value) == ACCESS_REVOKED


def assert_refresh_revoked(app: App, refresh_token: str, username: str | None = None) -> None:
    with pytest.raises(app.idp.exceptions.NotAuthorizedException) as err:
        refresh_auth(app, refresh_token, username)
    assert error_message(err.value) == REFRESH_REVOKED


def assert_session_works(app: App, tokens: dict, username: str) -> None:
    assert app.idp.get_user(AccessToken=tokens["AccessToken"])["Username"] == username
    refreshed = refresh_auth(app, tokens["RefreshToken"], username)
    assert app.idp.get_user(AccessToken=refreshed["AccessToken"])["Username"] == username


@pytest.fixture
def signed_in(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    return app, user, app.tokens(user.username)


# --------------------------------------------------------------------------- GlobalSignOut


def test_global_sign_out_returns_empty_and_revokes_the_access_token(signed_in, idp):
    app, user, tokens = signed_in
    assert_empty_response(idp.global_sign_out(AccessToken=tokens["AccessToken"]))
    assert_access_revoked(app, tokens["AccessToken"])


def test_global_sign_out_revokes_the_refresh_token(signed_in, idp):
    app, user, tokens = signed_in
    idp.global_sign_out(AccessToken=tokens["AccessToken"])
    assert_refresh_revoked(app, tokens["RefreshToken"])


def test_global_sign_out_revokes_every_earlier_session_of_the_user(signed_in, idp):
    app, user, tokens = signed_in
    other = app.tokens(user.username)
    refreshed = refresh_auth(app, tokens["RefreshToken"])
    idp.global_sign_out(AccessToken=tokens["AccessToken"])
    assert_access_revoked(app, other["AccessToken"])
    assert_access_revoked(app, refreshed["AccessToken"])
    assert_refresh_revoked(app, other["RefreshToken"])


def test_sign_in_after_global_sign_out_gives_working_tokens(signed_in, idp):
    app, user, tokens = signed_in
    idp.global_sign_out(AccessToken=tokens["AccessToken"])
    fresh = app.tokens(user.username)
    assert_session_works(app, fresh, user.username)


def test_global_sign_out_leaves_other_users_signed_in(cognate, signed_in, idp):
    app, user, tokens = signed_in
    bystander = confirmed_user(app, cognate)
    their_tokens = app.tokens(bystander.username)
    idp.global_sign_out(AccessToken=tokens["AccessToken"])
    assert_session_works(app, their_tokens, bystander.username)


def test_signed_out_access_token_is_refused_by_other_operations(signed_in, idp):
    app, user, tokens = signed_in
    idp.global_sign_out(AccessToken=tokens["AccessToken"])
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.change_password(PreviousPassword=PASSWORD, ProposedPassword="N3w-Passw0rd!",
                            AccessToken=tokens["AccessToken"])
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.delete_user(AccessToken=tokens["AccessToken"])
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.global_sign_out(AccessToken=tokens["AccessToken"])
    assert app.admin_get_user(user.username)["Username"] == user.username
    assert app.tokens(user.username, PASSWORD)["AccessToken"]  # password unchanged


def test_global_sign_out_with_garbage_token_is_not_authorized(idp):
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.global_sign_out(AccessToken="not.a.token")


def test_global_sign_out_with_the_aws_cli(signed_in, aws):
    app, user, tokens = signed_in
    assert aws("cognito-idp", "global-sign-out", "--access-token", tokens["AccessToken"]) == {}
    with pytest.raises(AwsCliError) as err:
        aws("cognito-idp", "get-user", "--access-token", tokens["AccessToken"])
    assert "NotAuthorizedException" in err.value.stderr
    assert ACCESS_REVOKED in err.value.stderr


# --------------------------------------------------------------------------- AdminUserGlobalSignOut


def test_admin_user_global_sign_out_revokes_the_users_tokens(signed_in, idp):
    app, user, tokens = signed_in
    assert_empty_response(idp.admin_user_global_sign_out(UserPoolId=app.pool_id,
                                                         Username=user.username))
    assert_access_revoked(app, tokens["AccessToken"])
    assert_refresh_revoked(app, tokens["RefreshToken"])


def test_sign_in_after_admin_user_global_sign_out_works(signed_in, idp):
    app, user, tokens = signed_in
    idp.admin_user_global_sign_out(UserPoolId=app.pool_id, Username=user.username)
    assert_session_works(app, app.tokens(user.username), user.username)


def test_admin_user_global_sign_out_of_unknown_user_is_user_not_found(idp):
    app = make_app(idp)
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_user_global_sign_out(UserPoolId=app.pool_id, Username=unique_name("ghost"))


# --------------------------------------------------------------------------- RevokeToken


def test_revoke_token_revokes_the_refresh_token(signed_in, idp):
    app, user, tokens = signed_in
    assert_empty_response(idp.revoke_token(Token=tokens["RefreshToken"],
                                           ClientId=app.client_id))
    assert_refresh_revoked(app, tokens["RefreshToken"])


def test_revoke_token_revokes_the_access_tokens_of_that_session(signed_in, idp):
    app, user, tokens = signed_in
    refreshed = refresh_auth(app, tokens["RefreshToken"])
    idp.revoke_token(Token=tokens["RefreshToken"], ClientId=app.client_id)
    assert_access_revoked(app, tokens["AccessToken"])
    assert_access_revoked(app, refreshed["AccessToken"])


def test_revoke_token_leaves_a_separate_sign_in_working(signed_in, idp):
    app, user, tokens = signed_in
    other = app.tokens(user.username)
    idp.revoke_token(Token=tokens["RefreshToken"], ClientId=app.client_id)
    assert_session_works(app, other, user.username)


def test_revoke_token_with_an_access_token_is_unsupported_token_type(signed_in, idp):
    app, user, tokens = signed_in
    with pytest.raises(idp.exceptions.UnsupportedTokenTypeException):
        idp.revoke_token(Token=tokens["AccessToken"], ClientId=app.client_id)
    assert_session_works(app, tokens, user.username)


def test_revoke_token_for_a_client_with_a_secret(cognate, idp):
    app = make_app(idp, client={"GenerateSecret": True})
    user = confirmed_user(app, cognate)
    tokens = app.tokens(user.username)
    assert_empty_response(idp.revoke_token(Token=tokens["RefreshToken"], ClientId=app.client_id,
                                           ClientSecret=app.client_secret))
    assert_refresh_revoked(app, tokens["RefreshToken"], user.username)
    assert_access_revoked(app, tokens["AccessToken"])


def test_revoke_token_with_the_aws_cli(signed_in, aws):
    app, user, tokens = signed_in
    assert aws("cognito-idp", "revoke-token", "--token", tokens["RefreshToken"],
               "--client-id", app.client_id) == {}
    assert_refresh_revoked(app, tokens["RefreshToken"])
