"""App clients: Create/Describe/List/Update/DeleteUserPoolClient."""

from __future__ import annotations

import re

import pytest

from helpers import CLIENT_ID_RE, assert_recent, error_message, make_client, make_pool, unique_name

SECRET_RE = re.compile(r"^[\w+]{24,64}$")


def test_create_client_without_secret_has_cognito_shaped_id_and_no_secret(idp):
    pool = make_pool(idp)
    name = unique_name("web")
    client = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName=name)["UserPoolClient"]
    assert CLIENT_ID_RE.match(client["ClientId"]), client["ClientId"]
    assert client["UserPoolId"] == pool["Id"]
    assert client["ClientName"] == name
    assert "ClientSecret" not in client
    assert_recent(client["CreationDate"])
    assert_recent(client["LastModifiedDate"])


def test_create_client_with_generate_secret_false_has_no_secret(idp):
    pool = make_pool(idp)
    client = make_client(idp, pool["Id"], GenerateSecret=False)
    assert "ClientSecret" not in client
    described = idp.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])
    assert "ClientSecret" not in described["UserPoolClient"]


def test_create_client_with_generated_secret_returns_it(idp):
    pool = make_pool(idp)
    client = make_client(idp, pool["Id"], GenerateSecret=True)
    assert CLIENT_ID_RE.match(client["ClientId"])
    assert SECRET_RE.match(client["ClientSecret"]), client["ClientSecret"]
    described = idp.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])
    assert described["UserPoolClient"]["ClientSecret"] == client["ClientSecret"]


def test_client_ids_and_secrets_are_unique(idp):
    pool = make_pool(idp)
    clients = [make_client(idp, pool["Id"], GenerateSecret=True) for _ in range(3)]
    assert len({c["ClientId"] for c in clients}) == 3
    assert len({c["ClientSecret"] for c in clients}) == 3


def test_describe_client_echoes_its_settings(idp):
    pool = make_pool(idp, Schema=[{"Name": "tenant", "AttributeDataType": "String",
                                   "Mutable": True}])
    settings = {
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "AccessTokenValidity": 30,
        "IdTokenValidity": 45,
        "RefreshTokenValidity": 7,
        "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes",
                               "RefreshToken": "days"},
        "ReadAttributes": ["email", "custom:tenant"],
        "WriteAttributes": ["email"],
        "PreventUserExistenceErrors": "LEGACY",
    }
    created = make_client(idp, pool["Id"], **settings)
    described = idp.describe_user_pool_client(
        UserPoolId=pool["Id"], ClientId=created["ClientId"])["UserPoolClient"]
    assert described["ClientId"] == created["ClientId"]
    assert described["ClientName"] == created["ClientName"]
    assert described["UserPoolId"] == pool["Id"]
    assert sorted(described["ExplicitAuthFlows"]) == sorted(settings["ExplicitAuthFlows"])
    for key in ("AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity",
                "TokenValidityUnits", "PreventUserExistenceErrors"):
        assert described[key] == settings[key], (key, described.get(key))
    assert sorted(described["ReadAttributes"]) == sorted(settings["ReadAttributes"])
    assert sorted(described["WriteAttributes"]) == sorted(settings["WriteAttributes"])


def test_client_without_explicit_auth_flows_gets_cognitos_defaults(idp):
    pool = make_pool(idp)
    client = make_client(idp, pool["Id"], ExplicitAuthFlows=None)
    described = idp.describe_user_pool_client(
        UserPoolId=pool["Id"], ClientId=client["ClientId"])["UserPoolClient"]
    assert set(described["ExplicitAuthFlows"]) == {
        "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"}


def test_list_user_pool_clients_paginates(idp):
    pool = make_pool(idp)
    created = {make_client(idp, pool["Id"])["ClientId"] for _ in range(3)}
    seen: list[str] = []
    token = None
    for _ in range(10):  # bounded: 3 pages expected
        kwargs = {"UserPoolId": pool["Id"], "MaxResults": 1}
        if token:
            kwargs["NextToken"] = token
        page = idp.list_user_pool_clients(**kwargs)
        assert len(page["UserPoolClients"]) <= 1
        for description in page["UserPoolClients"]:
            assert description["UserPoolId"] == pool["Id"]
            assert description["ClientName"]
            assert "ClientSecret" not in description
            seen.append(description["ClientId"])
        token = page.get("NextToken")
        if not token:
            break
    else:
        pytest.fail(f"ListUserPoolClients kept returning NextToken; saw {seen}")
    assert len(seen) == len(set(seen))
    assert set(seen) == created


