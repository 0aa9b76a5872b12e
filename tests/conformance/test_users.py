"""Users: AdminGetUser, ListUsers (filters, AttributesToGet, pagination), deletes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from helpers import (
    PASSWORD,
    UUID_RE,
    App,
    User,
    assert_recent,
    attr_map,
    confirmed_user,
    make_app,
    sign_up_user,
    tag,
    unique_email,
    unique_name,
)


@dataclass
class Population:
    app: App
    alice: User  # CONFIRMED via code, email verified
    bob: User  # UNCONFIRMED
    carol: User  # UNCONFIRMED, family_name set


@pytest.fixture
def population(cognate, idp) -> Population:
    app = make_app(idp)
    t = tag()
    alice = confirmed_user(app, cognate, username=f"alice-{t}", email=f"alice.{t}@example.com")
    bob = sign_up_user(app, username=f"bob-{t}", email=f"bob.{t}@example.org")
    carol = sign_up_user(app, username=f"carol-{t}", email=f"carol.{t}@example.net",
                         attributes=[{"Name": "family_name", "Value": "Rivera"}])
    return Population(app, alice, bob, carol)


def list_usernames(idp, pool_id: str, **kwargs) -> list[str]:
    response = idp.list_users(UserPoolId=pool_id, **kwargs)
    return sorted(u["Username"] for u in response["Users"])


# --------------------------------------------------------------------------- AdminGetUser


def test_admin_get_user_shape(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    got = app.admin_get_user(user.username)
    assert got["Username"] == user.username
    assert got["UserStatus"] == "CONFIRMED"
    assert got["Enabled"] is True
    assert_recent(got["UserCreateDate"])
    assert_recent(got["UserLastModifiedDate"])
    assert got["UserLastModifiedDate"] >= got["UserCreateDate"]
    attributes = attr_map(got["UserAttributes"])
    assert UUID_RE.match(attributes["sub"])
    assert attributes["sub"] == user.sub
    assert attributes["email"] == user.email
    assert attributes["email_verified"] == "true"
    names = [a["Name"] for a in got["UserAttributes"]]
    assert len(names) == len(set(names)), f"duplicate attributes: {names}"


def test_admin_get_unknown_user_is_user_not_found(idp):
    app = make_app(idp)
    with pytest.raises(idp.exceptions.UserNotFoundException) as err:
        app.admin_get_user(unique_name("ghost"))
    assert err.value.response["Error"]["Message"] == "User does not exist."


def test_admin_get_user_in_unknown_pool_is_resource_not_found(idp):
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.admin_get_user(UserPoolId="us-east-1_NoSuchPol", Username="someone")


# --------------------------------------------------------------------------- ListUsers


def test_list_users_without_filter_lists_everyone(population, idp):
    p = population
    users = idp.list_users(UserPoolId=p.app.pool_id)["Users"]
    assert sorted(u["Username"] for u in users) == sorted(
        [p.alice.username, p.bob.username, p.carol.username])
    for user in users:
        assert user["Enabled"] is True
        assert user["UserStatus"] in ("CONFIRMED", "UNCONFIRMED")
        assert_recent(user["UserCreateDate"])
        assert_recent(user["UserLastModifiedDate"])
        assert "sub" in attr_map(user["Attributes"])


def test_list_users_filter_email_equals(population, idp):
    p = population
    assert list_usernames(idp, p.app.pool_id, Filter=f'email = "{p.bob.email}"') == \
        [p.bob.username]


def test_list_users_filter_email_prefix(population, idp):
    p = population
    assert list_usernames(idp, p.app.pool_id, Filter='email ^= "alice."') == [p.alice.username]


def test_list_users_filter_without_spaces_around_operator(population, idp):
    p = population
    assert list_usernames(idp, p.app.pool_id, Filter=f'email="{p.bob.email}"') == \
        [p.bob.username]


def test_list_users_filter_user_status(population, idp):
    p = population
    assert list_usernames(idp, p.app.pool_id, Filter='cognito:user_status = "UNCONFIRMED"') == \
        sorted([p.bob.username, p.carol.username])
    assert list_usernames(idp, p.app.pool_id, Filter='cognito:user_status = "CONFIRMED"') == \
        [p.alice.username]


def test_list_users_filter_user_status_is_case_insensitive(population, idp):
    p = population
    assert list_usernames(idp, p.app.pool_id, Filter='cognito:user_status = "confirmed"') == \
        [p.alice.username]


def test_list_users_filter_username(population, idp):
    p = population
    assert list_usernames(idp, p.app.pool_id, Filter=f'username = "{p.carol.username}"') == \
        [p.carol.username]
    assert list_usernames(idp, p.app.pool_id, Filter='username ^= "bob-"') == [p.bob.username]


def test_list_users_filter_sub(population, idp):
    p = population
    assert list_usernames(idp, p.app.pool_id, Filter=f'sub = "{p.carol.sub}"') == \
        [p.carol.username]


def test_list_users_filter_family_name_prefix(population, idp):
    p = population
    assert list_usernames(idp, p.app.pool_id, Filter='family_name ^= "Riv"') == \
        [p.carol.username]


def test_list_users_filter_status_enabled(population, idp):
    p = population
    assert len(list_usernames(idp, p.app.pool_id, Filter='status = "Enabled"')) == 3


def test_list_users_filter_matching_nobody_is_empty(population, idp):
    p = population
    response = idp.list_users(UserPoolId=p.app.pool_id, Filter='email = "nobody@example.com"')
    assert response["Users"] == []
    assert "PaginationToken" not in response


def test_list_users_empty_filter_lists_everyone(population, idp):
    assert len(list_usernames(idp, population.app.pool_id, Filter="")) == 3


def test_list_users_attributes_to_get_limits_attributes(population, idp):
    users = idp.list_users(UserPoolId=population.app.pool_id,
                           AttributesToGet=["email"])["Users"]
    assert len(users) == 3
    for user in users:
        assert [a["Name"] for a in user["Attributes"]] == ["email"]


def test_list_users_paginates_with_limit(population, idp):
    p = population
    seen: list[str] = []
    token = None
    for _ in range(10):  # bounded: 3 pages expected
        kwargs = {"UserPoolId": p.app.pool_id, "Limit": 1}
        if token:
            kwargs["PaginationToken"] = token
        page = idp.list_users(**kwargs)
        assert len(page["Users"]) <= 1
        seen += [u["Username"] for u in page["Users"]]
        token = page.get("PaginationToken")
        if not token:
            break
    else:
        pytest.fail(f"ListUsers kept returning PaginationToken; saw {seen}")
    assert len(seen) == len(set(seen)), f"duplicates across pages: {seen}"
    assert sorted(seen) == sorted([p.alice.username, p.bob.username, p.carol.username])


def test_list_users_paginates_a_filtered_listing(population, idp):
    p = population
    seen: list[str] = []
    token = None
    for _ in range(10):
        kwargs = {"UserPoolId": p.app.pool_id, "Limit": 1,
                  "Filter": 'cognito:user_status = "UNCONFIRMED"'}
        if token:
            kwargs["PaginationToken"] = token
        page = idp.list_users(**kwargs)
        seen += [u["Username"] for u in page["Users"]]
        token = page.get("PaginationToken")
        if not token:
            break
    assert sorted(seen) == sorted([p.bob.username, p.carol.username])


def test_cli_auto_paginates_list_users(population, aws):
    p = population
    out = aws("cognito-idp", "list-users", "--user-pool-id", p.app.pool_id, "--page-size", "1")
    assert sorted(u["Username"] for u in out["Users"]) == sorted(
        [p.alice.username, p.bob.username, p.carol.username])
    assert "PaginationToken" not in out and "NextToken" not in out


def test_cli_list_users_with_filter(population, aws):
    p = population
    out = aws("cognito-idp", "list-users", "--user-pool-id", p.app.pool_id,
              "--filter", f'email = "{p.alice.email}"')
    assert [u["Username"] for u in out["Users"]] == [p.alice.username]


@pytest.mark.parametrize(
    "bad_filter",
    [
        'email == "x@example.com"',
        "email = x@example.com",
        'nonsense',
        'custom:tenant = "acme"',
        'not_an_attribute = "x"',
        'email = "a" and username = "b"',
    ],
    ids=["double-equals", "unquoted", "no-operator", "custom-attribute", "unknown-attribute",
         "two-conditions"],
)
def test_invalid_filter_is_invalid_parameter(idp, bad_filter):
    app = make_app(idp, pool={"Schema": [{"Name": "tenant", "AttributeDataType": "String",
                                          "Mutable": True}]})
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.list_users(UserPoolId=app.pool_id, Filter=bad_filter)


def test_list_users_limit_above_60_is_invalid_parameter(idp):
    app = make_app(idp)
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.list_users(UserPoolId=app.pool_id, Limit=61)


def test_list_users_of_unknown_pool_is_resource_not_found(idp):
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.list_users(UserPoolId="us-east-1_NoSuchPol")


def test_list_users_only_lists_that_pools_users(population, idp):
    other = make_app(idp)
    sign_up_user(other)
    assert len(idp.list_users(UserPoolId=population.app.pool_id)["Users"]) == 3
    assert len(idp.list_users(UserPoolId=other.pool_id)["Users"]) == 1


# --------------------------------------------------------------------------- deletes


def test_admin_delete_user_then_admin_get_user_is_user_not_found(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    response = idp.admin_delete_user(UserPoolId=app.pool_id, Username=user.username)
    assert set(response) == {"ResponseMetadata"}
    with pytest.raises(idp.exceptions.UserNotFoundException):
        app.admin_get_user(user.username)
    with pytest.raises(idp.exceptions.UserNotFoundException):
        app.password_auth(user.username)
    assert idp.list_users(UserPoolId=app.pool_id)["Users"] == []


def test_admin_delete_unknown_user_is_user_not_found(idp):
    app = make_app(idp)
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_delete_user(UserPoolId=app.pool_id, Username=unique_name("ghost"))


def test_deleted_username_can_sign_up_again(idp):
    app = make_app(idp)
    user = sign_up_user(app)
    idp.admin_delete_user(UserPoolId=app.pool_id, Username=user.username)
    again = app.sign_up(user.username, email=unique_email())
    assert again["UserSub"] != user.sub


def test_delete_user_with_access_token(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    tokens = app.tokens(user.username)
    response = idp.delete_user(AccessToken=tokens["AccessToken"])
    assert set(response) == {"ResponseMetadata"}
    with pytest.raises(idp.exceptions.UserNotFoundException):
        app.admin_get_user(user.username)
    with pytest.raises((idp.exceptions.NotAuthorizedException,
                        idp.exceptions.UserNotFoundException)):
        idp.get_user(AccessToken=tokens["AccessToken"])
    with pytest.raises((idp.exceptions.NotAuthorizedException,
                        idp.exceptions.UserNotFoundException)):
        idp.initiate_auth(ClientId=app.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                          AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})


def test_delete_user_with_invalid_token_is_not_authorized(idp):
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.delete_user(AccessToken="abc.def.ghi")


def test_deleting_one_user_leaves_the_others(population, idp):
    p = population
    idp.admin_delete_user(UserPoolId=p.app.pool_id, Username=p.bob.username)
    assert list_usernames(idp, p.app.pool_id) == sorted([p.alice.username, p.carol.username])
    assert p.app.tokens(p.alice.username, PASSWORD)["AccessToken"]
