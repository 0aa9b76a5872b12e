"""Everything lives in the data dir: a restart (SIGTERM, start again) loses nothing."""

from __future__ import annotations

import pytest

from helpers import (
    PASSWORD,
    attr_map,
    confirmed_user,
    make_app,
    sign_up_user,
    unique_email,
)


def test_pools_clients_and_users_persist_across_restart(cognate, idp):
    app = make_app(
        idp,
        pool={"Policies": {"PasswordPolicy": {"MinimumLength": 9, "RequireSymbols": False,
                                              "RequireUppercase": True, "RequireLowercase": True,
                                              "RequireNumbers": True}},
              "Schema": [{"Name": "tenant", "AttributeDataType": "String", "Mutable": True}]},
        client={"GenerateSecret": True},
    )
    confirmed = confirmed_user(app, cognate)
    unconfirmed = sign_up_user(app, attributes=[{"Name": "custom:tenant", "Value": "acme"}])
    pool_before = idp.describe_user_pool(UserPoolId=app.pool_id)["UserPool"]

    cognate.restart()
    idp = cognate.idp()

    pool_after = idp.describe_user_pool(UserPoolId=app.pool_id)["UserPool"]
    for key in ("Id", "Name", "Arn", "Policies", "AutoVerifiedAttributes", "CreationDate"):
        assert pool_after[key] == pool_before[key], key
    assert "custom:tenant" in {a["Name"] for a in pool_after["SchemaAttributes"]}
    assert app.pool_id in {p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"]}

    client = idp.describe_user_pool_client(UserPoolId=app.pool_id,
                                           ClientId=app.client_id)["UserPoolClient"]
    assert client["ClientSecret"] == app.client_secret
    assert sorted(client["ExplicitAuthFlows"]) == sorted(app.client["ExplicitAuthFlows"])

    got = idp.admin_get_user(UserPoolId=app.pool_id, Username=confirmed.username)
    assert got["UserStatus"] == "CONFIRMED"
    assert attr_map(got["UserAttributes"])["sub"] == confirmed.sub
    assert attr_map(got["UserAttributes"])["email_verified"] == "true"
    got = idp.admin_get_user(UserPoolId=app.pool_id, Username=unconfirmed.username)
    assert got["UserStatus"] == "UNCONFIRMED"
    assert attr_map(got["UserAttributes"])["custom:tenant"] == "acme"


def test_confirmed_user_signs_in_after_restart(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    cognate.restart()
    app.idp = cognate.idp()
    result = app.tokens(user.username, PASSWORD)
    assert result["AccessToken"] and result["RefreshToken"]
    with pytest.raises(app.idp.exceptions.NotAuthorizedException):
        app.password_auth(user.username, "Wr0ng-Battery!")


def test_unconfirmed_user_confirms_with_a_code_issued_before_restart(cognate, idp):
    app = make_app(idp)
    user = sign_up_user(app)
    code = cognate.latest_code(user.email)
    cognate.restart()
    app.idp = cognate.idp()
    with pytest.raises(app.idp.exceptions.UserNotConfirmedException):
        app.password_auth(user.username)
    app.confirm(user.username, code)
    assert app.admin_get_user(user.username)["UserStatus"] == "CONFIRMED"
    assert app.tokens(user.username)["IdToken"]


def test_refresh_token_issued_before_restart_still_works(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    refresh = app.tokens(user.username)["RefreshToken"]
    cognate.restart()
    result = cognate.idp().initiate_auth(
        ClientId=app.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": refresh})["AuthenticationResult"]
    assert result["AccessToken"]


def test_uniqueness_survives_restart(cognate, idp):
    app = make_app(idp)
    user = sign_up_user(app)
    cognate.restart()
    app.idp = cognate.idp()
    with pytest.raises(app.idp.exceptions.UsernameExistsException):
        app.sign_up(user.username, email=unique_email())


def test_outbox_persists_across_restart(cognate, idp):
    app = make_app(idp)
    user = sign_up_user(app)
    before = cognate.outbox(pool=app.pool_id)
    cognate.restart()
    assert cognate.outbox(pool=app.pool_id) == before
    assert before and before[0]["recipient"] == user.email


def test_deleted_pool_stays_deleted_after_restart(cognate, idp):
    app = make_app(idp)
    idp.delete_user_pool(UserPoolId=app.pool_id)
    cognate.restart()
    fresh = cognate.idp()
    with pytest.raises(fresh.exceptions.ResourceNotFoundException):
        fresh.describe_user_pool(UserPoolId=app.pool_id)


def test_restart_on_a_new_port_keeps_the_data(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    cognate.restart(same_port=False)
    fresh = cognate.idp()
    assert fresh.admin_get_user(UserPoolId=app.pool_id, Username=user.username)["Username"] == \
        user.username
    app.idp = fresh
    assert app.tokens(user.username)["AccessToken"]


def test_two_restarts_in_a_row_exit_cleanly(cognate, idp):
    make_app(idp)
    cognate.restart()
    cognate.restart()
    assert cognate.exit_codes == [0, 0]
    assert cognate.idp().list_user_pools(MaxResults=10)["UserPools"]