def test_list_user_pool_clients_only_lists_that_pools_clients(idp):
    pool_a, pool_b = make_pool(idp), make_pool(idp)
    in_a = make_client(idp, pool_a["Id"])["ClientId"]
    make_client(idp, pool_b["Id"])
    listed = idp.list_user_pool_clients(UserPoolId=pool_a["Id"], MaxResults=60)
    assert [c["ClientId"] for c in listed["UserPoolClients"]] == [in_a]


def test_cli_auto_paginates_list_user_pool_clients(idp, aws):
    pool = make_pool(idp)
    created = {make_client(idp, pool["Id"])["ClientId"] for _ in range(3)}
    out = aws("cognito-idp", "list-user-pool-clients", "--user-pool-id", pool["Id"],
              "--page-size", "1")
    assert {c["ClientId"] for c in out["UserPoolClients"]} == created
    assert "NextToken" not in out


def test_update_client_changes_settings_and_keeps_the_secret(idp):
    pool = make_pool(idp)
    client = make_client(idp, pool["Id"], GenerateSecret=True)
    new_name = unique_name("renamed")
    updated = idp.update_user_pool_client(
        UserPoolId=pool["Id"], ClientId=client["ClientId"], ClientName=new_name,
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        AccessTokenValidity=2,
    )["UserPoolClient"]
    assert updated["ClientName"] == new_name
    described = idp.describe_user_pool_client(
        UserPoolId=pool["Id"], ClientId=client["ClientId"])["UserPoolClient"]
    assert described["ClientName"] == new_name
    assert described["AccessTokenValidity"] == 2
    assert set(described["ExplicitAuthFlows"]) == {"ALLOW_ADMIN_USER_PASSWORD_AUTH",
                                                   "ALLOW_REFRESH_TOKEN_AUTH"}
    assert described["ClientSecret"] == client["ClientSecret"]
    assert described["LastModifiedDate"] >= described["CreationDate"]


def test_delete_client_then_describe_is_resource_not_found(idp):
    pool = make_pool(idp)
    client = make_client(idp, pool["Id"])
    idp.delete_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])
    with pytest.raises(idp.exceptions.ResourceNotFoundException) as err:
        idp.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])
    assert error_message(err.value) == f"User pool client {client['ClientId']} does not exist."
    listed = idp.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)
    assert listed["UserPoolClients"] == []


def test_deleted_client_cannot_sign_up_users(idp):
    pool = make_pool(idp)
    client = make_client(idp, pool["Id"])
    idp.delete_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.sign_up(ClientId=client["ClientId"], Username=unique_name(), Password="Passw0rd!x")


def test_create_client_in_unknown_pool_is_resource_not_found(idp):
    with pytest.raises(idp.exceptions.ResourceNotFoundException) as err:
        idp.create_user_pool_client(UserPoolId="us-east-1_NoSuchPol", ClientName="web")
    assert error_message(err.value) == "User pool us-east-1_NoSuchPol does not exist."


@pytest.mark.parametrize("operation", ["describe", "update", "delete"])
def test_client_of_another_pool_is_resource_not_found(idp, operation):
    pool_a, pool_b = make_pool(idp), make_pool(idp)
    client_b = make_client(idp, pool_b["Id"])
    call = {
        "describe": idp.describe_user_pool_client,
        "update": idp.update_user_pool_client,
        "delete": idp.delete_user_pool_client,
    }[operation]
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        call(UserPoolId=pool_a["Id"], ClientId=client_b["ClientId"])


def test_list_clients_of_unknown_pool_is_resource_not_found(idp):
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.list_user_pool_clients(UserPoolId="us-east-1_NoSuchPol", MaxResults=10)


def test_invalid_client_name_is_invalid_parameter(idp):
    pool = make_pool(idp)
    with pytest.raises(idp.exceptions.InvalidParameterException) as err:
        idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="bad/name!")
    assert "clientname" in error_message(err.value).lower()


def test_unknown_explicit_auth_flow_is_invalid_parameter(idp):
    pool = make_pool(idp)
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web",
                                    ExplicitAuthFlows=["ALLOW_TELEPATHY"])


def test_access_token_validity_above_one_day_is_invalid_parameter(idp):
    pool = make_pool(idp)
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web",
                                    AccessTokenValidity=2,
                                    TokenValidityUnits={"AccessToken": "days"})
