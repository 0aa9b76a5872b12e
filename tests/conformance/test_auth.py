"""Sign-in: InitiateAuth (USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH) and AdminInitiateAuth."""

from __future__ import annotations

import pytest

from helpers import (
    OTHER_PASSWORD,
    PASSWORD,
    confirmed_user,
    decode_jwt_unverified,
    error_message,
    make_app,
    sign_up_user,
    unique_name,
)


def assert_full_result(result: dict, expires_in: int = 3600) -> None:
    assert result["TokenType"] == "Bearer"
    assert result["ExpiresIn"] == expires_in
    for key in ("AccessToken", "IdToken", "RefreshToken"):
        assert isinstance(result.get(key), str) and result[key], key
    assert result["AccessToken"].count(".") == 2
    assert result["IdToken"].count(".") == 2


def test_user_password_auth_returns_bearer_tokens(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    response = app.password_auth(user.username)
    assert "ChallengeName" not in response
    assert_full_result(response["AuthenticationResult"])


def test_unconfirmed_user_with_right_password_is_user_not_confirmed(idp):
    app = make_app(idp)
    user = sign_up_user(app)
    with pytest.raises(idp.exceptions.UserNotConfirmedException) as err:
        app.password_auth(user.username)
    assert error_message(err.value) == "User is not confirmed."


def test_wrong_password_is_not_authorized(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    with pytest.raises(idp.exceptions.NotAuthorizedException) as err:
        app.password_auth(user.username, OTHER_PASSWORD)
    assert error_message(err.value) == "Incorrect username or password."


def test_unknown_user_is_user_not_found_with_legacy_existence_errors(idp):
    app = make_app(idp, client={"PreventUserExistenceErrors": "LEGACY"})
    with pytest.raises(idp.exceptions.UserNotFoundException) as err:
        app.password_auth(unique_name("ghost"))
    assert error_message(err.value) == "User does not exist."


def test_unknown_user_is_user_not_found_by_default(idp):
    app = make_app(idp)  # PreventUserExistenceErrors defaults to LEGACY
    with pytest.raises(idp.exceptions.UserNotFoundException):
        app.password_auth(unique_name("ghost"))


def test_username_is_case_sensitive_at_sign_in_by_default(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate, username=unique_name("Mixed"))
    with pytest.raises(idp.exceptions.UserNotFoundException):
        app.password_auth(user.username.lower())


def test_password_flow_not_enabled_on_client_is_invalid_parameter(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    srp_only = idp.create_user_pool_client(
        UserPoolId=app.pool_id, ClientName="srp-only",
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    with pytest.raises(idp.exceptions.InvalidParameterException) as err:
        idp.initiate_auth(ClientId=srp_only["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                          AuthParameters={"USERNAME": user.username, "PASSWORD": PASSWORD})
    assert "USER_PASSWORD_AUTH" in error_message(err.value)


def test_client_with_default_flows_refuses_user_password_auth(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    defaults = idp.create_user_pool_client(UserPoolId=app.pool_id,
                                           ClientName="defaults")["UserPoolClient"]
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.initiate_auth(ClientId=defaults["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                          AuthParameters={"USERNAME": user.username, "PASSWORD": PASSWORD})


def test_admin_flow_not_enabled_on_client_is_invalid_parameter(cognate, idp):
    app = make_app(idp, client={"ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH",
                                                      "ALLOW_REFRESH_TOKEN_AUTH"]})
    user = confirmed_user(app, cognate)
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.admin_initiate_auth(UserPoolId=app.pool_id, ClientId=app.client_id,
                                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                AuthParameters={"USERNAME": user.username, "PASSWORD": PASSWORD})


def test_admin_flow_through_initiate_auth_is_invalid_parameter(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.initiate_auth(ClientId=app.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                          AuthParameters={"USERNAME": user.username, "PASSWORD": PASSWORD})


def test_unknown_auth_flow_is_invalid_parameter(idp):
    app = make_app(idp)
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.initiate_auth(ClientId=app.client_id, AuthFlow="MAGIC_LINK_AUTH",
                          AuthParameters={"USERNAME": "someone", "PASSWORD": PASSWORD})


@pytest.mark.parametrize("missing", ["USERNAME", "PASSWORD"])
def test_missing_auth_parameter_is_invalid_parameter(cognate, idp, missing):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    params = {"USERNAME": user.username, "PASSWORD": PASSWORD}
    del params[missing]
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.initiate_auth(ClientId=app.client_id, AuthFlow="USER_PASSWORD_AUTH",
                          AuthParameters=params)


def test_unknown_client_is_resource_not_found(idp):
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.initiate_auth(ClientId="abcdefghijklmnopqrstuvwxyz", AuthFlow="USER_PASSWORD_AUTH",
                          AuthParameters={"USERNAME": "someone", "PASSWORD": PASSWORD})


def test_refresh_token_auth_returns_new_id_and_access_tokens_without_refresh_token(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    first = app.tokens(user.username)
    refreshed = idp.initiate_auth(ClientId=app.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                  AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]})
    result = refreshed["AuthenticationResult"]
    assert "RefreshToken" not in result
    assert result["TokenType"] == "Bearer"
    assert result["ExpiresIn"] == 3600
    assert result["AccessToken"] != first["AccessToken"]
    assert result["IdToken"] != first["IdToken"]
    got = idp.get_user(AccessToken=result["AccessToken"])
    assert got["Username"] == user.username
    old, new = decode_jwt_unverified(first["AccessToken"]), decode_jwt_unverified(result["AccessToken"])
    assert new["sub"] == old["sub"]
    assert new["auth_time"] == old["auth_time"]
    assert new["origin_jti"] == old["origin_jti"]
    assert new["jti"] != old["jti"]


def test_refresh_token_alias_flow_name_works(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    refresh = app.tokens(user.username)["RefreshToken"]
    result = idp.initiate_auth(ClientId=app.client_id, AuthFlow="REFRESH_TOKEN",
                               AuthParameters={"REFRESH_TOKEN": refresh})["AuthenticationResult"]
    assert result["AccessToken"]


def test_invalid_refresh_token_is_not_authorized(idp):
    app = make_app(idp)
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.initiate_auth(ClientId=app.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                          AuthParameters={"REFRESH_TOKEN": "not-a-refresh-token"})


def test_refresh_token_of_another_client_is_not_authorized(cognate, idp):
    app = make_app(idp)
    other = make_app(idp)
    user = confirmed_user(app, cognate)
    refresh = app.tokens(user.username)["RefreshToken"]
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.initiate_auth(ClientId=other.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                          AuthParameters={"REFRESH_TOKEN": refresh})


def test_admin_initiate_auth_with_admin_user_password_auth(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    response = idp.admin_initiate_auth(
        UserPoolId=app.pool_id, ClientId=app.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user.username, "PASSWORD": PASSWORD})
    assert "ChallengeName" not in response
    assert_full_result(response["AuthenticationResult"])


def test_admin_initiate_auth_refresh(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    refresh = app.tokens(user.username)["RefreshToken"]
    result = idp.admin_initiate_auth(
        UserPoolId=app.pool_id, ClientId=app.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": refresh})["AuthenticationResult"]
    assert result["AccessToken"] and result["IdToken"]
    assert "RefreshToken" not in result


def test_admin_initiate_auth_errors_match_the_user_flow(cognate, idp):
    app = make_app(idp)
    confirmed = confirmed_user(app, cognate)
    unconfirmed = sign_up_user(app)

    def admin_auth(username: str, password: str = PASSWORD) -> dict:
        return idp.admin_initiate_auth(
            UserPoolId=app.pool_id, ClientId=app.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password})

    with pytest.raises(idp.exceptions.NotAuthorizedException) as err:
        admin_auth(confirmed.username, OTHER_PASSWORD)
    assert error_message(err.value) == "Incorrect username or password."
    with pytest.raises(idp.exceptions.UserNotConfirmedException):
        admin_auth(unconfirmed.username)
    with pytest.raises(idp.exceptions.UserNotFoundException):
        admin_auth(unique_name("ghost"))


def test_admin_initiate_auth_with_client_of_another_pool_is_refused(cognate, idp):
    app = make_app(idp)
    other = make_app(idp)
    user = confirmed_user(app, cognate)
    with pytest.raises((idp.exceptions.ResourceNotFoundException,
                        idp.exceptions.InvalidParameterException)):
        idp.admin_initiate_auth(
            UserPoolId=app.pool_id, ClientId=other.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user.username, "PASSWORD": PASSWORD})


@pytest.mark.parametrize(
    "validity, units, expected",
    [
        (30, "minutes", 1800),
        (2, "hours", 7200),
        (None, None, 3600),
        (600, "seconds", 600),
    ],
    ids=["30-minutes", "2-hours", "default", "600-seconds"],
)
def test_client_token_validity_sets_expires_in(cognate, idp, validity, units, expected):
    client = {}
    if validity is not None:
        client = {"AccessTokenValidity": validity, "IdTokenValidity": validity,
                  "TokenValidityUnits": {"AccessToken": units, "IdToken": units}}
    app = make_app(idp, client=client)
    user = confirmed_user(app, cognate)
    result = app.tokens(user.username)
    assert result["ExpiresIn"] == expected
    for key in ("AccessToken", "IdToken"):
        claims = decode_jwt_unverified(result[key])
        assert claims["exp"] - claims["iat"] == expected, (key, claims)


def test_access_token_validity_without_units_is_in_hours(cognate, idp):
    app = make_app(idp, client={"AccessTokenValidity": 3, "IdTokenValidity": 1})
    user = confirmed_user(app, cognate)
    result = app.tokens(user.username)
    assert result["ExpiresIn"] == 3 * 3600
    id_claims = decode_jwt_unverified(result["IdToken"])
    assert id_claims["exp"] - id_claims["iat"] == 3600


def test_secret_client_requires_secret_hash_in_auth_parameters(cognate, idp):
    app = make_app(idp, client={"GenerateSecret": True})
    user = confirmed_user(app, cognate)
    base = {"USERNAME": user.username, "PASSWORD": PASSWORD}
    with pytest.raises(idp.exceptions.NotAuthorizedException) as err:
        idp.initiate_auth(ClientId=app.client_id, AuthFlow="USER_PASSWORD_AUTH",
                          AuthParameters=base)
    assert error_message(err.value) == \
        f"Client {app.client_id} is configured for secret but secret was not received"
    with pytest.raises(idp.exceptions.NotAuthorizedException) as err:
        idp.initiate_auth(ClientId=app.client_id, AuthFlow="USER_PASSWORD_AUTH",
                          AuthParameters={**base, "SECRET_HASH": app.hash_for("someone-else")})
    assert error_message(err.value) == f"Unable to verify secret hash for client {app.client_id}"
    result = idp.initiate_auth(
        ClientId=app.client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={**base, "SECRET_HASH": app.hash_for(user.username)},
    )["AuthenticationResult"]
    assert_full_result(result)


def test_secret_client_refresh_with_secret_hash_over_the_username(cognate, idp):
    app = make_app(idp, client={"GenerateSecret": True})
    user = confirmed_user(app, cognate)
    refresh = app.tokens(user.username)["RefreshToken"]
    result = idp.initiate_auth(
        ClientId=app.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": refresh, "SECRET_HASH": app.hash_for(user.username)},
    )["AuthenticationResult"]
    assert result["AccessToken"]


def test_secret_client_admin_auth_requires_secret_hash(cognate, idp):
    app = make_app(idp, client={"GenerateSecret": True})
    user = confirmed_user(app, cognate)
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.admin_initiate_auth(
            UserPoolId=app.pool_id, ClientId=app.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user.username, "PASSWORD": PASSWORD})
    result = idp.admin_initiate_auth(
        UserPoolId=app.pool_id, ClientId=app.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user.username, "PASSWORD": PASSWORD,
                        "SECRET_HASH": app.hash_for(user.username)},
    )["AuthenticationResult"]
    assert result["AccessToken"]


def test_each_sign_in_issues_distinct_tokens(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    first, second = app.tokens(user.username), app.tokens(user.username)
    assert first["AccessToken"] != second["AccessToken"]
    assert first["RefreshToken"] != second["RefreshToken"]
    assert decode_jwt_unverified(first["AccessToken"])["origin_jti"] != \
        decode_jwt_unverified(second["AccessToken"])["origin_jti"]


def test_optional_initiate_auth_members_are_accepted(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    response = idp.initiate_auth(
        ClientId=app.client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user.username, "PASSWORD": PASSWORD},
        ClientMetadata={"k": "v"},
        AnalyticsMetadata={"AnalyticsEndpointId": "endpoint-1"},
        UserContextData={"IpAddress": "192.0.2.10", "EncodedData": "e30="},
    )
    assert response["AuthenticationResult"]["AccessToken"]
